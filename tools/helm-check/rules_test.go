package helmcheck

// The chart's rules (issue 14, Kubernetes), checked over the rendered objects.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

const (
	walMount = "/wal"
	walDir   = "/wal/logs"
	readyz   = "/readyz"
	healthz  = "/healthz"
)

// The secrets each container may read (as in docker-compose.yml): nothing else gets them.
var secretsOf = map[string][]string{
	"auth-gateway":  {"POSTGRES_PASSWORD", "REDIS_PASSWORD", "INTERNAL_TOKEN", "CACHE_HMAC_KEY", "JWT_SECRET", "ADMIN_PASSWORD"},
	"user-command":  {"POSTGRES_PASSWORD", "REDIS_PASSWORD", "INTERNAL_TOKEN", "CACHE_HMAC_KEY"},
	"user-consumer": {"POSTGRES_PASSWORD", "REDIS_PASSWORD", "INTERNAL_TOKEN", "CACHE_HMAC_KEY"},
	"wal-relay":     {},
	"migrations":    {"POSTGRES_PASSWORD"},
	"kafka-topics":  {},
}

// The env variables naming each app's listen address and port (apps/*/src/config.ts).
var listenEnv = map[string][2]string{
	"auth-gateway":  {"AUTH_GATEWAY_HOST", "AUTH_GATEWAY_PORT"},
	"user-command":  {"USER_COMMAND_HOST", "USER_COMMAND_PORT"},
	"user-consumer": {"USER_CONSUMER_HOST", "USER_CONSUMER_PORT"},
	"wal-relay":     {"WAL_RELAY_HOST", "WAL_RELAY_PORT"},
}

func name(component string) string { return release + "-usersys-" + component }

type workload struct {
	kind, name string
	pod        corev1.PodTemplateSpec
}

func workloads(r *Rendered) []workload {
	var w []workload
	for _, s := range r.StatefulSets {
		w = append(w, workload{"StatefulSet", s.Name, s.Spec.Template})
	}
	for _, d := range r.Deployments {
		w = append(w, workload{"Deployment", d.Name, d.Spec.Template})
	}
	for _, j := range r.Jobs {
		w = append(w, workload{"Job", j.Name, j.Spec.Template})
	}
	return w
}

func allContainers(pod corev1.PodSpec) []corev1.Container {
	return append(slices.Clone(pod.InitContainers), pod.Containers...)
}

func findContainer(pod corev1.PodSpec, n string) *corev1.Container {
	for _, c := range allContainers(pod) {
		if c.Name == n {
			return &c
		}
	}
	return nil
}

func env(c *corev1.Container, n string) *corev1.EnvVar {
	for i := range c.Env {
		if c.Env[i].Name == n {
			return &c.Env[i]
		}
	}
	return nil
}

func envValue(t *testing.T, c *corev1.Container, n string) string {
	t.Helper()
	e := env(c, n)
	if e == nil {
		t.Fatalf("%s: no %s", c.Name, n)
	}
	if e.ValueFrom != nil {
		t.Fatalf("%s: %s is not a plain value", c.Name, n)
	}
	return e.Value
}

func statefulSet(t *testing.T, r *Rendered, n string) *appsv1.StatefulSet {
	t.Helper()
	for _, s := range r.StatefulSets {
		if s.Name == n {
			return s
		}
	}
	t.Fatalf("no StatefulSet %s", n)
	return nil
}

func deployment(t *testing.T, r *Rendered, n string) *appsv1.Deployment {
	t.Helper()
	for _, d := range r.Deployments {
		if d.Name == n {
			return d
		}
	}
	t.Fatalf("no Deployment %s", n)
	return nil
}

func mountOf(c *corev1.Container, volume string) string {
	for _, m := range c.VolumeMounts {
		if m.Name == volume {
			return m.MountPath
		}
	}
	return ""
}

// renderings: the defaults and ci/custom-values.yaml, each checked against every rule.
func renderings(t *testing.T) map[string]*Rendered {
	return map[string]*Rendered{
		"defaults": render(t),
		"custom":   render(t, filepath.Join(chartDir, "ci", "custom-values.yaml")),
	}
}

