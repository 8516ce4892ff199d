package helmcheck

// Per-username routing over user-command replicas (issue 14): the gateways route each username to
// one user-command pod by rendezvous hashing over USER_COMMAND_URLS, and each pod refuses writes
// for names it does not own by the same list and its own entry, USER_COMMAND_SELF. That keeps a
// name's writes in one WAL only if the list is exactly the StatefulSet's pods, each pod knows its
// own entry, and nothing else changes the pod count behind the list's back (an autoscaler).

import (
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
)

// The namespace helmTemplate renders into.
const namespace = "usersys"

// podURL: a user-command pod's stable address through the StatefulSet's governing (headless) Service.
func podURL(s *appsv1.StatefulSet, pod, port string) string {
	return fmt.Sprintf("http://%s.%s.%s.svc:%s", pod, s.Spec.ServiceName, namespace, port)
}

// expandIn: the value of env n as the container of pod `pod` sees it (Kubernetes' $(VAR) expansion
// over the variables defined before it; a fieldRef metadata.name is the pod name).
func expandIn(c *corev1.Container, n, pod string) (string, bool) {
	seen := map[string]string{}
	for _, e := range c.Env {
		v := e.Value
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name" {
			v = pod
		}
		v = varRef.ReplaceAllStringFunc(v, func(ref string) string {
			if val, ok := seen[ref[2:len(ref)-1]]; ok {
				return val
			}
			return ref
		})
		seen[e.Name] = v
		if e.Name == n {
			return v, true
		}
	}
	return "", false
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// checkReplicaList returns one line per broken rule of one rendering.
func checkReplicaList(r *Rendered) []string {
	var failures []string
	fail := func(format string, args ...any) { failures = append(failures, fmt.Sprintf(format, args...)) }

	var sts *appsv1.StatefulSet
	for _, s := range r.StatefulSets {
		if findContainer(s.Spec.Template.Spec, "user-command") != nil {
			sts = s
		}
	}
	if sts == nil || sts.Spec.Replicas == nil {
		return []string{"no user-command StatefulSet with a replica count"}
	}
	replicas := int(*sts.Spec.Replicas)
	app := findContainer(sts.Spec.Template.Spec, "user-command")
	if app == nil {
		return []string{"the StatefulSet has no user-command container"}
	}
	port, _ := expandIn(app, "USER_COMMAND_PORT", "")

	// The gateway's list: pods 0..n-1 of the StatefulSet, in that form, n >= replicas (n > replicas
	// only while pods are being added: userCommand.members).
	var gatewayList []string
	for _, d := range r.Deployments {
		gw := findContainer(d.Spec.Template.Spec, "auth-gateway")
		if gw == nil {
			continue
		}
		if env(gw, "USER_COMMAND_URL") != nil {
			fail("%s: sets USER_COMMAND_URL, one address for every user-command pod (use USER_COMMAND_URLS)", d.Name)
		}
		list, ok := expandIn(gw, "USER_COMMAND_URLS", "")
		if !ok {
			fail("%s: no USER_COMMAND_URLS", d.Name)
			continue
		}
		gatewayList = splitList(list)
		if len(gatewayList) < replicas {
			fail("%s: USER_COMMAND_URLS names %d pods, the StatefulSet runs %d: the pods beyond the list take no names and refuse to start", d.Name, len(gatewayList), replicas)
		}
		for i, u := range gatewayList {
			if want := podURL(sts, fmt.Sprintf("%s-%d", sts.Name, i), port); u != want {
				fail("%s: USER_COMMAND_URLS entry %d is %q, want pod %d's address %q", d.Name, i, u, i, want)
			}
		}
	}
	if gatewayList == nil {
		fail("no auth-gateway container with USER_COMMAND_URLS")
	}

	// Each pod: the same list, and its own entry as USER_COMMAND_SELF.
	list, _ := expandIn(app, "USER_COMMAND_URLS", "")
	if strings.Join(splitList(list), ",") != strings.Join(gatewayList, ",") {
		fail("user-command: USER_COMMAND_URLS %q differs from the gateway's %q (the fence would refuse what the gateways route)", list, strings.Join(gatewayList, ","))
	}
	for i := range replicas {
		pod := fmt.Sprintf("%s-%d", sts.Name, i)
		self, ok := expandIn(app, "USER_COMMAND_SELF", pod)
		if want := podURL(sts, pod, port); !ok || self != want {
			fail("user-command pod %s: USER_COMMAND_SELF is %q, want its own entry %q", pod, self, want)
		}
	}

	// Nothing scales the StatefulSet behind the list.
	for _, h := range r.HPAs {
		if h.Spec.ScaleTargetRef.Kind == "StatefulSet" && h.Spec.ScaleTargetRef.Name == sts.Name {
			fail("HorizontalPodAutoscaler %s scales user-command: its pods are the replica list, changed only in a safe order", h.Name)
		}
	}
	return failures
}

