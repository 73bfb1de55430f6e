package service_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/bootstrap/runner/runnertest"
	"github.com/runnerctl/runnerctl/platform/platformtest/winetest"
	"github.com/runnerctl/runnerctl/service"
)

// winHost is a Wine prefix with runnerctl.exe, the winscm probe and a
// fake Windows runner package built for it.
type winHost struct {
	t                *testing.T
	ctx              context.Context
	p                *winetest.Prefix
	rctl, scm        string
	pkg              runnertest.Package
	srv              *githubtest.Server
	dir, state, bins string // Windows paths
}

// run runs a Windows program of the host with the test token in its
// environment (as RUNNERCTL_ACCESS_TOKEN: never a flag).
func (h winHost) run(exe string, args ...string) (string, int) {
	h.t.Helper()
	c := h.p.Command(h.ctx, exe, args...)
	c.Env = append(c.Env, "RUNNERCTL_ACCESS_TOKEN="+githubtest.Token)
	out, err := c.CombinedOutput()
	if h.ctx.Err() != nil {
		h.t.Fatalf("%v timed out:\n%s", args, out)
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		h.t.Fatalf("%v: %v", args, err)
	}
	return strings.ReplaceAll(string(out), "\r\n", "\n"), code
}

func (h winHost) runnerctl(args ...string) (string, int) {
	h.t.Helper()
	return h.run(h.rctl, args...)
}

// query is the SCM's view of service name ("" when it does not exist).
func (h winHost) query(name string) string {
	h.t.Helper()
	out, code := h.run(h.scm, "query", name)
	if code != 0 {
		if !strings.Contains(out, "does not exist") {
			h.t.Logf("winscm query %s: exit %d: %s", name, code, out)
		}
		return ""
	}
	return strings.TrimSpace(out)
}

// waitQuery polls the SCM until service name's query holds want.
func (h winHost) waitQuery(name, want string, within time.Duration) string {
	h.t.Helper()
	var q string
	for start := time.Now(); time.Since(start) < within; time.Sleep(200 * time.Millisecond) {
		if q = h.query(name); strings.Contains(q, want) {
			return q
		}
	}
	h.t.Fatalf("service %s: %q after %s, want %q", name, q, within, want)
	return ""
}