// checkWalSidecar: wal-relay runs as a native sidecar (init container, restartPolicy Always)
// on the same volume and WAL_DIR as the writer, and WAL_DIR is a directory the app makes inside
// the mount (the app chmods WAL_DIR 0700, which only its owner may; the mount root is root's).
func checkWalSidecar(t *testing.T, pod corev1.PodSpec, writer string) {
	t.Helper()
	app, relay := findContainer(pod, writer), findContainer(pod, "wal-relay")
	if app == nil || relay == nil {
		t.Fatalf("%s: pod lacks %s or wal-relay", writer, writer)
	}
	if !slices.ContainsFunc(pod.InitContainers, func(c corev1.Container) bool {
		return c.Name == "wal-relay" && c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
	}) {
		t.Errorf("%s: wal-relay is not a native sidecar (init container with restartPolicy: Always)", writer)
	}
	if mountOf(app, "wal") != walMount || mountOf(relay, "wal") != walMount {
		t.Errorf("%s: app and relay must mount volume wal at %s (app %q, relay %q)", writer, walMount, mountOf(app, "wal"), mountOf(relay, "wal"))
	}
	for _, c := range []*corev1.Container{app, relay} {
		if v := envValue(t, c, "WAL_DIR"); v != walDir {
			t.Errorf("%s: WAL_DIR %q, want %q (a subdirectory of the mount)", c.Name, v, walDir)
		}
		if v := c.VolumeMounts; slices.ContainsFunc(v, func(m corev1.VolumeMount) bool { return m.Name == "wal" && m.ReadOnly }) {
			t.Errorf("%s: wal mounted read-only", c.Name)
		}
	}
	if relay.ReadinessProbe != nil {
		t.Errorf("%s: wal-relay must not gate the pod's readiness (its /readyz fails while Kafka is down, when the WAL must still accept writes)", writer)
	}
	if pod.SecurityContext == nil || pod.SecurityContext.FSGroup == nil {
		t.Errorf("%s: no fsGroup: the non-root app cannot create WAL_DIR on the volume", writer)
	}
}

func TestUserCommandIsAStatefulSetWithAVolumePerPodAndTheRelayBeside(t *testing.T) {
	for label, r := range renderings(t) {
		t.Run(label, func(t *testing.T) {
			s := statefulSet(t, r, name("user-command"))
			pod := s.Spec.Template.Spec
			if len(s.Spec.VolumeClaimTemplates) != 1 || s.Spec.VolumeClaimTemplates[0].Name != "wal" {
				t.Fatalf("want one volume claim template named wal, got %v", s.Spec.VolumeClaimTemplates)
			}
			claim := s.Spec.VolumeClaimTemplates[0].Spec
			if !slices.Contains(claim.AccessModes, corev1.ReadWriteOnce) || claim.Resources.Requests.Storage().IsZero() {
				t.Errorf("wal claim: access %v, storage %v", claim.AccessModes, claim.Resources.Requests.Storage())
			}
			if slices.ContainsFunc(pod.Volumes, func(v corev1.Volume) bool { return v.Name == "wal" }) {
				t.Error("a pod volume named wal shadows the claim template")
			}
			checkWalSidecar(t, pod, "user-command")
			app := findContainer(pod, "user-command")
			walName := env(app, "WAL_NAME")
			if walName == nil || walName.ValueFrom == nil || walName.ValueFrom.FieldRef == nil || walName.ValueFrom.FieldRef.FieldPath != "metadata.name" {
				t.Errorf("WAL_NAME must be the pod name (stable in a StatefulSet, one writer per log), got %+v", walName)
			}
			if s.Spec.ServiceName == "" || !slices.ContainsFunc(r.Services, func(svc *corev1.Service) bool {
				return svc.Name == s.Spec.ServiceName && svc.Spec.ClusterIP == corev1.ClusterIPNone
			}) {
				t.Errorf("serviceName %q is not a headless Service of the chart", s.Spec.ServiceName)
			}
		})
	}
}

