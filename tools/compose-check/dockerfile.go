package main

import (
	"os"
	"regexp"
	"strings"
)

// What compose-check needs to know of an image it builds, per Dockerfile stage: the user the
// container runs as, whether it has a HEALTHCHECK, and which directories it hands to which owner.
// A line scanner, not a full Dockerfile parser: enough for infra/docker/app.Dockerfile.
type stage struct {
	name        string
	base        string
	user        string
	healthcheck bool
	chowned     map[string]string // path -> owner given by `chown owner[:group] path`
}

type dockerfile struct{ stages []*stage }

func readDockerfile(path string) (*dockerfile, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	// Join continuation lines, drop comments.
	joined := regexp.MustCompile(`\\\n`).ReplaceAllString(string(text), " ")
	from := regexp.MustCompile(`(?i)^FROM\s+(\S+)(?:\s+AS\s+(\S+))?`)
	chown := regexp.MustCompile(`chown\s+(?:-R\s+)?([\w.-]+)(?::[\w.-]+)?\s+([^;&|]+)`)
	d := &dockerfile{}
	var cur *stage
	for _, line := range strings.Split(joined, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if m := from.FindStringSubmatch(line); m != nil {
			cur = &stage{name: strings.ToLower(m[2]), base: strings.ToLower(m[1]), chowned: map[string]string{}}
			// A stage built FROM an earlier one starts with what that one had.
			if parent := d.named(cur.base); parent != nil {
				cur.user, cur.healthcheck = parent.user, parent.healthcheck
				for k, v := range parent.chowned {
					cur.chowned[k] = v
				}
			}
			d.stages = append(d.stages, cur)
			continue
		}
		if cur == nil {
			continue
		}
		word := strings.ToUpper(strings.Fields(line)[0])
		rest := strings.TrimSpace(line[len(word):])
		switch word {
		case "USER":
			cur.user = strings.Split(rest, ":")[0]
		case "HEALTHCHECK":
			cur.healthcheck = !strings.EqualFold(rest, "NONE")
		case "RUN":
			for _, m := range chown.FindAllStringSubmatch(rest, -1) {
				for _, p := range strings.Fields(m[2]) {
					cur.chowned[p] = m[1]
				}
			}
		}
	}
	return d, nil
}

func (d *dockerfile) named(name string) *stage {
	for _, s := range d.stages {
		if s.name != "" && s.name == strings.ToLower(name) {
			return s
		}
	}
	return nil
}

// stage returns the build target, or the last stage when none is given (Docker's default).
func (d *dockerfile) stage(target string) *stage {
	if target != "" {
		if s := d.named(target); s != nil {
			return s
		}
		return &stage{}
	}
	if len(d.stages) == 0 {
		return &stage{}
	}
	return d.stages[len(d.stages)-1]
}

func (s *stage) owns(user, path string) bool {
	return s.chowned[strings.TrimSuffix(path, "/")] == user || s.chowned[path] == user
}
