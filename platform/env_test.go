package platform

import (
	"strings"
	"testing"
)

func TestChildEnv(t *testing.T) {
	t.Setenv("GITHUB_TOKEN", "ghp_secret")
	t.Setenv("RUNNERCTL_ACCESS_TOKEN", "ghp_other")
	t.Setenv("ACTIONS_RUNNER_INPUT_TOKEN", "AREG")
	t.Setenv("RUNNER_ALLOW_RUNASROOT", "1")
	t.Setenv("KEEP_ME", "yes")
	env := strings.Join(ChildEnv("RUNNER_ALLOW_RUNASROOT"), "\n")
	for _, gone := range []string{"ghp_secret", "ghp_other", "AREG", "RUNNER_ALLOW_RUNASROOT"} {
		if strings.Contains(env, gone) {
			t.Errorf("%s reached the child environment", gone)
		}
	}
	if !strings.Contains(env, "KEEP_ME=yes") {
		t.Error("an ordinary variable was dropped")
	}
}