func TestGatewayAndConsumerAreDeploymentsWithHPAAndPDB(t *testing.T) {
	for label, r := range renderings(t) {
		t.Run(label, func(t *testing.T) {
			for _, component := range []string{"auth-gateway", "user-consumer"} {
				d := deployment(t, r, name(component))
				podLabels := labels.Set(d.Spec.Template.Labels)
				hpas := 0
				for _, h := range r.HPAs {
					if h.Spec.ScaleTargetRef.Kind == "Deployment" && h.Spec.ScaleTargetRef.Name == d.Name {
						hpas++
						if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 || h.Spec.MaxReplicas < *h.Spec.MinReplicas {
							t.Errorf("%s HPA: min %v max %d (want 2 <= min <= max)", component, h.Spec.MinReplicas, h.Spec.MaxReplicas)
						}
						if d.Spec.Replicas != nil {
							t.Errorf("%s: Deployment sets replicas while an HPA owns them (every upgrade would reset the scale)", component)
						}
					}
				}
				if hpas == 0 && label == "defaults" {
					t.Errorf("%s: no HorizontalPodAutoscaler", component)
				}
				if hpas == 0 && (d.Spec.Replicas == nil || *d.Spec.Replicas < 2) {
					t.Errorf("%s: without an HPA, want >= 2 replicas, got %v", component, d.Spec.Replicas)
				}
				pdbs := 0
				for _, p := range r.PDBs {
					sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
					if err != nil {
						t.Fatal(err)
					}
					if sel.Matches(podLabels) {
						pdbs++
						if p.Spec.MinAvailable == nil && p.Spec.MaxUnavailable == nil {
							t.Errorf("%s PDB %s bounds nothing", component, p.Name)
						}
					}
				}
				if pdbs != 1 {
					t.Errorf("%s: %d PodDisruptionBudgets select its pods, want 1", component, pdbs)
				}
			}
			checkWalSidecar(t, deployment(t, r, name("auth-gateway")).Spec.Template.Spec, "auth-gateway")
		})
	}
}

// routes are the paths libs/service-kit serves on every app: the probes must use real ones.
func routes(t *testing.T) []string {
	src, err := os.ReadFile(filepath.Join(repoRoot, "libs", "service-kit", "src", "http.ts"))
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, m := range regexp.MustCompile(`app\.get\('([^']+)'`).FindAllStringSubmatch(string(src), -1) {
		paths = append(paths, m[1])
	}
	return paths
}

func probePort(t *testing.T, c *corev1.Container, p *corev1.Probe) int32 {
	t.Helper()
	if p.HTTPGet == nil {
		t.Fatalf("%s: probe is not an HTTP GET", c.Name)
	}
	if p.HTTPGet.Port.StrVal == "" {
		return p.HTTPGet.Port.IntVal
	}
	for _, port := range c.Ports {
		if port.Name == p.HTTPGet.Port.StrVal {
			return port.ContainerPort
		}
	}
	t.Fatalf("%s: probe port %q is no container port", c.Name, p.HTTPGet.Port.StrVal)
	return 0
}

func TestProbesUseTheServicesRealPathsAndPorts(t *testing.T) {
	served := routes(t)
	for _, p := range []string{readyz, healthz} {
		if !slices.Contains(served, p) {
			t.Fatalf("libs/service-kit does not serve %s (serves %v)", p, served)
		}
	}
	for label, r := range renderings(t) {
		t.Run(label, func(t *testing.T) {
			seen := map[string]bool{}
			for _, w := range workloads(r) {
				for _, c := range allContainers(w.pod.Spec) {
					listen, isApp := listenEnv[c.Name]
					if !isApp {
						continue
					}
					seen[c.Name] = true
					if host := envValue(t, &c, listen[0]); host != "0.0.0.0" {
						t.Errorf("%s: %s=%q: probes and Services cannot reach a loopback listener", c.Name, listen[0], host)
					}
					port := envValue(t, &c, listen[1])
					if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != healthz {
						t.Errorf("%s: liveness must GET %s", c.Name, healthz)
					} else if got := probePort(t, &c, c.LivenessProbe); port != itoa(got) {
						t.Errorf("%s: liveness on port %d, app listens on %s", c.Name, got, port)
					}
					if c.Name == "wal-relay" {
						continue // no readiness: see checkWalSidecar
					}
					if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != readyz {
						t.Errorf("%s: readiness must GET %s", c.Name, readyz)
					} else if got := probePort(t, &c, c.ReadinessProbe); port != itoa(got) {
						t.Errorf("%s: readiness on port %d, app listens on %s", c.Name, got, port)
					}
				}
			}
			for app := range listenEnv {
				if !seen[app] {
					t.Errorf("no container %s rendered", app)
				}
			}
		})
	}
}

func itoa(n int32) string { b, _ := json.Marshal(n); return string(b) }

