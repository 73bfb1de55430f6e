//go:build !windows

package runnertest_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/bootstrap/runner/runnertest"
	"github.com/runnerctl/runnerctl/platform/platformtest"
)

// configure registers the extracted package in dir as name.
func configure(t *testing.T, srv *githubtest.Server, dir, name string, extra ...string) {
	t.Helper()
	env := []string{"RUNNER_ALLOW_RUNASROOT=1", "ACTIONS_RUNNER_INPUT_TOKEN=" + mint(t, srv, "registration")}
	args := append([]string{"config.sh", "--unattended", "--url", srv.URL + "/acme/app", "--name", name}, extra...)
	if out, code := script(dir, env, args...); code != 0 {
		t.Fatalf("configure: %d %s", code, out)
	}
}

// listener starts bin/Runner.Listener run in dir in its own process group
// (so that _update.sh, its child, is in that group and never in ours) and
// kills the group at cleanup.
func listener(t *testing.T, dir string, args ...string) (*exec.Cmd, *platformtest.Buffer) {
	t.Helper()
	cmd := exec.Command(filepath.Join(dir, "bin", "Runner.Listener"), append([]string{"run"}, args...)...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &platformtest.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	return cmd, out
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

var updatePID = regexp.MustCompile(`Update script start running \(pid (\d+)\)`)

// A stop that kills _update.sh after it moved bin away (what KillMode=mixed
// or a group kill does when the supervisor exits) leaves no runnable bin/.
func TestFakeSelfUpdateKilledHalfWay(t *testing.T) {
	srv, dir := setup(t)
	configure(t, srv, dir, "upd-kill")
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(runnertest.UpdatePauseFile)), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd, out := listener(t, dir)
	waitStatus(t, srv, "upd-kill", "online")
	if err := runnertest.RequestUpdate(dir, runnertest.Package{Version: "2.337.0"}); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(cmd.Wait()); code != 3 {
		t.Fatalf("listener exit %d, want 3\n%s", code, out)
	}
	m := updatePID.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no update script pid in the listener's output:\n%s", out)
	}
	pid, _ := strconv.Atoi(m[1])
	// The script has moved bin to bin.2.336.0 and waits on the pause file.
	waitFile(t, filepath.Join(dir, "externals.2.336.0"))
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill _update.sh: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, filepath.FromSlash(runnertest.UpdatePauseFile))); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "bin", "Runner.Listener")); !os.IsNotExist(err) {
		t.Fatalf("bin/Runner.Listener after a half-way kill: %v (want it gone)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "update.finished")); err == nil {
		t.Error("update.finished after a half-way kill")
	}
	if o, code := script(dir, []string{"RUNNER_ALLOW_RUNASROOT=1"}, "config.sh", "remove", "--local"); code == 0 {
		t.Errorf("config.sh works without bin/: %s", o)
	}
}

// Left alone, the update gives a runner on the new version, which comes
// back online; a second update replaces the bin symlink.
func TestFakeSelfUpdateCompletes(t *testing.T) {
	srv, dir := setup(t)
	next, err := runnertest.Build(context.Background(), t.TempDir(), runnertest.Options{Version: "2.337.0"})
	if err != nil {
		t.Fatal(err)
	}
	configure(t, srv, dir, "upd-ok")
	if err := os.WriteFile(filepath.Join(dir, "runsvc.sh"), []byte("#!/bin/bash\n# old\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd, out := listener(t, dir)
	waitStatus(t, srv, "upd-ok", "online")
	if err := runnertest.RequestUpdate(dir, next); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(cmd.Wait()); code != 3 {
		t.Fatalf("listener exit %d, want 3\n%s", code, out)
	}
	waitFile(t, filepath.Join(dir, "update.finished"))
	if target, err := os.Readlink(filepath.Join(dir, "bin")); err != nil || target != filepath.Join(dir, "bin.2.337.0") {
		t.Errorf("bin -> %q (%v), want bin.2.337.0", target, err)
	}
	if target, err := os.Readlink(filepath.Join(dir, "externals")); err != nil || target != filepath.Join(dir, "externals.2.337.0") {
		t.Errorf("externals -> %q (%v)", target, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "bin.2.336.0", "Runner.Listener")); err != nil || fi.IsDir() {
		t.Errorf("the old version is not kept in bin.2.336.0: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "runsvc.sh")); !strings.Contains(string(b), "Runner.Listener run") {
		t.Errorf("runsvc.sh not refreshed: %q", b)
	}
	// The script renames its log once update.finished is there.
	if logs := waitGlob(t, filepath.Join(dir, "_diag", "SelfUpdate-*.log.succeed")); len(logs) != 1 {
		t.Errorf("SelfUpdate logs: %v", logs)
	}
	if v, code := script(dir, nil, "bin/Runner.Listener", "--version"); code != 0 || strings.TrimSpace(v) != "2.337.0" {
		t.Fatalf("after the update: %q (%d)", v, code)
	}
	_ = os.Remove(filepath.Join(dir, "update.finished"))
	cmd, out = listener(t, dir)
	waitStatus(t, srv, "upd-ok", "online")
	// A second update (a bare exit 3 from the server) replaces the symlinks.
	srv.ExitNext("repos/acme/app", "upd-ok", 3)
	if code := exitCode(cmd.Wait()); code != 3 {
		t.Fatalf("second update: exit %d\n%s", code, out)
	}
	waitFile(t, filepath.Join(dir, "update.finished"))
	if target, _ := os.Readlink(filepath.Join(dir, "bin")); target != filepath.Join(dir, "bin.2.337.1") {
		t.Errorf("bin -> %q after the second update", target)
	}
	if v, _ := script(dir, nil, "bin/Runner.Listener", "--version"); strings.TrimSpace(v) != "2.337.1" {
		t.Errorf("after the second update: %q", v)
	}
}
