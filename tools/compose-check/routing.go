package main

// user-command replicas (issue 14): the gateways route each username to one user-command replica by
// rendezvous hashing over USER_COMMAND_URLS, and each replica refuses writes for names it does not
// own (USER_COMMAND_SELF). A name's writes stay in one WAL, relayed in order, only if:
//   - the list names every command replica by its own service name, on the gateways and replicas alike;
//   - each replica's SELF is its own entry and it cannot be scaled (two containers behind one name
//     would split a name's writes over two WALs): container_name, which makes compose refuse --scale;
//   - each WAL volume (every replica's, and the gateways' audit WAL) has exactly one relay, which
//     reads that volume at its WAL_DIR, and no two replicas share a volume.

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// appOf: the app a service's image is built for (build arg APP), "" for the one-shot jobs (the migrate target).
func appOf(svc types.ServiceConfig) string {
	if svc.Build == nil || svc.Build.Target != "" || svc.Build.Args["APP"] == nil {
		return ""
	}
	return *svc.Build.Args["APP"]
}

func isCommandReplica(svc types.ServiceConfig) bool { return appOf(svc) == "user-command" }

// commandReplicas: the long-running user-command services, by name.
func commandReplicas(p *types.Project) []string {
	var names []string
	for _, n := range sortedNames(p) {
		if isCommandReplica(p.Services[n]) {
			names = append(names, n)
		}
	}
	return names
}

// origins: a URL list as the apps read it (envUrlList: origins, comma-separated), sorted.
func origins(list string) ([]string, error) {
	var out []string
	for _, entry := range strings.Split(list, ",") {
		if entry = strings.TrimSpace(entry); entry == "" {
			continue
		}
		u, err := url.Parse(entry)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("%q is not a URL", entry)
		}
		out = append(out, u.Scheme+"://"+u.Host)
	}
	slices.Sort(out)
	return out, nil
}

// walVolume: the named volume a service mounts at its WAL_DIR ("" if none).
func walVolume(svc types.ServiceConfig) string {
	dir := strings.TrimSuffix(value(svc.Environment, "WAL_DIR"), "/")
	for _, v := range svc.Volumes {
		if dir != "" && v.Type == types.VolumeTypeVolume && strings.TrimSuffix(v.Target, "/") == dir {
			return v.Source
		}
	}
	return ""
}

func checkRouting(p *types.Project) []string {
	var failures []string
	fail := func(format string, args ...any) { failures = append(failures, fmt.Sprintf(format, args...)) }

	replicas := commandReplicas(p)
	if len(replicas) == 0 {
		return []string{"no user-command service (build arg APP: user-command)"}
	}
	var want []string
	for _, n := range replicas {
		port := value(p.Services[n].Environment, "USER_COMMAND_PORT")
		if port == "" {
			port = "8081" // the app's default (apps/user-command/src/config.ts)
		}
		want = append(want, "http://"+n+":"+port)
	}
	slices.Sort(want)

	for _, n := range sortedNames(p) {
		svc := p.Services[n]
		_, hasList := svc.Environment["USER_COMMAND_URLS"]
		if _, single := svc.Environment["USER_COMMAND_URL"]; single {
			fail("%s: USER_COMMAND_URL is one address for every user-command replica; list each in USER_COMMAND_URLS", n)
		}
		if !hasList && !isCommandReplica(svc) && appOf(svc) != "auth-gateway" {
			continue
		}
		got, err := origins(value(svc.Environment, "USER_COMMAND_URLS"))
		if err != nil || !slices.Equal(got, want) {
			fail("%s: USER_COMMAND_URLS %q must name every user-command replica by its service name: %s", n, value(svc.Environment, "USER_COMMAND_URLS"), strings.Join(want, ","))
		}
	}

	for _, n := range replicas {
		svc := p.Services[n]
		self, err := origins(value(svc.Environment, "USER_COMMAND_SELF"))
		port := value(svc.Environment, "USER_COMMAND_PORT")
		if port == "" {
			port = "8081"
		}
		if err != nil || len(self) != 1 || self[0] != "http://"+n+":"+port {
			fail("%s: USER_COMMAND_SELF %q must be its own entry http://%s:%s", n, value(svc.Environment, "USER_COMMAND_SELF"), n, port)
		}
		if svc.ContainerName == "" {
			fail("%s can be scaled (--scale): two containers behind one replica's name would split a username's writes over two WALs; give it a container_name", n)
		}
	}

	// WAL volumes: one relay each, reading it at its WAL_DIR; one command replica per volume.
	relaysOf := map[string][]string{}
	for _, n := range sortedNames(p) {
		svc := p.Services[n]
		if appOf(svc) != "wal-relay" {
			continue
		}
		if svc.ContainerName == "" {
			fail("%s can be scaled (--scale): two relays on one WAL would send its records twice; give it a container_name", n)
		}
		if v := walVolume(svc); v == "" {
			fail("%s: WAL_DIR is not a named volume", n)
		} else {
			relaysOf[v] = append(relaysOf[v], n)
		}
	}
	writerOf := map[string]string{}
	for _, n := range sortedNames(p) {
		svc := p.Services[n]
		app := appOf(svc)
		if app == "" || app == "wal-relay" || value(svc.Environment, "WAL_DIR") == "" {
			continue
		}
		v := walVolume(svc)
		if v == "" {
			continue // reported by the WAL_DIR rule in Check
		}
		if len(relaysOf[v]) != 1 {
			fail("%s: its WAL volume %s is read by %d relays %v, want exactly 1", n, v, len(relaysOf[v]), relaysOf[v])
		}
		if other, taken := writerOf[v]; taken && isCommandReplica(svc) {
			fail("%s shares its WAL volume %s with %s: each replica has its own WAL and relay", n, v, other)
		}
		writerOf[v] = n
	}
	for v, relays := range relaysOf {
		if _, ok := writerOf[v]; !ok {
			fail("%v: relays WAL volume %s, which no app writes", relays, v)
		}
	}
	return failures
}