func TestEveryContainerHasResourcesAndRunsLockedDown(t *testing.T) {
	for label, r := range renderings(t) {
		t.Run(label, func(t *testing.T) {
			for _, w := range workloads(r) {
				pod := w.pod.Spec
				psc := pod.SecurityContext
				if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
					t.Errorf("%s: pod must run as a non-root uid: %+v", w.name, psc)
				}
				if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
					t.Errorf("%s: mounts a service account token it never uses", w.name)
				}
				volumes := map[string]corev1.Volume{}
				for _, v := range pod.Volumes {
					volumes[v.Name] = v
				}
				for _, c := range allContainers(pod) {
					where := w.name + "/" + c.Name
					for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
						if c.Resources.Requests.Name(res, "").IsZero() || c.Resources.Limits.Name(res, "").IsZero() {
							t.Errorf("%s: %s request and limit required", where, res)
						}
					}
					sc := c.SecurityContext
					if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
						t.Errorf("%s: root filesystem must be read-only", where)
					}
					if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
						t.Errorf("%s: allowPrivilegeEscalation must be false", where)
					}
					if sc == nil || sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
						t.Errorf("%s: capabilities must drop ALL and add none", where)
					}
					if sc != nil && sc.RunAsUser != nil && *sc.RunAsUser == 0 {
						t.Errorf("%s: runs as root", where)
					}
					// Writable places: the WAL volume and an emptyDir /tmp, nothing else.
					for _, m := range c.VolumeMounts {
						switch {
						case m.MountPath == walMount && m.Name == "wal":
						case m.MountPath == "/tmp" && volumes[m.Name].EmptyDir != nil:
						default:
							t.Errorf("%s: mount %s at %s: only the WAL and an emptyDir /tmp may be writable", where, m.Name, m.MountPath)
						}
					}
				}
			}
		})
	}
}

// varRef matches Kubernetes' $(VAR) expansion in env values.
var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

func TestSecretsComeFromTheSecretOnly(t *testing.T) {
	for label, r := range renderings(t) {
		t.Run(label, func(t *testing.T) {
			secretName := name("secrets")
			for _, w := range workloads(r) {
				for _, c := range allContainers(w.pod.Spec) {
					where := w.name + "/" + c.Name
					allowed, known := secretsOf[c.Name]
					if !known {
						t.Errorf("%s: unknown container (add it to secretsOf)", where)
						continue
					}
					if len(c.EnvFrom) > 0 {
						t.Errorf("%s: envFrom would hand it every key", where)
					}
					defined := map[string]bool{}
					var got []string
					for _, e := range c.Env {
						if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
							ref := e.ValueFrom.SecretKeyRef
							if ref.Name != secretName || ref.Key != e.Name {
								t.Errorf("%s: %s from secret %s key %s, want %s key %s", where, e.Name, ref.Name, ref.Key, secretName, e.Name)
							}
							got = append(got, e.Name)
						}
						if looksSecret(e.Name) && (e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
							t.Errorf("%s: %s is a secret but not from the Secret", where, e.Name)
						}
						for _, m := range varRef.FindAllStringSubmatch(e.Value, -1) {
							if !defined[m[1]] {
								t.Errorf("%s: %s refers to $(%s) before it is defined (Kubernetes would keep the text as it is)", where, e.Name, m[1])
							}
						}
						if strings.Contains(e.Value, "://") && strings.Contains(e.Value, "@") && !varRef.MatchString(e.Value) {
							t.Errorf("%s: %s carries credentials in plain text: %s", where, e.Name, e.Value)
						}
						defined[e.Name] = true
					}
					slices.Sort(got)
					want := slices.Sorted(slices.Values(allowed))
					if !slices.Equal(got, want) {
						t.Errorf("%s: secrets %v, want exactly %v", where, got, want)
					}
				}
			}
			for _, s := range r.Secrets {
				if s.Name != secretName {
					t.Errorf("unexpected Secret %s", s.Name)
				}
				for _, keys := range secretsOf {
					for _, k := range keys {
						if s.StringData[k] == "" {
							t.Errorf("Secret %s lacks %s", s.Name, k)
						}
					}
				}
			}
			if (label == "custom") != (len(r.Secrets) == 1) {
				t.Errorf("%s: %d Secrets rendered (the chart makes one only with secret.create)", label, len(r.Secrets))
			}
		})
	}
}

func looksSecret(n string) bool {
	return strings.Contains(n, "PASSWORD") || strings.Contains(n, "SECRET") || strings.Contains(n, "TOKEN") || strings.Contains(n, "HMAC")
}

