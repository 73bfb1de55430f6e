//go:build !windows

package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/platform/platformtest"
)

// updateListener writes a fake listener that, on its first start, starts
// an _update.sh-like child the way the real one does (SelfUpdater.cs:
// _work/_update.sh, run by bash, which waits for the listener to exit,
// then swaps bin/) and exits 3. The child takes about 2 s: it says
// "update.started", waits for the listener to exit, sleeps (the fake's
// own work, a slow disk), moves bin to bin.OLD and links bin to
// bin.NEW, writes update.swapped and then touches update.finished.
// detached puts it in a session of its own with its output elsewhere
// (as another runner might); else it stays in the listener's process
// group with the listener's output, as .NET's Process.Start leaves it.
func updateListener(t *testing.T, detached bool) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"bin", "bin.NEW", "_work"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	update := `#!/bin/sh
echo "$$" > update.started
while kill -0 "$1" 2>/dev/null; do sleep 0.05; done
sleep 2
mv bin bin.OLD && ln -s "$PWD/bin.NEW" bin && cp bin.OLD/Runner.Listener bin.NEW/ && echo ok > update.swapped
touch update.finished
`
	// sh ignores SIGINT in a background job; .NET's Process.Start does
	// not: env --default-signal (coreutils) undoes it.
	spawn := `env --default-signal sh _work/_update.sh "$$" &`
	if detached {
		spawn = `setsid sh _work/_update.sh "$$" </dev/null >/dev/null 2>&1 &`
	}
	listener := `#!/bin/sh
cd "$(dirname "$0")/.."
echo "start run" >> starts
if [ ! -e _work/_update.sh.done ]; then
    touch _work/_update.sh.done
    cat > _work/_update.sh <<'EOS'
` + update + `EOS
    echo "Listening for Jobs"
    ` + spawn + `
    exit 3
fi
echo "Listening for Jobs"
trap 'exit 0' INT
while :; do sleep 0.05; done
`
	if err := os.WriteFile(filepath.Join(dir, "bin", "Runner.Listener"), []byte(listener), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// waitFile waits (bounded) for a file the fakes write.
func waitFile(t *testing.T, path string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within %s", path, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A stop that arrives while _update.sh swaps bin/ does not end the
// supervisor (after which systemd's KillMode=mixed SIGKILLs the cgroup)
// before the update is done, and sends the update nothing: bin is the new
// version, update.finished was consumed.
func TestSupervisorStopDuringUpdate(t *testing.T) {
	for _, detached := range []bool{false, true} {
		name := map[bool]string{false: "in the listener's group", true: "detached"}[detached]
		t.Run(name, func(t *testing.T) {
			dir := updateListener(t, detached)
			s := quick(dir)
			s.UpdateWait = 20 * time.Second
			s.GroupGrace = time.Second
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- s.Run(ctx) }()
			waitFile(t, filepath.Join(dir, "update.started"), 10*time.Second)
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("Run did not return within 30 s of the stop")
			}
			// Run has returned: the service manager may now kill all that
			// is left. The update must be complete by then.
			if b, err := os.ReadFile(filepath.Join(dir, "update.swapped")); err != nil || string(b) != "ok\n" {
				t.Fatalf("the update was not complete when the supervisor returned: %v", err)
			}
			if target, err := os.Readlink(filepath.Join(dir, "bin")); err != nil || target != filepath.Join(dir, "bin.NEW") {
				t.Errorf("bin -> %q (%v), want bin.NEW", target, err)
			}
			if _, err := os.Stat(filepath.Join(dir, "bin", "Runner.Listener")); err != nil {
				t.Errorf("no listener in the new bin: %v", err)
			}
			if _, err := os.Stat(filepath.Join(dir, "update.finished")); err == nil {
				t.Error("update.finished was not consumed")
			}
			if n := len(starts(t, dir)); n != 1 {
				t.Errorf("the listener was started %d times, want 1 (no relaunch after a stop)", n)
			}
		})
	}
}

