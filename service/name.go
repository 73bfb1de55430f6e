package service

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// nameRule is a service manager's limit on service names: the whole name
// with Suffix at most Limit characters, the scope cut to ScopeMax first.
type nameRule struct {
	Limit, ScopeMax int
	Suffix          string
}

// The official limits (runner-contract.md §4.1): 150 characters with
// ".service" under systemd, 150 on macOS, 80 on Windows.
func linuxRule() nameRule   { return nameRule{150, 70, ".service"} }
func darwinRule() nameRule  { return nameRule{150, 70, ""} }
func windowsRule() nameRule { return nameRule{80, 45, ""} }

// Name is the official service name for a runner on this OS
// (runner-contract.md §4.1, ServiceControlManager.cs):
// actions.runner.<scope>.<runner>, where scope is owner-repo, org or
// enterprises-slug. Characters outside [0-9A-Za-z._-] become '-' in both
// parts (the official code does this for the scope only, and svc.sh turns
// spaces into '_'; runnerctl keeps the name safe as a file name
// everywhere). Past the limit (hostRule) the scope is cut, the runner part
// by what is still over, and "-NNNN" is appended, as the official code
// does; NNNN is derived from the full name instead of random, so the same
// runner always gets the same name.
func Name(scope, runner string) string { return nameFor(scope, runner, hostRule()) }

func nameFor(scope, runner string, r nameRule) string {
	scope, runner = sanitize(scope), sanitize(strings.ReplaceAll(runner, " ", "_"))
	full := "actions.runner." + scope + "." + runner + r.Suffix
	if len(full) <= r.Limit {
		return strings.TrimSuffix(full, ".service")
	}
	h := fnv.New32a()
	h.Write([]byte(full))
	tag := fmt.Sprintf("-%04d", 1000+h.Sum32()%8999)
	if len(scope) > r.ScopeMax {
		scope = scope[:r.ScopeMax]
	}
	over := len("actions.runner."+scope+"."+runner+r.Suffix) - r.Limit
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
