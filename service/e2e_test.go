package service_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/bootstrap/runner/runnertest"
	"github.com/runnerctl/runnerctl/platform/platformtest"
	"github.com/runnerctl/runnerctl/service"
)

// host is where the lifecycle runs: this machine (SysV here) or a booted
// systemd container.
type host interface {
	// runnerctl runs the runnerctl binary with args; it returns the
	// combined output and the exit code.
	runnerctl(args ...string) (string, int)
	// sh runs a shell command and returns its output and exit code.
	sh(cmd string) (string, int)
	// binary is the runnerctl under test, as the host sees it.
	binary() string
	// operatorCopy is a runnerctl the way operators start it: a copy in a
	// directory only root can enter (/root), deleted after install.
	operatorCopy() string
	// restart restarts service name through the manager.
	restart(name string) (string, int)
	// definition is the path of service name's definition file.
	definition(name string) string
}

type localHost struct{ bin, base string }

func (h localHost) runnerctl(args ...string) (string, int) {
	return runCmd(exec.Command(h.bin, args...))
}

func (h localHost) binary() string { return h.bin }

func (h localHost) operatorCopy() string { return h.base + "/private/runnerctl" }

func (h localHost) restart(name string) (string, int) {
	return h.sh("/etc/init.d/" + name + " restart")
}

func (h localHost) definition(name string) string { return "/etc/init.d/" + name }

func (h localHost) sh(cmd string) (string, int) { return runCmd(exec.Command("sh", "-c", cmd)) }

func runCmd(cmd *exec.Cmd) (string, int) {
	cmd.Env = append(os.Environ(), "RUNNERCTL_ACCESS_TOKEN="+githubtest.Token)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		return string(out) + err.Error(), -1
	}
	return string(out), 0
}

// fixture: runnerctl built, the fake runner package published by a fake
// GHES on loopback (reachable from a container that shares the network).
type fixture struct {
	bin string
	srv *githubtest.Server
	pkg runnertest.Package
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	srv := githubtest.New()
	t.Cleanup(srv.Close)
	return newFixtureOn(t, srv)
}

// newFixtureOn is newFixture with the fake GHES srv (one over TLS, say).
func newFixtureOn(t *testing.T, srv *githubtest.Server) fixture {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		skipOrFail(t, "skipped: the go tool is not on PATH")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "runnerctl")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/runnerctl/runnerctl").CombinedOutput(); err != nil {
		t.Fatalf("build runnerctl: %v\n%s", err, out)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	pkg, err := runnertest.Build(context.Background(), tmp, runnertest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(pkg.Path)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetHeartbeat(200 * time.Millisecond)
	origin := githubtest.NewOrigin()
	t.Cleanup(origin.Close)
	srv.SetDownloads([]githubtest.Download{origin.Publish("linux", map[string]string{"amd64": "x64", "arm64": "arm64", "arm": "arm"}[runtime.GOARCH], pkg.Filename, data, "tmp-token")})
	return fixture{bin: bin, srv: srv, pkg: pkg}
}

