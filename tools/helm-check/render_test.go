package helmcheck

// Rendering and strict decoding: `helm template` output, every document decoded into its
// k8s.io/api type with unknown and duplicate fields refused (sigs.k8s.io/yaml UnmarshalStrict).
// Neither helm lint nor helm template checks Kubernetes' schemas; this does.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// repoRoot is two levels up from tools/helm-check.
var repoRoot = func() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}()

var chartDir = filepath.Join(repoRoot, "infra", "helm", "usersys")

// Release name used for every rendering: resources are named release-usersys-<component>.
const release = "release"

func helmBin(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("HELM_BIN")
	if bin == "" {
		t.Fatal("HELM_BIN is not set: run this through tools/helm-check.sh, which builds helm")
	}
	return bin
}

// helmTemplate renders the chart with the given values files and --set flags.
func helmTemplate(t *testing.T, valueFiles []string, sets ...string) ([]byte, error) {
	t.Helper()
	return helmTemplateAs(t, release, valueFiles, sets...)
}

func helmTemplateAs(t *testing.T, releaseName string, valueFiles []string, sets ...string) ([]byte, error) {
	t.Helper()
	args := []string{"template", releaseName, chartDir, "--namespace", "usersys"}
	for _, f := range valueFiles {
		args = append(args, "--values", f)
	}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	cmd := exec.Command(helmBin(t), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("helm %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

// Rendered holds every object of one rendering, by kind.
type Rendered struct {
	StatefulSets []*appsv1.StatefulSet
	Deployments  []*appsv1.Deployment
	Services     []*corev1.Service
	Secrets      []*corev1.Secret
	Jobs         []*batchv1.Job
	HPAs         []*autoscalingv2.HorizontalPodAutoscaler
	PDBs         []*policyv1.PodDisruptionBudget
	ConfigMaps   []*corev1.ConfigMap
}

// decodeStrict decodes one document into out, refusing unknown and duplicate fields.
func decodeStrict(doc []byte, out any) error {
	return yaml.UnmarshalStrict(doc, out)
}

func decodeAll(stream []byte) (*Rendered, error) {
	r := &Rendered{}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(stream)))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return nil, fmt.Errorf("not a manifest: %v\n%s", err, doc)
		}
		var target any
		switch meta.APIVersion + " " + meta.Kind {
		case "apps/v1 StatefulSet":
			o := &appsv1.StatefulSet{}
			r.StatefulSets, target = append(r.StatefulSets, o), o
		case "apps/v1 Deployment":
			o := &appsv1.Deployment{}
			r.Deployments, target = append(r.Deployments, o), o
		case "v1 Service":
			o := &corev1.Service{}
			r.Services, target = append(r.Services, o), o
		case "v1 Secret":
			o := &corev1.Secret{}
			r.Secrets, target = append(r.Secrets, o), o
		case "batch/v1 Job":
			o := &batchv1.Job{}
			r.Jobs, target = append(r.Jobs, o), o
		case "autoscaling/v2 HorizontalPodAutoscaler":
			o := &autoscalingv2.HorizontalPodAutoscaler{}
			r.HPAs, target = append(r.HPAs, o), o
		case "policy/v1 PodDisruptionBudget":
			o := &policyv1.PodDisruptionBudget{}
			r.PDBs, target = append(r.PDBs, o), o
		case "v1 ConfigMap":
			o := &corev1.ConfigMap{}
			r.ConfigMaps, target = append(r.ConfigMaps, o), o
		default:
			return nil, fmt.Errorf("unexpected kind %q %q (add it to decodeAll and to the rules)", meta.APIVersion, meta.Kind)
		}
		if err := decodeStrict(doc, target); err != nil {
			return nil, fmt.Errorf("%s: strict decode: %v\n%s", meta.Kind, err, doc)
		}
	}
	return r, nil
}

func stripComments(doc []byte) []byte {
	var b bytes.Buffer
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.Bytes()
}

func render(t *testing.T, valueFiles ...string) *Rendered {
	t.Helper()
	out, err := helmTemplate(t, valueFiles)
	if err != nil {
		t.Fatal(err)
	}
	r, err := decodeAll(out)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestStrictDecodeRefusesUnknownFields: the decoder is really strict (a typo'd field fails).
func TestStrictDecodeRefusesUnknownFields(t *testing.T) {
	doc := []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replica: 2\n")
	if _, err := decodeAll(doc); err == nil || !strings.Contains(err.Error(), "replica") {
		t.Fatalf("unknown field accepted: %v", err)
	}
	dup := []byte("apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {type: ClusterIP, type: NodePort}\n")
	if _, err := decodeAll(dup); err == nil {
		t.Fatal("duplicate field accepted")
	}
	kind := []byte("apiVersion: v1\nkind: ConfigMapp\nmetadata: {name: x}\n")
	if _, err := decodeAll(kind); err == nil {
		t.Fatal("unknown kind accepted")
	}
}
