package helmcheck

// What the API server would refuse although the types decode: names, labels, port names.

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

func checkLabels(t *testing.T, where string, l map[string]string) {
	t.Helper()
	for k, v := range l {
		for _, msg := range append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...) {
			t.Errorf("%s: label %s=%s: %s", where, k, v, msg)
		}
	}
}

func checkMeta(t *testing.T, kind string, m metav1.ObjectMeta) {
	t.Helper()
	check := validation.IsDNS1123Subdomain
	if kind == "Service" {
		check = validation.IsDNS1035Label
	}
	for _, msg := range check(m.Name) {
		t.Errorf("%s %s: name: %s", kind, m.Name, msg)
	}
	checkLabels(t, kind+" "+m.Name, m.Labels)
}

func checkPod(t *testing.T, where string, pod corev1.PodTemplateSpec) {
	t.Helper()
	checkLabels(t, where+" pod", pod.Labels)
	for _, v := range pod.Spec.Volumes {
		for _, msg := range validation.IsDNS1123Label(v.Name) {
			t.Errorf("%s: volume %s: %s", where, v.Name, msg)
		}
	}
	for _, c := range allContainers(pod.Spec) {
		for _, msg := range validation.IsDNS1123Label(c.Name) {
			t.Errorf("%s: container %s: %s", where, c.Name, msg)
		}
		for _, p := range c.Ports {
			for _, msg := range validation.IsValidPortName(p.Name) {
				t.Errorf("%s/%s: port %s: %s", where, c.Name, p.Name, msg)
			}
		}
		for _, e := range c.Env {
			for _, msg := range validation.IsEnvVarName(e.Name) {
				t.Errorf("%s/%s: env %s: %s", where, c.Name, e.Name, msg)
			}
		}
	}
}

// TestNamesAreValidForTheAPIServer, also with the longest release name Helm allows (53), where the
// chart's truncation must keep every name, and a StatefulSet's pod revision label, within limits.
func TestNamesAreValidForTheAPIServer(t *testing.T) {
	for _, releaseName := range []string{release, "usersys", strings.Repeat("a", 53)} {
		t.Run(releaseName, func(t *testing.T) {
			out, err := helmTemplateAs(t, releaseName, nil)
			if err != nil {
				t.Fatal(err)
			}
			r, err := decodeAll(out)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range r.Services {
				checkMeta(t, "Service", s.ObjectMeta)
			}
			for _, s := range r.StatefulSets {
				checkMeta(t, "StatefulSet", s.ObjectMeta)
				checkPod(t, s.Name, s.Spec.Template)
				// controller-revision-hash = <name>-<10 chars> must be a label value (<= 63)
				if len(s.Name) > 52 {
					t.Errorf("StatefulSet %s: name longer than 52", s.Name)
				}
			}
			for _, d := range r.Deployments {
				checkMeta(t, "Deployment", d.ObjectMeta)
				checkPod(t, d.Name, d.Spec.Template)
			}
			for _, j := range r.Jobs {
				checkMeta(t, "Job", j.ObjectMeta)
				checkPod(t, j.Name, j.Spec.Template)
			}
			for _, h := range r.HPAs {
				checkMeta(t, "HorizontalPodAutoscaler", h.ObjectMeta)
			}
			for _, p := range r.PDBs {
				checkMeta(t, "PodDisruptionBudget", p.ObjectMeta)
			}
			for _, c := range r.ConfigMaps {
				checkMeta(t, "ConfigMap", c.ObjectMeta)
			}
		})
	}
}