func TestEndpointsComeFromValues(t *testing.T) {
	r := render(t, filepath.Join(chartDir, "ci", "custom-values.yaml"))
	for _, w := range workloads(r) {
		for _, c := range allContainers(w.pod.Spec) {
			if e := env(&c, "KAFKA_BROKERS"); e != nil && e.Value != "kafka-0.kafka:9092,kafka-1.kafka:9092,kafka-2.kafka:9092" {
				t.Errorf("%s: KAFKA_BROKERS %q", c.Name, e.Value)
			}
			if e := env(&c, "DATABASE_URL"); e != nil && e.Value != "postgresql://accounts:$(POSTGRES_PASSWORD)@pg.data.svc:5433/accounts" {
				t.Errorf("%s: DATABASE_URL %q", c.Name, e.Value)
			}
			if e := env(&c, "REDIS_URL"); e != nil {
				if e.Value != "redis://app:$(REDIS_PASSWORD)@redis.data.svc:6380" {
					t.Errorf("%s: REDIS_URL %q", c.Name, e.Value)
				}
				if n := env(&c, "REDIS_CLUSTER_NODES"); n == nil || n.Value != "redis-0:6379,redis-1:6379,redis-2:6379" {
					t.Errorf("%s: REDIS_CLUSTER_NODES %+v", c.Name, n)
				}
			}
			if c.Name != "kafka-topics" && !strings.HasPrefix(c.Image, "registry.example.com/usersys/usersys-") || strings.Contains(c.Image, "//") {
				t.Errorf("%s: image %q", c.Name, c.Image)
			}
		}
	}
	gw := findContainer(deployment(t, r, name("auth-gateway")).Spec.Template.Spec, "auth-gateway")
	if v := envValue(t, gw, "USER_COMMAND_URLS"); !strings.HasPrefix(v, "http://"+name("user-command")+"-0."+name("user-command")+"-headless.") {
		t.Errorf("USER_COMMAND_URLS %q", v)
	}
	if v := envValue(t, gw, "TRUST_PROXY"); v != "10.0.0.0/8" {
		t.Errorf("TRUST_PROXY %q", v)
	}
	if v := envValue(t, gw, "LOGIN_RATE_LIMIT"); v != "1000" {
		t.Errorf("extra env LOGIN_RATE_LIMIT %q", v)
	}
	if sc := statefulSet(t, r, name("user-command")).Spec.VolumeClaimTemplates[0].Spec.StorageClassName; sc == nil || *sc != "fast-ssd" {
		t.Errorf("storage class %v", sc)
	}
}

// Services select the pods of exactly one workload and target a port those pods name.
func TestServicesReachTheirPods(t *testing.T) {
	r := render(t)
	for _, svc := range r.Services {
		sel := labels.SelectorFromSet(svc.Spec.Selector)
		var matched []workload
		for _, w := range workloads(r) {
			if w.kind != "Job" && sel.Matches(labels.Set(w.pod.Labels)) {
				matched = append(matched, w)
			}
		}
		if len(matched) != 1 {
			t.Errorf("Service %s selects %d workloads, want 1", svc.Name, len(matched))
			continue
		}
		for _, p := range svc.Spec.Ports {
			if !slices.ContainsFunc(allContainers(matched[0].pod.Spec), func(c corev1.Container) bool {
				return slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool { return cp.Name == p.TargetPort.StrVal })
			}) {
				t.Errorf("Service %s port %s targets %q, which no container of %s names", svc.Name, p.Name, p.TargetPort.String(), matched[0].name)
			}
		}
	}
	// The gateway calls each user-command pod through the headless Service (replicas_test.go).
	gw := deployment(t, r, name("auth-gateway"))
	for _, url := range splitList(envValue(t, findContainer(gw.Spec.Template.Spec, "auth-gateway"), "USER_COMMAND_URLS")) {
		if !slices.ContainsFunc(r.Services, func(s *corev1.Service) bool {
			return strings.Contains(url, "."+s.Name+"."+namespace+".svc:") && s.Spec.ClusterIP == corev1.ClusterIPNone
		}) {
			t.Errorf("USER_COMMAND_URLS entry %s names no headless Service of the chart", url)
		}
	}
}