// A stop sends SIGINT to the listener's pid, not to its process group
// (where Runner.Worker and the steps are: the listener cancels them
// itself); what the listener leaves in its group after it exited is
// ended (SIGTERM) before Run returns.
func TestSupervisorStopSignalsPidThenCleansGroup(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	listener := `#!/bin/sh
cd "$(dirname "$0")/.."
sh -c 'trap "echo child-int >> log" INT; trap "echo child-term >> log; exit 0" TERM; echo $$ > child; while :; do sleep 0.05; done' &
while [ ! -s child ]; do sleep 0.01; done
echo "Listening for Jobs"
trap 'echo listener-int >> log; exit 0' INT
while :; do sleep 0.05; done
`
	if err := os.WriteFile(filepath.Join(dir, "bin", "Runner.Listener"), []byte(listener), 0o755); err != nil {
		t.Fatal(err)
	}
	s := quick(dir)
	s.GroupGrace = 5 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.Output.(*platformtest.Buffer).String(), "Listening for Jobs") {
		if time.Now().After(deadline) {
			t.Fatal("listener never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "child"))
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "log"))
	if !strings.Contains(string(log), "listener-int") {
		t.Errorf("the listener got no SIGINT: %q", log)
	}
	if strings.Contains(string(log), "child-int") {
		t.Errorf("the listener's group got SIGINT: %q", log)
	}
	if !strings.Contains(string(log), "child-term") {
		t.Errorf("the process left in the listener's group was not ended: %q", log)
	}
	var pid int
	if _, err := fmt.Sscan(strings.TrimSpace(string(b)), &pid); err != nil || processAlive(pid) {
		t.Errorf("the child %q is still alive (%v)", b, err)
	}
}

// Exit 7 (runner version deprecated) stops for good; so does the Nth
// unknown exit in a row with GITHUB_ACTIONS_SERVICE_EXIT_AFTER_N_FAILURES
// (from the service's environment or the runner's .env), and never
// before.
func TestSupervisorStopsForGood(t *testing.T) {
	t.Run("exit 7", func(t *testing.T) {
		dir := fakeListener(t, "7", "0")
		if err := quick(dir).Run(context.Background()); !errors.Is(err, ErrStopped) {
			t.Errorf("exit 7: %v, want ErrStopped", err)
		}
		if n := len(starts(t, dir)); n != 1 {
			t.Errorf("%d starts after exit 7, want 1", n)
		}
	})
	t.Run("N failures from the field", func(t *testing.T) {
		dir := fakeListener(t, "42", "42", "42", "0")
		s := quick(dir)
		s.ExitAfterFailures = 3
		if err := s.Run(context.Background()); !errors.Is(err, ErrStopped) {
			t.Errorf("3 unknown exits: %v, want ErrStopped", err)
		}
		if n := len(starts(t, dir)); n != 3 {
			t.Errorf("%d starts, want 3", n)
		}
	})
	t.Run("a retryable exit resets the count", func(t *testing.T) {
		dir := fakeListener(t, "42", "2", "42", "0")
		s := quick(dir)
		s.ExitAfterFailures = 2
		if err := s.Run(context.Background()); err != nil {
			t.Errorf("Run: %v", err)
		}
		if n := len(starts(t, dir)); n != 4 {
			t.Errorf("%d starts, want 4", n)
		}
	})
	t.Run("N from the environment", func(t *testing.T) {
		t.Setenv(ExitAfterFailuresVar, "2")
		dir := fakeListener(t, "42", "42", "0")
		if err := quick(dir).Run(context.Background()); !errors.Is(err, ErrStopped) {
			t.Errorf("2 unknown exits: %v, want ErrStopped", err)
		}
	})
	t.Run("N from .env", func(t *testing.T) {
		dir := fakeListener(t, "42", "0")
		if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("LANG=C.UTF-8\n"+ExitAfterFailuresVar+"=1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := quick(dir).Run(context.Background()); !errors.Is(err, ErrStopped) {
			t.Errorf("1 unknown exit: %v, want ErrStopped", err)
		}
	})
	t.Run("root does not read another user's .env", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("skipped: needs root")
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(ExitAfterFailuresVar+"=1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if n := (&Supervisor{Dir: dir, User: "nobody"}).exitAfterFailures(); n != 0 {
			t.Errorf("a root supervisor of nobody's runner read its .env: %d", n)
		}
		if n := (&Supervisor{Dir: dir}).exitAfterFailures(); n != 1 {
			t.Errorf("the runner's own supervisor did not read its .env: %d", n)
		}
	})
	t.Run("unset: relaunched", func(t *testing.T) {
		dir := fakeListener(t, "42", "42", "42", "0")
		if err := quick(dir).Run(context.Background()); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}