func TestUserCommandReplicaListIsTheStatefulSetsPods(t *testing.T) {
	cases := map[string]*Rendered{}
	for label, r := range renderings(t) {
		cases[label] = r
	}
	for label, sets := range map[string][]string{
		"five replicas":                {"userCommand.replicas=5"},
		"adding a pod (members above)": {"userCommand.members=3"},
		"another release name":         nil,
	} {
		releaseName := release
		if sets == nil {
			releaseName = "prod-usersys"
		}
		out, err := helmTemplateAs(t, releaseName, nil, sets...)
		if err != nil {
			t.Fatal(err)
		}
		if cases[label], err = decodeAll(out); err != nil {
			t.Fatal(err)
		}
	}
	for label, r := range cases {
		t.Run(label, func(t *testing.T) {
			if failures := checkReplicaList(r); len(failures) > 0 {
				t.Fatal(strings.Join(failures, "\n"))
			}
		})
	}
	wantPods := map[string]int{"defaults": 2, "custom": 3, "five replicas": 5, "adding a pod (members above)": 3}
	for label, n := range wantPods {
		gw := findContainer(deployment(t, cases[label], name("auth-gateway")).Spec.Template.Spec, "auth-gateway")
		if got := len(splitList(envValue(t, gw, "USER_COMMAND_URLS"))); got != n {
			t.Errorf("%s: USER_COMMAND_URLS names %d pods, want %d", label, got, n)
		}
	}
	if _, err := helmTemplate(t, nil, "userCommand.members=1"); err == nil || !strings.Contains(err.Error(), "below userCommand.replicas") {
		t.Errorf("userCommand.members below replicas rendered: %v", err)
	}
}

// Each rule of checkReplicaList, broken in a rendered copy, is reported.
func TestUserCommandReplicaListRulesCanFail(t *testing.T) {
	setEnv := func(c *corev1.Container, n, v string) {
		for i := range c.Env {
			if c.Env[i].Name == n {
				c.Env[i] = corev1.EnvVar{Name: n, Value: v}
				return
			}
		}
		c.Env = append(c.Env, corev1.EnvVar{Name: n, Value: v})
	}
	container := func(pod *corev1.PodSpec, n string) *corev1.Container {
		for i := range pod.Containers {
			if pod.Containers[i].Name == n {
				return &pod.Containers[i]
			}
		}
		t.Fatalf("no container %s", n)
		return nil
	}
	gateway := func(r *Rendered) *corev1.Container {
		return container(&deployment(t, r, name("auth-gateway")).Spec.Template.Spec, "auth-gateway")
	}
	command := func(r *Rendered) *corev1.Container {
		return container(&statefulSet(t, r, name("user-command")).Spec.Template.Spec, "user-command")
	}
	pod := func(i int) string {
		return fmt.Sprintf("http://%s-%d.%s-headless.%s.svc:8081", name("user-command"), i, name("user-command"), namespace)
	}
	cases := []struct {
		name, want string
		mutate     func(r *Rendered)
	}{
		{"the gateway lists fewer pods than run", "names 1 pods, the StatefulSet runs 2", func(r *Rendered) { setEnv(gateway(r), "USER_COMMAND_URLS", pod(0)) }},
		{"the gateway lists a pod's wrong address", "entry 1 is", func(r *Rendered) {
			setEnv(gateway(r), "USER_COMMAND_URLS", pod(0)+","+strings.Replace(pod(1), "-headless", "", 1))
		}},
		{"the gateway calls one address", "sets USER_COMMAND_URL", func(r *Rendered) { setEnv(gateway(r), "USER_COMMAND_URL", "http://"+name("user-command")+":8081") }},
		{"a replica with another list", "differs from the gateway's", func(r *Rendered) { setEnv(command(r), "USER_COMMAND_URLS", pod(1)+","+pod(0)+","+pod(2)) }},
		{"every pod claiming pod 0's entry", "-1: USER_COMMAND_SELF is", func(r *Rendered) { setEnv(command(r), "USER_COMMAND_SELF", pod(0)) }},
		{"more pods than the list", "the StatefulSet runs 3", func(r *Rendered) {
			three := int32(3)
			statefulSet(t, r, name("user-command")).Spec.Replicas = &three
		}},
		{"an autoscaler on user-command", "scales user-command", func(r *Rendered) {
			h := &autoscalingv2.HorizontalPodAutoscaler{}
			h.Name = "hpa"
			h.Spec.ScaleTargetRef = autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "StatefulSet", Name: name("user-command")}
			r.HPAs = append(r.HPAs, h)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := render(t)
			c.mutate(r)
			failures := checkReplicaList(r)
			for _, f := range failures {
				if strings.Contains(f, c.want) {
					return
				}
			}
			t.Fatalf("want a failure containing %q, got:\n%s", c.want, strings.Join(failures, "\n"))
		})
	}
}