// Topic names come from libs/event-schema through files/contract.json (tools/helm-contract.ts).
func TestTopicsJobCreatesEveryContractTopic(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(chartDir, "files", "contract.json"))
	if err != nil {
		t.Fatal(err)
	}
	var contract struct{ Topics map[string]string }
	if err := json.Unmarshal(raw, &contract); err != nil || len(contract.Topics) == 0 {
		t.Fatalf("files/contract.json: %v %v", err, contract)
	}
	r := render(t)
	var script string
	for _, j := range r.Jobs {
		if j.Name == name("kafka-topics") {
			script = strings.Join(j.Spec.Template.Spec.Containers[0].Args, "\n")
		}
	}
	if script == "" {
		t.Fatal("no kafka-topics Job")
	}
	for role, topic := range contract.Topics {
		if !regexp.MustCompile(`--topic "` + regexp.QuoteMeta(topic) + `" --partitions [1-9]`).MatchString(script) {
			t.Errorf("topic %s (%s) not created with partitions:\n%s", topic, role, script)
		}
	}
	if !strings.Contains(script, "--replication-factor 3") || !strings.Contains(script, "min.insync.replicas=2") {
		t.Errorf("topics not replicated 3 / min ISR 2:\n%s", script)
	}
}

func TestMoreConsumersThanPartitionsIsRefused(t *testing.T) {
	_, err := helmTemplate(t, nil, "kafka.partitions.events=4")
	if err == nil || !strings.Contains(err.Error(), "would idle") {
		t.Fatalf("6 consumer replicas over 4 partitions rendered: %v", err)
	}
	if _, err := helmTemplate(t, nil, "secret.create=true"); err == nil || !strings.Contains(err.Error(), "is required") {
		t.Fatalf("secret.create without values rendered: %v", err)
	}
}

// The chart's default ports are the apps' own defaults (apps/*/src/config.ts, docs/architecture.md), so
// the ports in values.yaml stay the one set the code declares.
func TestDefaultPortsAreTheAppsDefaults(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "apps", "*", "src", "config.ts"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no apps/*/src/config.ts: %v", err)
	}
	defaults := map[string]string{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`envPort\(env, '([A-Z_]+)', (\d+)\)`).FindAllStringSubmatch(string(src), -1) {
			defaults[m[1]] = m[2]
		}
	}
	r := render(t)
	for app, listen := range listenEnv {
		want, ok := defaults[listen[1]]
		if !ok {
			t.Errorf("%s: no envPort(env, '%s', <default>) in apps/*/src/config.ts", app, listen[1])
			continue
		}
		found := false
		for _, w := range workloads(r) {
			if c := findContainer(w.pod.Spec, app); c != nil {
				found = true
				if got := envValue(t, c, listen[1]); got != want {
					t.Errorf("%s in %s: %s=%s, the app's default is %s", app, w.name, listen[1], got, want)
				}
			}
		}
		if !found {
			t.Errorf("no container %s", app)
		}
	}
}

// Hooks: the Jobs run before install/upgrade, and a Secret the chart makes exists before the Jobs
// that read it (a lower hook weight), since hooks run before the release's ordinary objects.
func TestHooksRunInOrder(t *testing.T) {
	r := render(t, filepath.Join(chartDir, "ci", "custom-values.yaml"))
	weight := func(m metav1.ObjectMeta) (string, string) {
		return m.Annotations["helm.sh/hook"], m.Annotations["helm.sh/hook-weight"]
	}
	if len(r.Secrets) != 1 {
		t.Fatalf("%d Secrets", len(r.Secrets))
	}
	secretHook, secretWeight := weight(r.Secrets[0].ObjectMeta)
	if len(r.Jobs) != 2 {
		t.Fatalf("want the topics and migrations Jobs, got %d", len(r.Jobs))
	}
	for _, j := range r.Jobs {
		hook, w := weight(j.ObjectMeta)
		if hook != "pre-install,pre-upgrade" || secretHook != hook {
			t.Errorf("%s: hook %q, Secret hook %q: both must be pre-install,pre-upgrade", j.Name, hook, secretHook)
		}
		if atoi(t, secretWeight) >= atoi(t, w) {
			t.Errorf("%s: weight %s, Secret %s: the Secret must come first", j.Name, w, secretWeight)
		}
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if err := json.Unmarshal([]byte(s), &n); err != nil {
		t.Fatalf("hook weight %q: %v", s, err)
	}
	return n
}
