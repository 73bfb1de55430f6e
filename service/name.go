package service

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// Name is the official service name for a runner (runner-contract.md §4.1,
// ServiceControlManager.cs): actions.runner.<scope>.<runner>, where scope
// is owner-repo, org or enterprises-slug. Characters outside
// [0-9A-Za-z._-] become '-' in both parts (the official code does this
// for the scope only, and svc.sh turns spaces into '_'; runnerctl keeps
// the name safe as a file name everywhere). Past the official limit (150
// characters with ".service" on Linux and macOS, 80 on Windows) the scope
// is cut to 70 (45) characters, the runner part by what is still over,
// and "-NNNN" is appended, as the official code does; NNNN is derived
// from the full name instead of random, so the same runner always gets
// the same name.
func Name(scope, runner, goos string) string {
	scope, runner = sanitize(scope), sanitize(strings.ReplaceAll(runner, " ", "_"))
	limit, scopeMax, suffix := 150, 70, ".service"
	switch goos {
	case "windows":
		limit, scopeMax, suffix = 80, 45, ""
	case "darwin":
		suffix = ""
	}
	full := "actions.runner." + scope + "." + runner + suffix
	if len(full) <= limit {
		return strings.TrimSuffix(full, ".service")
	}
	h := fnv.New32a()
	h.Write([]byte(full))
	tag := fmt.Sprintf("-%04d", 1000+h.Sum32()%8999)
	if len(scope) > scopeMax {
		scope = scope[:scopeMax]
	}
	over := len("actions.runner."+scope+"."+runner+suffix) - limit
	if over > 0 {
		runner = runner[:max(len(runner)-over-len(tag), 1)]
	}
	return "actions.runner." + scope + "." + runner + tag
}

// DisplayName is the official display name, never truncated.
func DisplayName(scope, runner string) string {
	return "GitHub Actions Runner (" + sanitize(scope) + "." + runner + ")"
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '.', r == '_', r == '-':
			return r
		}
		return '-'
	}, s)
}
