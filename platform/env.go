package platform

import (
	"os"
	"strings"
)

// ChildEnv is the environment runnerctl hands to the runner's processes
// (config.sh, the listener): its own, without the API credentials it reads
// (GITHUB_TOKEN, RUNNERCTL_*), without ACTIONS_RUNNER_INPUT_* (set only
// on purpose, per call), and without the names in drop.
func ChildEnv(drop ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		uk := strings.ToUpper(k)
		if uk == "GITHUB_TOKEN" || strings.HasPrefix(uk, "RUNNERCTL_") || strings.HasPrefix(uk, "ACTIONS_RUNNER_INPUT_") {
			continue
		}
		skip := false
		for _, d := range drop {
			if uk == strings.ToUpper(d) {
				skip = true
			}
		}
		if !skip {
			out = append(out, kv)
		}
	}
	return out
}
