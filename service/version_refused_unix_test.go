//go:build !windows

package service

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A listener whose version the server refuses exits 7 (the supervisor
// asks for it with ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE=1,
// as the official service does): it is not relaunched, and the message
// the supervisor ends with (its status file's, which `status` shows)
// says which version and what to run. Exit 1 after the server's refusal
// (a listener that did not get the variable) is the same refusal.
func TestSupervisorVersionRefused(t *testing.T) {
	for _, withVar := range []bool{true, false} {
		dir := fakeListener(t, "refused", "0")
		s, code := quick(dir), "7"
		if !withVar {
			code = "1"
			replaceCode(t, dir)
		}
		err := s.Run(context.Background())
		want := "runner listener exited " + code + ": runner version 2.300.0 refused: run runnerctl update"
		if !errors.Is(err, ErrStopped) || !strings.Contains(err.Error(), want) {
			t.Errorf("Run: %v, want ErrStopped and %q", err, want)
		}
		if n := len(starts(t, dir)); n != 1 {
			t.Errorf("%d starts, want 1: a refused version is not relaunched", n)
		}
		st := SupervisorStatus{State: SupStopped, Message: err.Error(), RunnerVersion: "2.300.0"}
		if !strings.Contains(st.String(), "runner version 2.300.0 refused: run runnerctl update") {
			t.Errorf("status %q", st.String())
		}
	}
	if env := (&Supervisor{Dir: t.TempDir()}).listenerEnv(); !slices.Contains(env, VersionDeprecatedExitVar+"=1") {
		t.Errorf("the listener's environment has no %s=1: %q", VersionDeprecatedExitVar, env)
	}
}

// replaceCode makes the fake listener ignore the variable (exit 1).
func replaceCode(t *testing.T, dir string) {
	t.Helper()
	p := filepath.Join(dir, "bin", "Runner.Listener")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), "&& exit 7", "&& exit 1", 1)), 0o755); err != nil {
		t.Fatal(err)
	}
}
