//go:build !windows

package service

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/platform/platformtest"
)

// fakeListener writes bin/Runner.Listener: a script that logs each start
// and exits with the codes listed in DIR/codes, one per start ("sleep"
// waits for a signal and exits 0 on SIGINT, like the real listener;
// "refused" is a listener whose version the server refuses; "jobs"
// finishes one job, starts a second and waits like "sleep", its pid in
// DIR/listener.pid).
func fakeListener(t *testing.T, codes ...string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	script := `#!/bin/sh
cd "$(dirname "$0")/.."
echo "start $*" >> starts
n=$(grep -c '^start' starts)
code=$(sed -n "${n}p" codes)
echo "PATH=$PATH" >> starts
[ "$code" = 3 ] && touch update.finished
if [ "$code" = listen2 ]; then
    echo "Listening for Jobs"
    exit 2
fi
if [ "$code" = refused ]; then
    echo "Current runner version: '2.300.0'"
    echo "Listening for Jobs"
    echo "An error occurred: Runner version v2.300.0 is deprecated and cannot receive messages."
    [ "$ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE" = 1 ] && exit 7
    exit 1
fi
if [ "$code" = jobs ]; then
    echo $$ > listener.pid
    echo "Current runner version: '2.336.9'"
    echo "2026-11-25 10:00:00Z: Listening for Jobs"
    echo "2026-11-25 10:00:01Z: Running job: build (linux)"
    echo "2026-11-25 10:00:02Z: Job build (linux) completed with result: Succeeded"
    echo "2026-11-25 10:00:03Z: Running job: test: unit"
    trap 'exit 0' INT
    while :; do sleep 0.05; done
fi
if [ "$code" = sleep ]; then
    echo "Listening for Jobs"
    trap 'echo got-int >> starts; exit 0' INT
    while :; do sleep 0.05; done
fi
exit "$code"
`
	if err := os.WriteFile(filepath.Join(dir, "bin", "Runner.Listener"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "codes"), []byte(strings.Join(codes, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".path"), []byte("/from/dot/path:/usr/bin:/bin\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func quick(dir string) *Supervisor {
	return &Supervisor{Dir: dir, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Output: &platformtest.Buffer{},
		RetryPause: 10 * time.Millisecond, MinBackoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond,
		UpdateWait: time.Second, StopTimeout: 2 * time.Second}
}

func starts(t *testing.T, dir string) []string {
	b, _ := os.ReadFile(filepath.Join(dir, "starts"))
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.HasPrefix(l, "start ") {
			out = append(out, l)
		}
	}
	return out
}

func TestSupervisorExitCodes(t *testing.T) {
	for _, c := range []struct {
		name    string
		codes   []string
		starts  int
		stopped bool // ErrStopped
		failed  bool // another error
	}{
		{"0 stops", []string{"0"}, 1, false, false},
		{"1 stops for good", []string{"1"}, 1, true, false},
		{"5 stops for good", []string{"5"}, 1, true, false},
		{"2 relaunches", []string{"2", "2", "0"}, 3, false, false},
		{"3 waits for the update then relaunches", []string{"3", "0"}, 2, false, false},
		{"unknown code relaunches", []string{"42", "0"}, 2, false, false},
		{"2 gives up", []string{"2", "2", "2", "2"}, 3, false, true},
		// "Listening for Jobs" resets the count: two 2s, one that listened
		// first, then two more 2s stay within MaxRetries (2) each time.
		{"listening resets the retry count", []string{"2", "2", "listen2", "2", "0"}, 5, false, false},
		{"listening resets the retry count, then it gives up", []string{"2", "listen2", "2", "2", "0"}, 4, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := fakeListener(t, c.codes...)
			s := quick(dir)
			s.MaxRetries = 2
			err := s.Run(context.Background())
			if got := len(starts(t, dir)); got != c.starts {
				t.Errorf("%d starts, want %d", got, c.starts)
			}
			switch {
			case c.stopped && !errors.Is(err, ErrStopped):
				t.Errorf("want ErrStopped, got %v", err)
			case c.failed && (err == nil || errors.Is(err, ErrStopped)):
				t.Errorf("want a give-up error, got %v", err)
			case !c.stopped && !c.failed && err != nil:
				t.Errorf("unexpected %v", err)
			}
		})
	}
}

func TestSupervisorStopAndPath(t *testing.T) {
	dir := fakeListener(t, "sleep")
	s := quick(dir)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(s.Output.(*platformtest.Buffer).String(), "Listening for Jobs") {
		if time.Now().After(deadline) {
			t.Fatal("listener never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after stop: %v", err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "starts"))
	if !strings.Contains(string(b), "got-int") {
		t.Errorf("the listener got no SIGINT: %s", b)
	}
	if !strings.Contains(string(b), "start run --startuptype service") || !strings.Contains(string(b), "PATH=/from/dot/path:") {
		t.Errorf("listener args or PATH from .path: %s", b)
	}
}

// .path is the runner user's file: a link there (to a root-only file)
// is not followed, so its content never reaches the listener's PATH.
func TestSupervisorPathNotFollowed(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(t.TempDir(), "root-only")
	if err := os.WriteFile(secretFile, []byte("/ROOT-ONLY-SECRET\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secretFile, filepath.Join(dir, ".path")); err != nil {
		t.Fatal(err)
	}
	s := &Supervisor{Dir: dir}
	for _, kv := range s.listenerEnv() {
		if strings.Contains(kv, "ROOT-ONLY-SECRET") {
			t.Fatalf("the listener's environment holds the linked file: %s", kv)
		}
	}
}

// An ephemeral runner whose service re-registers it or powers the host
// off: the listener's own exit 0 (the job done) is ErrEphemeralDone; a
// self-update (3, 4), a crash or a relaunchable code is not the end of
// the job; a stop is a stop.
func TestSupervisorEphemeralDone(t *testing.T) {
	for _, c := range []struct {
		name   string
		codes  []string
		starts int
		done   bool
	}{
		{"the job done", []string{"0"}, 1, true},
		{"a self-update, then the job", []string{"3", "4", "0"}, 3, true},
		{"a crash, then the job", []string{"42", "2", "0"}, 3, true},
		{"stopped for good is not the job", []string{"1"}, 1, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := fakeListener(t, c.codes...)
			s := quick(dir)
			s.EphemeralDone = true
			err := s.Run(context.Background())
			if got := len(starts(t, dir)); got != c.starts {
				t.Errorf("%d starts, want %d", got, c.starts)
			}
			if errors.Is(err, ErrEphemeralDone) != c.done {
				t.Errorf("Run: %v, want ErrEphemeralDone: %v", err, c.done)
			}
		})
	}
	dir := fakeListener(t, "sleep")
	s := quick(dir)
	s.EphemeralDone = true
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for len(starts(t, dir)) == 0 {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
		cancel()
	}()
	if err := s.Run(ctx); err != nil {
		t.Errorf("a stop of an ephemeral runner: %v, want nil (no root step)", err)
	}
}
