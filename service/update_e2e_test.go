//go:build linux

package service_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/runner/runnertest"
	"github.com/runnerctl/runnerctl/service"
)

// The installed SysV service is stopped while the fake runner's real-shaped
// self-update (_update.sh: bin and externals moved away, the new version
// linked in, update.finished) is half-way: the stop waits for it, and the
// runner comes back on the new version.
func TestSysVStopDuringFakeSelfUpdate(t *testing.T) {
	if _, err := exec.LookPath("setpriv"); err != nil {
		skipOrFail(t, "skipped: setpriv (util-linux) is not installed")
	}
	f, h, tag, user, index, binDir := sysvRunners(t)
	name, dir := "upd-"+tag, filepath.Join(h.base, "runner")
	if out, code := h.runnerctl("install", "--url", f.srv.URL+"/acme/app", "--name", name, "--dir", dir, "--user", user,
		"--state-dir", index, "--bin-dir", binDir, "--cache-dir", filepath.Join(h.base, "cache"), "--wait", "30s"); code != 0 {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	svc := service.Name("acme-app", name)
	if err := runnertest.SetKnob(dir, runnertest.UpdatePauseFile, "pause"); err != nil {
		t.Fatal(err)
	}
	if err := runnertest.RequestUpdate(dir, runnertest.Package{Version: "2.336.9"}); err != nil {
		t.Fatal(err)
	}
	// _update.sh has moved bin away and waits: the window a kill breaks.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Lstat(filepath.Join(dir, "bin")); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the self-update never moved bin away")
		}
		time.Sleep(50 * time.Millisecond)
	}
	stopped := make(chan string, 1)
	go func() {
		out, code := h.sh("/etc/init.d/" + svc + " stop")
		stopped <- fmt.Sprintf("%s (exit %d)", strings.TrimSpace(out), code)
	}()
	time.Sleep(time.Second) // the stop is under way; the update goes on
	select {
	case s := <-stopped:
		t.Fatalf("the stop returned while the update was still half-way: %s", s)
	default:
	}
	if err := os.Remove(filepath.Join(dir, filepath.FromSlash(runnertest.UpdatePauseFile))); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-stopped:
		t.Logf("stop: %s", s)
	case <-time.After(60 * time.Second):
		t.Fatal("the stop did not return after the update finished")
	}
	if target, err := os.Readlink(filepath.Join(dir, "bin")); err != nil || !strings.Contains(target, "2.336.9") {
		t.Fatalf("bin after the stop: %q %v, want a link to the new version", target, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "bin", "Runner.Listener")); err != nil {
		t.Fatalf("no runnable listener after the update: %v", err)
	}
	if out, code := h.sh("/etc/init.d/" + svc + " start"); code != 0 {
		t.Fatalf("start: %d %s", code, out)
	}
	f.waitStatus(t, name, "online", 30*time.Second)
	// The fake server keeps the version registered; the listener says its own.
	if out, _ := h.sh("cat /var/log/" + svc + ".log /var/log/" + svc + ".err"); !strings.Contains(out, "Current runner version: '2.336.9'") {
		t.Errorf("the listener did not start on 2.336.9; its log:\n%s", out)
	}
	// status shows the version the listener runs, not the package's.
	deadline = time.Now().Add(10 * time.Second)
	for {
		out, code := h.runnerctl("status", "--dir", dir, "--state-dir", index)
		if code == 0 && strings.Contains(out, "runner 2.336.9") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status does not show the updated runner version (exit %d):\n%s", code, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