// linux is the Linux path of a C:\ path of the prefix.
func (h winHost) linux(win string) string {
	return filepath.Join(h.p.DriveC(), filepath.FromSlash(strings.ReplaceAll(strings.TrimPrefix(win, `C:\`), `\`, "/")))
}

// TestWindowsServiceUnderWine runs the Windows lifecycle under Wine: the
// built runnerctl.exe installs the fake Windows runner (config.cmd,
// Runner.Listener.exe) as an SCM service that runs `runnerctl run`, which
// supervises the listener; the service stops gracefully (the listener's
// own console gets Ctrl-C), stops itself when the listener stops for
// good, and uninstall leaves nothing. Case by case, what Wine cannot do
// is said where it is skipped (and in the README).
func TestWindowsServiceUnderWine(t *testing.T) {
	p := winetest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel) // after the cleanups below, which use ctx
	tmp := t.TempDir()
	rctl, scm := filepath.Join(tmp, "runnerctl.exe"), filepath.Join(tmp, "winscm.exe")
	winetest.BuildExe(t, "github.com/runnerctl/runnerctl", rctl)
	winetest.BuildExe(t, "./testdata/winscm", scm)
	pkg, err := runnertest.Build(ctx, tmp, runnertest.Options{GOOS: "windows", GOARCH: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	srv := githubtest.New()
	t.Cleanup(srv.Close)
	srv.SetHeartbeat(200 * time.Millisecond)
	tag := fmt.Sprintf("%d", time.Now().UnixNano()%1e9)
	h := winHost{t: t, ctx: ctx, p: p, rctl: rctl, scm: scm, pkg: pkg, srv: srv,
		dir: `C:\rctl-` + tag + `\runner`, state: `C:\rctl-state-` + tag, bins: `C:\rctl-bin-` + tag}
	name := "win-" + tag
	svcName := service.Name("acme-app", name)
	install := []string{"install", "--url", srv.URL + "/acme/app", "--name", name, "--dir", h.dir, "--state-dir", h.state,
		"--bin-dir", h.bins, "--package-file", p.WinPath(pkg.Path), "--sha256", pkg.SHA256, "--wait", "60s"}
	t.Cleanup(func() {
		if out, code := h.runnerctl("uninstall", "--all", "--force", "--state-dir", h.state); code != 0 {
			t.Logf("cleanup uninstall: exit %d\n%s", code, out)
		}
	})

	// install: config.cmd registers, the SCM service runs runnerctl run,
	// the listener comes online.
	start := time.Now()
	out, code := h.runnerctl(install...)
	if code != 0 {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	t.Logf("install → online under Wine: %s (%s)", time.Since(start).Round(time.Millisecond), lastLine(out))
	f := fixture{srv: srv}
	f.waitStatus(t, name, "online", 10*time.Second)
	q := h.waitQuery(svcName, "state=4 ", 10*time.Second) // SERVICE_RUNNING
	if !strings.Contains(strings.ToLower(q), `account=nt authority\network`) {
		t.Errorf("service definition: %s, want NETWORK SERVICE", q)
	}
	t.Logf("case install: %s", q)

	// .service holds exactly the service name (config.cmd remove reads
	// it back): no newline, no BOM.
	if b, err := os.ReadFile(filepath.Join(h.linux(h.dir), ".service")); err != nil || string(b) != svcName {
		t.Errorf(".service = %q, %v; want exactly %q", b, err, svcName)
	}
	// The service account has full control of the runner directory,
	// inherited, where the file system keeps ACLs (Wine's does not).
	sddl, code := h.run(scm, "sddl", h.dir)
	kept, _ := h.run(scm, "aclkept", `C:\rctl-acl-`+tag)
	switch {
	case code != 0:
		t.Errorf("read the ACL of %s: %s", h.dir, sddl)
	case strings.Contains(sddl, "(A;OICI;FA;;;NS)") || strings.Contains(sddl, "(A;OICI;GA;;;NS)"):
		t.Logf("case ACL: %s", strings.TrimSpace(sddl))
	case strings.HasPrefix(kept, "not kept"):
		t.Logf("case ACL: not verifiable here: Wine accepts a DACL and keeps none (%s)", strings.TrimSpace(kept))
	default:
		t.Errorf("the runner directory's ACL does not give NETWORK SERVICE full control (inherited): %s (aclkept: %s)", sddl, kept)
	}
	if out, code := h.runnerctl("status", "--dir", h.dir, "--state-dir", h.state); code != 0 || !strings.Contains(out, "supervisor: listening since") || !strings.Contains(out, "online") {
		t.Errorf("status: exit %d\n%s", code, out)
	}

	// A stop through the SCM during a job: the listener's console gets
	// Ctrl-C, the job is cancelled, the listener exits 0 (killed, it
	// would be after the 30 s stop timeout, its Runner.Worker orphaned).
	linuxDir := h.linux(h.dir)
	if err := runnertest.SetKnob(linuxDir, runnertest.JobSecondsFile, "600"); err != nil {
		t.Fatal(err)
	}
	srv.QueueJob("repos/acme/app", name)
	for start := time.Now(); len(winWorkers(linuxDir)) == 0; time.Sleep(100 * time.Millisecond) {
		if time.Since(start) > 30*time.Second {
			t.Fatalf("the job's Runner.Worker.exe never started: %+v", srv.Runners("repos/acme/app"))
		}
	}
	out, code = h.run(scm, "stop", svcName)
	if code != 0 {
		t.Fatalf("stop: %s", out)
	}
	t.Logf("case graceful stop: %s", strings.TrimSpace(out))
	f.waitStatus(t, name, "offline", 10*time.Second)
	st, _ := h.runnerctl("status", "--dir", h.dir, "--state-dir", h.state)
	if !strings.Contains(st, "last listener exit: exit 0") {
		t.Errorf("after a stop, the listener did not exit 0 (its graceful stop; killed, it says so):\n%s", st)
	}
	if q := h.query(svcName); !strings.Contains(q, "state=1 win32=0 ") {
		t.Errorf("after a stop: %s, want stopped with exit 0", q)
	}
	if left := winWorkers(linuxDir); len(left) != 0 {
		t.Errorf("Runner.Worker.exe still runs after the stop: %q", left)
	}

	// install starts a stopped service again.
	if out, code := h.runnerctl(install...); code != 0 {
		t.Fatalf("install on a stopped service: exit %d\n%s", code, out)
	}
	f.waitStatus(t, name, "online", 30*time.Second)

	// The listener stops for good (exit 7: version deprecated): the
	// service stops itself, with exit 0 so that the SCM's recovery does
	// not restart it, and status says why.
	if !srv.ExitNext("repos/acme/app", name, 7) {
		t.Fatal("the fake server knows no runner to make exit")
	}
	q = h.waitQuery(svcName, "state=1 ", 30*time.Second)
	if !strings.Contains(q, "win32=0 ") {
		t.Errorf("stopped for good: %s, want exit 0 (not restarted)", q)
	}
	time.Sleep(time.Second)
	if q := h.query(svcName); !strings.Contains(q, "state=1 ") {
		t.Errorf("the service came back after stopping for good: %s", q)
	}
	st, _ = h.runnerctl("status", "--dir", h.dir, "--state-dir", h.state)
	if !strings.Contains(st, "exit 7") {
		t.Errorf("status does not say the listener exited 7:\n%s", st)
	}
	t.Logf("case stop for good: %s; status: %s", q, grepLine(st, "supervisor:"))

	// uninstall: no service, no directory, no registration, no record.
	if out, code := h.runnerctl("uninstall", "--dir", h.dir, "--state-dir", h.state); code != 0 {
		t.Fatalf("uninstall: exit %d\n%s", code, out)
	}
	if q := h.query(svcName); q != "" {
		t.Errorf("the service is still there after uninstall: %s", q)
	}
	if _, err := os.Lstat(h.linux(h.dir)); !os.IsNotExist(err) {
		t.Errorf("the runner directory is still there after uninstall: %v", err)
	}
	if rs := srv.Runners("repos/acme/app"); len(rs) != 0 {
		t.Errorf("the server still has %+v", rs)
	}
	if out, _ := h.runnerctl("status", "--all", "--state-dir", h.state); strings.Contains(out, name) {
		t.Errorf("status still lists %s:\n%s", name, out)
	}
}

// winWorkers lists the Wine processes running a Runner.Worker.exe of the
// runner directory dir (a Linux path; the Windows one is in their argv).
func winWorkers(dir string) []string {
	var found []string
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, _ := os.ReadFile(p)
		if s := strings.ReplaceAll(string(b), "\x00", " "); strings.Contains(strings.ToLower(s), `\bin\runner.worker.exe`) && strings.Contains(s, filepath.Base(filepath.Dir(dir))) {
			found = append(found, s)
		}
	}
	return found
}
