package service_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/bootstrap/runner/runnertest"
)

// With the real SysV service: a --disableupdate runner falls below the
// server's minimum version; its listener is refused and exits 7, the
// service stops for good (no relaunch loop) and `status` says "runner
// version 2.336.0 refused: run runnerctl update". `runnerctl update`
// brings the server's newer package, keeping the registration, and the
// runner is online again on the new version, its files the runner
// user's.
func TestSysVVersionRefusedThenUpdate(t *testing.T) {
	f, h, tag, user, index, binDir := sysvRunners(t)
	name, dir, cache := "v-"+tag, filepath.Join(h.base, "v"), filepath.Join(h.base, "cache")
	common := []string{"--state-dir", index}
	if out, code := h.runnerctl(append([]string{"install", "--url", f.srv.URL + "/acme/app", "--name", name, "--dir", dir, "--user", user,
		"--bin-dir", binDir, "--wait", "30s", "--disableupdate", "--cache-dir", cache}, common...)...); code != 0 {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	newer, err := runnertest.Build(context.Background(), t.TempDir(), runnertest.Options{Version: "2.337.0"})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(newer.Path)
	if err != nil {
		t.Fatal(err)
	}
	origin := githubtest.NewOrigin()
	t.Cleanup(origin.Close)
	arch := map[string]string{"amd64": "x64", "arm64": "arm64", "arm": "arm"}[runtime.GOARCH]
	f.srv.SetDownloads([]githubtest.Download{origin.Publish("linux", arch, newer.Filename, data, "tmp-token-2")})
	f.srv.SetMinimumVersion("2.337.0")

	var st string
	for end := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		st, _ = h.runnerctl(append([]string{"status", "--dir", dir}, common...)...)
		if strings.Contains(st, "runner version 2.336.0 refused: run runnerctl update") {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("status does not say the version was refused:\n%s", st)
		}
	}
	t.Logf("status after the refusal: %s", grepLine(st, "supervisor:"))
	for end := time.Now().Add(15 * time.Second); !strings.Contains(grepLine(st, "service:"), "(stopped"); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("the refused runner's service did not stop:\n%s", st)
		}
		st, _ = h.runnerctl(append([]string{"status", "--dir", dir}, common...)...)
	}
	time.Sleep(2 * time.Second) // not started again
	if st, _ = h.runnerctl(append([]string{"status", "--dir", dir}, common...)...); !strings.Contains(grepLine(st, "service:"), "(stopped") || !strings.Contains(st, "refused") {
		t.Errorf("the refused runner is not stopped for good:\n%s", st)
	}
	t.Logf("then: %s", grepLine(st, "service:"))

	out, code := h.runnerctl(append([]string{"update", "--dir", dir, "--wait", "30s", "--cache-dir", cache}, common...)...)
	if code != 0 || !strings.Contains(out, "updated runner "+name) || !strings.Contains(out, "2.336.0 → 2.337.0, online") {
		t.Fatalf("update: exit %d\n%s", code, out)
	}
	t.Logf("update: %s", lastLine(out))
	f.waitStatus(t, name, "online", 10*time.Second)
	if n := registrations(f.srv); n != 1 {
		t.Errorf("%d registrations, want 1: update keeps the registration", n)
	}
	st, _ = h.runnerctl(append([]string{"status", "--dir", dir}, common...)...)
	if !strings.Contains(st, "version:    2.337.0") {
		t.Errorf("status after the update:\n%s", st)
	}
	for _, p := range []string{".runner", ".credentials_rsaparams", "bin/Runner.Listener", "_work"} {
		if o, _ := h.sh("stat -c %U " + filepath.Join(dir, p)); strings.TrimSpace(o) != user {
			t.Errorf("%s belongs to %q, want %s", p, strings.TrimSpace(o), user)
		}
	}
}