func (f fixture) waitStatus(t *testing.T, name, want string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		for _, r := range f.srv.Runners("repos/acme/app") {
			if r.Name == name && r.Status == want {
				return time.Since(start)
			}
		}
		if time.Since(start) > within {
			t.Fatalf("runner %s not %s after %s: %+v", name, want, within, f.srv.Runners("repos/acme/app"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func registrations(srv *githubtest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if strings.HasSuffix(r.Path, "/actions/runner-registration") {
			n++
		}
	}
	return n
}

// lifecycle is the "done" list, run on h with the runner in dir;
// unitFiles lists the service-manager files of a service name.
// binDir is install's --bin-dir ("": the default, /usr/local/bin) and
// stable the runnerctl path the service must run.
// Runner names end in tag and the runner user is user: unique per run
// on a shared host, so that nothing an earlier or parallel run left
// matters.
func lifecycle(t *testing.T, f fixture, h host, dir, index, binDir, stable, tag, user string, unitFiles func(name string) []string) {
	url := f.srv.URL + "/acme/app"
	common := []string{"--url", url, "--state-dir", index, "--cache-dir", dir + ".cache", "--user", user}
	if binDir != "" {
		common = append(common, "--bin-dir", binDir)
	}
	ci, bad1, late1, closed1 := "ci-"+tag, "bad-"+tag, "late-"+tag, "closed-"+tag
	metrics := platformtest.FreeLoopbackAddr(t)
	install := append([]string{"install", "--name", ci, "--labels", "gpu,big", "--dir", dir, "--wait", "30s", "--metrics-addr", metrics}, common...)
	svcName := service.Name("acme-app", ci)
	priv := h.operatorCopy()
	t.Cleanup(func() {
		// Whatever happened, leave no service, directory, user or index behind.
		if out, code := h.runnerctl("uninstall", "--all", "--force", "--state-dir", index); code != 0 {
			t.Logf("cleanup uninstall: %d %s", code, out)
		}
		h.sh("rm -rf " + dir + ".cache " + index)
		for _, p := range unitFiles(svcName) {
			h.sh("rm -f " + p)
		}
	})

	// The operator runs runnerctl from a directory the runner user cannot
	// enter, and deletes it afterwards: the service must not depend on it.
	if out, code := h.sh(fmt.Sprintf("mkdir -p -m 0700 %s && cp %s %s", filepath.Dir(priv), h.binary(), priv)); code != 0 {
		t.Fatalf("operator copy: %s", out)
	}
	f.srv.ResetRequests()
	start := time.Now()
	out, code := h.sh(shJoin(append([]string{"RUNNERCTL_ACCESS_TOKEN=" + githubtest.Token, priv}, install...)))
	took := time.Since(start)
	if code != 0 {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	api, other := requestCounts(f.srv)
	if len(api) != 5 {
		t.Errorf("install made %d API requests, want 5 (downloads, runner list for a leftover, registration token, runner list for the new id, one GET /runners/{id}): %v", len(api), api)
	}
	t.Logf("install → online: %s (%s); API requests by runnerctl: %d (%s), by config.sh and the listener: %d",
		took.Round(time.Millisecond), lastLine(out), len(api), strings.Join(api, ", "), other)
	if def, _ := h.sh("cat " + h.definition(svcName)); !strings.Contains(def, stable+"' 'run'") && !strings.Contains(def, "ExecStart="+stable+" run") {
		t.Errorf("the service does not run %s:\n%s", stable, def)
	}
	if _, code := h.sh("rm -r " + filepath.Dir(priv)); code != 0 {
		t.Fatal("cannot remove the operator's copy")
	}
	f.waitStatus(t, ci, "online", time.Second)
	rs := f.srv.Runners("repos/acme/app")
	if len(rs) != 1 || strings.Join(rs[0].Labels, ",") != "gpu,big" {
		t.Fatalf("server: %+v", rs)
	}
	for _, p := range unitFiles(svcName) {
		if _, code := h.sh("test -e " + p); code != 0 {
			t.Errorf("%s is missing after install", p)
		}
	}
	// config.sh ran once, as root in the root-only staging tree (no process
	// of the runner user could reach it or its token), with no token on its
	// command line; the listener never runs as root.
	diag, _ := h.sh("cat " + dir + "/_diag/Runner_invocations.log")
	for _, line := range strings.Split(strings.TrimSpace(diag), "\n") {
		if !strings.Contains(line, "uid=") {
			continue
		}
		configure := strings.Contains(line, `argv=["configure"`)
		if strings.Contains(line, " uid=0 ") && !configure {
			t.Errorf("the listener ran as root: %s", line)
		}
		if configure && (!strings.Contains(line, " uid=0 ") || !strings.Contains(line, "RUNNER_ALLOW_RUNASROOT")) {
			t.Errorf("config.sh did not run as root in the staging tree: %s", line)
		}
		for _, tok := range append(f.srv.MintedTokens(), githubtest.Token) {
			if strings.Contains(line, tok) {
				t.Errorf("a secret is in the listener's argv or env names: %s", line)
			}
		}
	}
	if !strings.Contains(diag, `argv=["configure" "--unattended"`) || !strings.Contains(diag, "ACTIONS_RUNNER_INPUT_TOKEN") {
		t.Errorf("config.sh was not run with --unattended and the token input:\n%s", diag)
	}

	// The same command again registers nothing.
	before := registrations(f.srv)
	if out, code := h.runnerctl(install...); code != 0 || !strings.Contains(out, "\nalready installed runner "+ci+" (id 1)") {
		t.Fatalf("second install: exit %d\n%s", code, out)
	}
	if after := registrations(f.srv); after != before || len(f.srv.Runners("repos/acme/app")) != 1 {
		t.Fatalf("second install registered again: %d → %d, %+v", before, after, f.srv.Runners("repos/acme/app"))
	}

	// Killing the listener: offline, then the supervisor brings it back.
	kill := fmt.Sprintf(`for p in /proc/[0-9]*; do if [ "$(readlink $p/exe)" = "%s/bin/Runner.Listener" ]; then kill -9 ${p#/proc/}; echo killed ${p#/proc/}; fi; done`, dir)
	if out, _ := h.sh(kill); !strings.Contains(out, "killed") {
		t.Fatalf("no listener to kill: %q", out)
	}
	f.waitStatus(t, ci, "offline", 10*time.Second)
	back := f.waitStatus(t, ci, "online", 30*time.Second)
	t.Logf("listener killed: online again %s after it showed offline", back.Round(time.Millisecond))
	// The service's supervisor serves --metrics-addr: the restart counter
	// went up, with the exit's meaning; /healthz is ready again.
	scraped := platformtest.Scrape(t, "http://"+metrics+"/metrics", 30*time.Second, 200, "runnerctl_listener_restarts_total 1\n", "runnerctl_listener_up 1\n",
		`runnerctl_listener_last_exit_code{meaning="killed by a signal"} -1`, "runnerctl_jobs_total 0\n", `runnerctl_runner_info{version="`)
	t.Logf("metrics after the kill:\n%s", platformtest.LinesWith(scraped, "runnerctl_"))
	platformtest.Scrape(t, "http://"+metrics+"/healthz", 30*time.Second, 200, "listening")

	// status sees the service running, its supervisor listening, its
	// view of the listener, and the server's view.
	if out, code := h.runnerctl("status", "--dir", dir, "--state-dir", index); code != 0 || !strings.Contains(out, "(running") || !strings.Contains(out, "supervisor: listening since") || !strings.Contains(out, "online") ||
		!strings.Contains(out, "restarts:   1, last exit: killed by a signal") || !strings.Contains(out, "listener:   pid ") || !strings.Contains(out, "jobs:       0 run, idle") {
		t.Errorf("status: exit %d\n%s", code, out)
	}

	// A restart runs the stable copy: the operator's is gone.
	if out, code := h.restart(svcName); code != 0 {
		t.Fatalf("restart: %d %s", code, out)
	}
	f.waitStatus(t, ci, "online", 30*time.Second)
	waitLocal(t, h, dir, index, "supervisor: listening since", 30*time.Second)

	// Break the service as real hosts do: a runnerctl the service user
	// cannot run, a definition pointing where /tmp was. status says so
	// (not "running"); install repairs both and waits for online again.
	if out, code := h.sh(fmt.Sprintf("chmod 0644 %s && sed -i 's#%s#/tmp/gone/runnerctl#' %s", stable, stable, h.definition(svcName))); code != 0 {
		t.Fatalf("break: %s", out)
	}
	h.sh("systemctl daemon-reload 2>/dev/null")
	h.restart(svcName)
	broken := waitLocal(t, h, dir, index, "", 30*time.Second, "(restarting", "(stopped", "(failed")
	t.Logf("status of the broken service: %s", grepLine(broken, "service:"))
	if strings.Contains(broken, "(running") {
		t.Errorf("a broken service is reported running:\n%s", broken)
	}
	out, code = h.runnerctl(install...)
	if code != 0 || !strings.Contains(out, "repaired runner "+ci) {
		t.Fatalf("install on a broken service: exit %d, want 0 and \"repaired\"\n%s", code, out)
	}
	t.Logf("install repaired the service: %s", lastLine(out))
	if def, _ := h.sh("cat " + h.definition(svcName)); strings.Contains(def, "/tmp/gone") {
		t.Errorf("the definition was not repaired:\n%s", def)
	}
	if st, _ := h.sh("stat -c %a " + stable); strings.TrimSpace(st) != "755" {
		t.Errorf("%s has mode %s after the repair, want 755", stable, st)
	}
	waitLocal(t, h, dir, index, "supervisor: listening since", 30*time.Second)

	// A name the server refuses: exit 6, nothing left.
	f.srv.RefuseName(bad1, "reserved")
	bad := dir + "-bad"
	out, code = h.runnerctl(append([]string{"install", "--name", bad1, "--dir", bad, "--wait", "30s"}, common...)...)
	if code != 6 {
		t.Fatalf("refused name: exit %d, want 6\n%s", code, out)
	}
	noTrace(t, h, f, bad, bad1, unitFiles(service.Name("acme-app", bad1)))

	// A runner that never comes online: exit 8, rolled back.
	f.srv.HoldOffline(late1)
	late := dir + "-late"
	out, code = h.runnerctl(append([]string{"install", "--name", late1, "--dir", late, "--wait", "2s"}, common...)...)
	if code != 8 {
		t.Fatalf("never online: exit %d, want 8\n%s", code, out)
	}
	// The cause is in install's own output (cloud-init's log), not only
	// in the journal: the server's view, the service's state, its log.
	if !strings.Contains(out, "server: offline") || !strings.Contains(out, "its last log lines:") || !strings.Contains(out, "| ") || !strings.Contains(out, "Listening for Jobs") {
		t.Errorf("the exit-8 error does not quote the server's view and the service's log:\n%s", lastLine(out))
	}
	if i := strings.Index(out, "runnerctl: error:"); i >= 0 {
		t.Logf("never online, install says:\n%s", out[i:])
	}
	noTrace(t, h, f, late, late1, unitFiles(service.Name("acme-app", late1)))

	// A --dir the runner user cannot reach: exit 2 naming the directory
	// and its mode, before anything is registered.
	f.srv.ResetRequests()
	closed := dir + "-closed"
	h.sh("mkdir -m 0700 " + closed)
	out, code = h.runnerctl(append([]string{"install", "--name", closed1, "--dir", closed + "/runner", "--wait", "2s"}, common...)...)
	if code != 2 || !strings.Contains(out, closed+" has mode drwx------") {
		t.Errorf("unreachable --dir: exit %d, want 2 naming %s and its mode\n%s", code, closed, out)
	}
	if api, other := requestCounts(f.srv); len(api)+other != 0 {
		t.Errorf("unreachable --dir: the server was asked %v (+%d)", api, other)
	}
	h.sh("rmdir " + closed)

	// uninstall: no runner, no service, no directory, no user, no copy of
	// runnerctl; with a minimal PATH (no /usr/sbin: `service`, userdel), as
	// `env -i` or a bare service environment gives root.
	if out, code := h.sh(shJoin([]string{"env", "-i", "PATH=/usr/bin:/bin", "RUNNERCTL_ACCESS_TOKEN=" + githubtest.Token, h.binary(), "uninstall", "--dir", dir, "--state-dir", index})); code != 0 {
		t.Fatalf("uninstall: exit %d\n%s", code, out)
	}
	noTrace(t, h, f, dir, ci, append(unitFiles(svcName), stable, "/run/runnerctl/"+svcName))
	if _, code := h.sh("id " + user); code == 0 {
		t.Error("the runner user install created is still there")
	}
}

// waitLocal polls `runnerctl status --dir dir` until its output holds
// want (or, with anyOf, one of those) and returns it.
func waitLocal(t *testing.T, h host, dir, index, want string, within time.Duration, anyOf ...string) string {
	t.Helper()
	if want != "" {
		anyOf = append(anyOf, want)
	}
	deadline := time.Now().Add(within)
	for {
		out, _ := h.runnerctl("status", "--dir", dir, "--state-dir", index)
		for _, w := range anyOf {
			if strings.Contains(out, w) {
				return out
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("status never showed %q in %s:\n%s", anyOf, within, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func grepLine(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// requestCounts splits the fake's request log: runnerctl's own API
// requests (by path) and the rest (config.sh's and the listener's).
func requestCounts(srv *githubtest.Server) (api []string, other int) {
	for _, r := range srv.Requests() {
		if strings.HasPrefix(r.UserAgent, "runnerctl/") {
			api = append(api, r.Method+" "+r.Path)
		} else {
			other++
		}
	}
	return api, other
}

// shJoin quotes words for sh -c.
func shJoin(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		if strings.HasPrefix(w, "RUNNERCTL_ACCESS_TOKEN=") {
			q[i] = w
			continue
		}
		q[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

func noTrace(t *testing.T, h host, f fixture, dir, name string, files []string) {
	t.Helper()
	if _, code := h.sh("test -e " + dir); code == 0 {
		t.Errorf("%s is left behind", dir)
	}
	for _, p := range files {
		if _, code := h.sh("test -e " + p + " || test -L " + p); code == 0 {
			t.Errorf("%s is left behind", p)
		}
	}
	for _, r := range f.srv.Runners("repos/acme/app") {
		if r.Name == name {
			t.Errorf("registration of %s is left on the server", name)
		}
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestSysVLifecycle runs the lifecycle with this machine's own service
// manager when it is SysV (kardianos: unix-systemv), as root.
func TestSysVLifecycle(t *testing.T) {
	f, base := sysvHost(t)
	// --bin-dir keeps the stable runnerctl copy in the test's directory
	// (the default, /usr/local/bin, is the host's own).
	tag := strconv.FormatInt(time.Now().UnixNano()%1e6, 36)
	bin := filepath.Join(platformtest.RootOnlyTempDir(t), "bin") // root-only chain, as install demands
	lifecycle(t, f, localHost{bin: f.bin, base: base}, filepath.Join(base, "runner"), filepath.Join(base, "index"), bin, filepath.Join(bin, "runnerctl"),
		tag, "rctl"+tag, func(name string) []string {
			files := []string{"/etc/init.d/" + name}
			for _, rc := range "0123456" {
				prefix := "S50"
				if rc == '0' || rc == '1' || rc == '6' {
					prefix = "K02"
				}
				files = append(files, fmt.Sprintf("/etc/rc%c.d/%s%s", rc, prefix, name))
			}
			return files
		})
}

// sysvHost skips (fails under CI) unless this host's service manager is SysV and we are
// root; it returns the fixture and a directory (0755, removed at the end)
// for the test's runners.
func sysvHost(t *testing.T) (fixture, string) {
	t.Helper()
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		skipOrFail(t, "skipped: needs root on Linux to install a real SysV service")
	}
	if p := service.New(nil).Platform(); p != "unix-systemv" {
		skipOrFail(t, "skipped: this host's service manager is %s, not SysV (systemd is covered by TestSystemdLifecycle)", p)
	}
	if _, err := os.Stat("/etc/init.d"); err != nil {
		skipOrFail(t, "skipped: no /etc/init.d")
	}
	f := newFixture(t)
	base, err := os.MkdirTemp("", "runnerctl-sysv-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil { // the runner user walks into it
		t.Fatal(err)
	}
	return f, base
}

// supervisorExe is the executable of the supervisor of service name, as
// the kernel sees it ("... (deleted)" once the file was replaced).
// sysvRunners is a SysV host for tests that install runners with their
// own user, trusted store and root-only bin directory (a unique tag
// names them); every runner in the store is uninstalled at the end.
func sysvRunners(t *testing.T) (f fixture, h localHost, tag, user, index, binDir string) {
	f, base := sysvHost(t)
	tag = strconv.FormatInt(time.Now().UnixNano()%1e6, 36)
	user, index, binDir = "rctl"+tag, filepath.Join(base, "index"), filepath.Join(platformtest.RootOnlyTempDir(t), "bin")
	h = localHost{bin: f.bin, base: base}
	t.Cleanup(func() {
		if out, code := h.runnerctl("uninstall", "--all", "--force", "--state-dir", index); code != 0 {
			t.Logf("cleanup uninstall: %d %s", code, out)
		}
	})
	return f, h, tag, user, index, binDir
}

func supervisorExe(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("/var/run/" + name + ".pid")
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Readlink("/proc/" + strings.TrimSpace(string(b)) + "/exe")
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// Two runners on one host run one runnerctl copy. Another runnerctl
// (here: the same program with other bytes) running install replaces the
// copy, and the first runner's service is restarted on it: no service
// keeps running a deleted file.
func TestSysVNewRunnerctlRestartsServices(t *testing.T) {
	f, h, tag, user, index, binDir := sysvRunners(t)
	base := h.base
	v2 := filepath.Join(base, "runnerctl-v2")
	if out, code := h.sh(fmt.Sprintf("cp %s %s && echo v2 >> %s", f.bin, v2, v2)); code != 0 {
		t.Fatal(out)
	}
	install := func(bin, name string) {
		t.Helper()
		out, code := runCmd(exec.Command(bin, "install", "--url", f.srv.URL+"/acme/app", "--name", name, "--dir", filepath.Join(base, name),
			"--user", user, "--state-dir", index, "--bin-dir", binDir, "--cache-dir", filepath.Join(base, "cache"), "--wait", "30s"))
		if code != 0 {
			t.Fatalf("install %s with %s: exit %d\n%s", name, bin, code, out)
		}
	}
	first, second := "a-"+tag, "b-"+tag
	install(f.bin, first)
	svc1 := service.Name("acme-app", first)
	stable := filepath.Join(binDir, "runnerctl")
	if exe := supervisorExe(t, svc1); exe != stable {
		t.Fatalf("%s runs %s, want %s", svc1, exe, stable)
	}
	install(v2, second)
	if b, _ := os.ReadFile(stable); !strings.HasSuffix(string(b), "v2\n") {
		t.Fatalf("%s was not replaced by the new runnerctl", stable)
	}
	if exe := supervisorExe(t, svc1); exe != stable {
		t.Errorf("after the new runnerctl: %s runs %q, want %s (restarted on the new copy)", svc1, exe, stable)
	}
	f.waitStatus(t, first, "online", 30*time.Second)
	f.waitStatus(t, second, "online", 30*time.Second)

	// The user the first install created goes with the last runner using
	// it, whichever install created it.
	for _, name := range []string{first, second} {
		if out, code := h.runnerctl("uninstall", "--dir", filepath.Join(base, name), "--state-dir", index); code != 0 {
			t.Fatalf("uninstall %s: %d %s", name, code, out)
		}
		if _, code := h.sh("id " + user); (code == 0) != (name == first) {
			t.Errorf("after uninstalling %s: user %s exists: %v", name, user, code == 0)
		}
	}
	if _, err := os.Stat(stable); err == nil {
		t.Errorf("%s is left after the last runner", stable)
	}
}

// TestSystemdLifecycle boots systemd in a container and runs the
// lifecycle inside it, against the fake GHES on the shared loopback.
func TestSystemdLifecycle(t *testing.T) {
	f, c := systemdHost(t)
	if out, _ := c.runnerctl("version"); !strings.Contains(out, "runnerctl") {
		t.Fatalf("runnerctl in the container: %q", out)
	}
	lifecycle(t, f, c, "/opt/actions-runner", "/var/lib/runnerctl", "", "/usr/local/bin/runnerctl", "1", "runner", func(name string) []string {
		return []string{"/etc/systemd/system/" + name + ".service"}
	})
	if out, _ := c.sh("ls /etc/systemd/system/multi-user.target.wants/ | grep actions.runner || true"); strings.TrimSpace(out) != "" {
		t.Errorf("wants links left: %s", out)
	}
}

// systemdHost boots systemd in a container (the cached nspawn rootfs) with
// the built runnerctl bound in, and waits until it is up; the fake GHES
// is on the shared loopback.
func systemdHost(t *testing.T) (fixture, container) {
	t.Helper()
	needNspawn(t)
	rootfs := cachedRootfs(t, "RUNNERCTL_NSPAWN_ROOTFS", "nspawn-rootfs", "`make nspawn-rootfs` (debootstrap, about 60 s)", "lib/systemd/systemd")
	f := newFixture(t)
	tmp := t.TempDir()
	launcher := filepath.Join(tmp, "boot.sh")
	if err := os.WriteFile(launcher, []byte(nspawnLauncher), 0o755); err != nil {
		t.Fatal(err)
	}
	b := bootContainer(t, launcher, []string{"--bind-ro=" + f.bin + ":/root/runnerctl-test/runnerctl"}, []string{"ROOTFS=" + rootfs},
		filepath.Join(tmp, "console.log"), "/root/runnerctl-test/runnerctl")
	t.Cleanup(func() { b.stop(t, 20*time.Second) })
	start, c := b.start, b.c
	for {
		out, _ := c.enter("systemctl", "is-system-running", "--wait")
		if s := strings.TrimSpace(out); s == "running" || s == "degraded" {
			break
		}
		if time.Since(start) > 60*time.Second {
			t.Fatalf("systemd in the container is not up: %q", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("systemd booted in %s", time.Since(start).Round(time.Millisecond))
	return f, c
}
