//go:build linux

package service_test

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/platform"
	"github.com/runnerctl/runnerctl/service"
)

// envNames are the variable names of an environment as /proc/PID/environ
// has it (as the process was exec'd).
func envNames(t *testing.T, environ string) []string {
	t.Helper()
	b, err := os.ReadFile(environ)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, kv := range strings.Split(strings.TrimRight(string(b), "\x00"), "\x00") {
		k, _, _ := strings.Cut(kv, "=")
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

func pidFile(t *testing.T, name string) int {
	t.Helper()
	b, err := os.ReadFile("/var/run/" + name + ".pid")
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// ownedBy fails unless path is owned by uid and has mode perm.
func ownedBy(t *testing.T, path string, uid int, perm os.FileMode) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if int(st.Uid) != uid || fi.Mode().Perm() != perm {
		t.Errorf("%s: owner %d, mode %v; want owner %d, mode %v", path, st.Uid, fi.Mode().Perm(), uid, perm)
	}
}

// asRunner checks that pid runs as u with the clean environment of the
// init script (environ: a copy of its /proc/PID/environ), the way
// systemd's User= would run it.
func asRunner(t *testing.T, what string, pid int, environ string, u *user.User) {
	t.Helper()
	for _, key := range []string{"Uid:", "Gid:"} {
		want := u.Uid
		if key == "Gid:" {
			want = u.Gid
		}
		w, _ := strconv.Atoi(want)
		if ids := procIDs(pid, key); !slices.Equal(ids, []int{w, w, w, w}) {
			t.Errorf("%s (pid %d) has %s %v, want %s four times", what, pid, key, ids, want)
		}
	}
	if got := envNames(t, environ); !slices.Equal(got, []string{"HOME", "LANG", "LOGNAME", "PATH", "USER"}) {
		t.Errorf("%s (pid %d) has the environment %v, want only HOME LANG LOGNAME PATH USER", what, pid, got)
	}
}

// newRunnerUser creates a user for the test and removes it at the end.
func newRunnerUser(t *testing.T, name string) *user.User {
	t.Helper()
	if err := platform.CreateUser(name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := platform.DeleteUser(name); err != nil {
			t.Log(err)
		}
	})
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// A service whose every value is hostile, installed for real through
// kardianos on this SysV host and started as a runner user. kardianos
// writes the init script we render unchanged (its template engine finds
// no "{{" to act on), the supervisor (here a script that records what it
// got) runs as the user with exactly its argv, its directory and a clean
// environment; its pid is the pid file's; its status directory is the
// user's, the logs and /run/runnerctl root's.
func TestSysVHostileSpec(t *testing.T) {
	if _, err := exec.LookPath("setpriv"); err != nil {
		skipOrFail(t, "skipped: setpriv (util-linux) is not installed")
	}
	if os.Geteuid() != 0 || service.New(nil).Platform() != "unix-systemv" {
		skipOrFail(t, "skipped: needs root and a SysV host (service manager %s)", service.New(nil).Platform())
	}
	base, err := os.MkdirTemp("", "runnerctl-sysv-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	tag := strconv.FormatInt(time.Now().UnixNano()%1e6, 36)
	u := newRunnerUser(t, "rctlh"+tag)
	uid, _ := strconv.Atoi(u.Uid)
	hostile := `"q" 'q' $(id) ${HOME} %h ;{{Description}}`
	bin, dir, out := filepath.Join(base, "bin "+hostile), filepath.Join(base, "dir "+hostile), filepath.Join(base, "out")
	for _, d := range []string{bin, dir, out} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(out, uid, -1); err != nil {
		t.Fatal(err)
	}
	// The "supervisor": records its argv, pid and environment, then waits
	// to be stopped.
	exe := filepath.Join(bin, "supervisor")
	script := fmt.Sprintf("#!/bin/sh\nout=%s\nprintf '%%s\\0' \"$@\" > \"$out/argv\"\ncat /proc/$$/environ > \"$out/environ\"\necho $$ > \"$out/pid.tmp\" && mv \"$out/pid.tmp\" \"$out/pid\"\nexec sleep 600\n",
		"'"+out+"'")
	if err := os.WriteFile(exe, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	name := "actions.runner.acme-app.h" + tag
	s := platform.ServiceSpec{Name: name, DisplayName: "GitHub Actions Runner (acme-app." + hostile + ")", Description: "runner " + hostile,
		Executable: exe, Args: append(slices.Clone(service.HostileValues), "", hostile), User: u.Username, Dir: dir}
	m := service.New(slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() {
		if err := m.Uninstall(name); err != nil {
			t.Log(err)
		}
	})
	// A control character is refused before anything is written.
	bad := s
	bad.Dir += "\ntouch /tmp/pwned"
	if _, err := m.Install(bad); err == nil {
		t.Fatal("a directory with a newline was installed")
	}
	if _, err := os.Lstat("/etc/init.d/" + name); err == nil {
		t.Fatal("a refused spec left an init script")
	}
	if _, err := m.Install(s); err != nil {
		t.Fatal(err)
	}
	var installed []byte
	installed, err = os.ReadFile("/etc/init.d/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := service.SysVScript(s); string(installed) != want {
		t.Fatalf("kardianos changed the init script:\n%s", installed)
	}
	if err := m.Start(name); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(out, "pid")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the supervisor did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	pid := pidFile(t, name)
	if b, _ := os.ReadFile(filepath.Join(out, "pid")); strings.TrimSpace(string(b)) != strconv.Itoa(pid) {
		t.Errorf("the pid file says %d, the supervisor is %s", pid, b)
	}
	b, err := os.ReadFile(filepath.Join(out, "argv"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00"); !slices.Equal(got, s.Args) {
		t.Errorf("the supervisor got the argv\n%q\nwant\n%q", got, s.Args)
	}
	asRunner(t, "the supervisor", pid, filepath.Join(out, "environ"), u)
	if cwd, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); cwd != dir {
		t.Errorf("the supervisor runs in %q, want %q", cwd, dir)
	}
	statusDir, _ := service.StatusDir(name)
	ownedBy(t, statusDir, uid, 0o755)
	ownedBy(t, filepath.Dir(statusDir), 0, 0o755)
	for _, log := range []string{"/var/log/" + name + ".log", "/var/log/" + name + ".err"} {
		if fi, err := os.Stat(log); err != nil || fi.Sys().(*syscall.Stat_t).Uid != 0 {
			t.Errorf("%s is not root's: %v", log, err)
		}
	}
	if st, err := m.Status(name); err != nil || st.State != platform.ServiceRunning {
		t.Errorf("status: %+v %v", st, err)
	}
	if err := m.Stop(name); err != nil {
		t.Fatal(err)
	}
	if st, err := m.Status(name); err != nil || st.State != platform.ServiceStopped {
		t.Errorf("status after stop: %+v %v", st, err)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("the supervisor (pid %d) runs after stop", pid)
	}
}

// The real supervisor, `runnerctl run`, installed by runnerctl on this
// SysV host: it runs as the runner user (not root) with the init script's
// clean environment, and so does the listener it starts; its status
// directory is the user's; status, restart and stop work on it.
func TestSysVSupervisorRunsAsRunnerUser(t *testing.T) {
	if _, err := exec.LookPath("setpriv"); err != nil {
		skipOrFail(t, "skipped: setpriv (util-linux) is not installed")
	}
	f, h, tag, userName, index, binDir := sysvRunners(t)
	base := h.base
	name, dir := "p-"+tag, filepath.Join(base, "runner")
	if out, code := h.runnerctl("install", "--url", f.srv.URL+"/acme/app", "--name", name, "--dir", dir, "--user", userName,
		"--state-dir", index, "--bin-dir", binDir, "--cache-dir", filepath.Join(base, "cache"), "--wait", "30s"); code != 0 {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	u, err := user.Lookup(userName)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	svc := service.Name("acme-app", name)
	check := func(when string) {
		t.Helper()
		pid := pidFile(t, svc)
		if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); exe != filepath.Join(binDir, "runnerctl") {
			t.Errorf("%s: pid %d of the pid file runs %q, not runnerctl", when, pid, exe)
		}
		asRunner(t, when+": runnerctl run", pid, fmt.Sprintf("/proc/%d/environ", pid), u)
		listener := 0
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			if p, err := strconv.Atoi(e.Name()); err == nil {
				if exe, _ := os.Readlink("/proc/" + e.Name() + "/exe"); exe == filepath.Join(dir, "bin", "Runner.Listener") {
					listener = p
				}
			}
		}
		if listener == 0 {
			t.Fatalf("%s: no listener runs", when)
		}
		if ids := procIDs(listener, "Uid:"); !slices.Equal(ids, []int{uid, uid, uid, uid}) {
			t.Errorf("%s: the listener runs with uids %v, want %s", when, ids, u.Uid)
		}
		statusDir, _ := service.StatusDir(svc)
		ownedBy(t, statusDir, uid, 0o755)
		ownedBy(t, filepath.Join(statusDir, "status.json"), uid, 0o644)
	}
	waitLocal(t, h, dir, index, "supervisor: listening since", 30*time.Second)
	check("after install")
	if out, code := h.restart(svc); code != 0 {
		t.Fatalf("restart: %d %s", code, out)
	}
	waitLocal(t, h, dir, index, "supervisor: listening since", 30*time.Second)
	check("after a restart")
	pid := pidFile(t, svc)
	if out, code := h.sh("/etc/init.d/" + svc + " stop && /etc/init.d/" + svc + " status"); code != 3 {
		t.Errorf("stop, then status: exit %d, want 3\n%s", code, out)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("the supervisor (pid %d) runs after stop", pid)
	}
}
