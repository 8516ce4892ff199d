package helmcheck

// The chart ships the alert rules of infra/prometheus/rules/ unchanged (a ConfigMap, one key per
// rule file), and leaves them out when prometheusRules.enabled is false.

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPrometheusRulesConfigMapHoldsTheRepositoryRules(t *testing.T) {
	out, err := helmTemplate(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := decodeAll(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.ConfigMaps) != 1 || r.ConfigMaps[0].Name != release+"-usersys-prometheus-rules" {
		t.Fatalf("want one ConfigMap %s-usersys-prometheus-rules, got %d", release, len(r.ConfigMaps))
	}
	files, err := filepath.Glob(filepath.Join(repoRoot, "infra", "prometheus", "rules", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule files under infra/prometheus/rules (%v)", err)
	}
	data := r.ConfigMaps[0].Data
	if len(data) != len(files) {
		t.Errorf("ConfigMap has %d rule files, infra/prometheus/rules has %d (run bash tools/prom-check.sh --fix)", len(data), len(files))
	}
	for _, f := range files {
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := data[filepath.Base(f)]; !ok || got != string(want) {
			t.Errorf("ConfigMap key %s differs from infra/prometheus/rules/%s (run bash tools/prom-check.sh --fix)", filepath.Base(f), filepath.Base(f))
		}
	}

	off, err := helmTemplate(t, nil, "prometheusRules.enabled=false")
	if err != nil {
		t.Fatal(err)
	}
	r, err = decodeAll(off)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.ConfigMaps) != 0 {
		t.Errorf("prometheusRules.enabled=false still renders %d ConfigMaps", len(r.ConfigMaps))
	}
}
