//go:build !windows

package service

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/platform"
)

// fakeLaunchctl plays launchd for one agent: a GUI session or not, the
// job loaded or not; it records every command line.
type fakeLaunchctl struct {
	session, loaded bool
	printed         string // print's output for the loaded job
	calls           [][]string
}

func (f *fakeLaunchctl) run(args ...string) ([]byte, error) {
	f.calls = append(f.calls, args)
	switch {
	case args[0] == "print" && strings.Count(args[1], "/") == 1:
		if !f.session {
			return nil, errors.New("Bad request. Could not find domain for port identifier.")
		}
	case args[0] == "print":
		if !f.loaded {
			return nil, errors.New("Could not find service in domain for port")
		}
		return []byte(f.printed), nil
	case args[0] == "bootstrap":
		f.loaded = true
	case args[0] == "bootout":
		f.loaded = false
	}
	return nil, nil
}

// mutating are the calls that change launchd's state (not print).
func (f *fakeLaunchctl) mutating() [][]string {
	var out [][]string
	for _, c := range f.calls {
		if c[0] != "print" {
			out = append(out, c)
		}
	}
	f.calls = nil
	return out
}

const runningJob = `gui/501/actions.runner.acme-app.ci_1 = {
	active count = 1
	path = /Users/runner/Library/LaunchAgents/actions.runner.acme-app.ci_1.plist
	state = running

	program = /usr/local/bin/runnerctl
	arguments = {
		/usr/local/bin/runnerctl
		run
	}
	pid = 4242
	last exit code = (never exited)
	spawn type = interactive (4)
	properties = {
		pid = 7
	}
}
`

// testAgent is an agent of uid:gid in a temporary home directory they own.
func testAgent(t *testing.T, uid, gid int) (*launchAgent, *fakeLaunchctl) {
	t.Helper()
	home := filepath.Join(t.TempDir(), "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(home, uid, gid); err != nil {
		t.Fatal(err)
	}
	f := &fakeLaunchctl{session: true}
	return &launchAgent{name: nameFor("acme-app", "ci 1", darwinRule()), user: "runner", home: home, uid: uid, gid: gid,
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), launchctl: f.run}, f
}

// The command lines for the agent in the user's GUI session, as the
// brief of #11 and launchctl(1) name them.
func TestLaunchAgentArgv(t *testing.T) {
	a := &launchAgent{name: "actions.runner.acme-app.ci_1", home: "/Users/runner", uid: 501}
	plist := "/Users/runner/Library/LaunchAgents/actions.runner.acme-app.ci_1.plist"
	for action, want := range map[string][]string{
		"session": {"print", "gui/501"},
		"load":    {"bootstrap", "gui/501", plist},
		"unload":  {"bootout", "gui/501/actions.runner.acme-app.ci_1"},
		"restart": {"kickstart", "-k", "gui/501/actions.runner.acme-app.ci_1"},
		"print":   {"print", "gui/501/actions.runner.acme-app.ci_1"},
	} {
		if got := a.argv(action); !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", action, got, want)
		}
	}
	if got := a.argv("load -w"); got != nil {
		t.Errorf("an unknown action: %q", got)
	}
}

func TestLaunchctlPrint(t *testing.T) {
	j := parsePrint([]byte(runningJob))
	if j.state != "running" || j.pid != 4242 || j.lastExit != "(never exited)" {
		t.Fatalf("parsed %+v", j)
	}
	for _, c := range []struct {
		j    printedJob
		want platform.ServiceState
	}{
		{j, platform.ServiceRunning},
		{printedJob{state: "not running", lastExit: "0"}, platform.ServiceStopped}, // stopped for good: Run exits 0
		{printedJob{state: "not running", lastExit: "(never exited)"}, platform.ServiceStopped},
		{printedJob{state: "spawn scheduled", lastExit: "1"}, platform.ServiceRestarting}, // KeepAlive relaunches it
	} {
		if st, _, _ := jobState(c.j); st != c.want {
			t.Errorf("%+v: %s, want %s", c.j, st, c.want)
		}
	}
}

// Install, start, status, restart, stop and uninstall of an agent
// against a fake launchctl, with the real file operations in a
// temporary home directory.
func TestLaunchAgentLifecycle(t *testing.T) {
	a, f := testAgent(t, os.Getuid(), os.Getgid())
	s := spec()
	s.Name, s.Launchd = a.name, LaunchAgent
	if st, _, _, err := a.state(); err != nil || st != platform.ServiceNotInstalled {
		t.Fatalf("before install: %s, %v", st, err)
	}
	if changed, err := a.install(s); err != nil || !changed {
		t.Fatalf("install: %v, %v", changed, err)
	}
	b, err := os.ReadFile(a.plistPath())
	if err != nil {
		t.Fatal(err)
	}
	if want := must[string](t)(LaunchAgentPlist(s, a.home)); string(b) != want {
		t.Errorf("plist on disk differs from the rendered one:\n%s", b)
	}
	if got := parseAgent(t, string(b)); got.Label != a.name || got.UserName != "" {
		t.Errorf("plist parsed as %+v", got)
	}
	if fi, err := os.Stat(filepath.Join(a.home, "Library/Logs", a.name)); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o755 {
		t.Errorf("log directory: %v, %v", fi, err)
	}
	if fi, _ := os.Stat(a.plistPath()); fi == nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("plist mode: %v", fi)
	}
	if changed, err := a.install(s); err != nil || changed {
		t.Errorf("the same install again: %v, %v", changed, err)
	}
	if st, _, _, _ := a.state(); st != platform.ServiceStopped {
		t.Errorf("installed, not loaded: %s", st)
	}
	if err := a.start(); err != nil {
		t.Fatal(err)
	}
	if got := f.mutating(); !slices.EqualFunc(got, [][]string{{"bootstrap", "gui/" + strconv.Itoa(a.uid), a.plistPath()}}, slices.Equal) {
		t.Errorf("start ran %q", got)
	}
	f.printed = runningJob
	if st, _, pid, _ := a.state(); st != platform.ServiceRunning || pid != 4242 {
		t.Errorf("loaded: %s, pid %d", st, pid)
	}
	if err := a.restart(); err != nil {
		t.Fatal(err)
	}
	if got := f.mutating(); !slices.EqualFunc(got, [][]string{{"kickstart", "-k", a.domain() + "/" + a.name}}, slices.Equal) {
		t.Errorf("restart ran %q", got)
	}
	// A new definition: the loaded job is unloaded (launchd keeps the
	// one it loaded) and the plist rewritten.
	s.Args = append(s.Args, "--state-dir", "/var/db/other")
	if changed, err := a.install(s); err != nil || !changed || f.loaded {
		t.Errorf("a new definition: changed %v, %v, still loaded %v", changed, err, f.loaded)
	}
	f.mutating()
	f.loaded = true
	if err := a.uninstall(); err != nil {
		t.Fatal(err)
	}
	if got := f.mutating(); !slices.EqualFunc(got, [][]string{{"bootout", a.domain() + "/" + a.name}}, slices.Equal) {
		t.Errorf("uninstall ran %q", got)
	}
	for _, p := range []string{a.plistPath(), filepath.Join(a.home, "Library/Logs", a.name)} {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after uninstall: %v", p, err)
		}
	}
	if st, _, _, _ := a.state(); st != platform.ServiceNotInstalled {
		t.Errorf("after uninstall: %s", st)
	}
	if err := a.uninstall(); err != nil {
		t.Errorf("uninstall again: %v", err)
	}
}

// Without a GUI session the plist is installed, start only warns, and
// the state says the agent waits for the user's login.
func TestLaunchAgentNoSession(t *testing.T) {
	a, f := testAgent(t, os.Getuid(), os.Getgid())
	f.session = false
	s := spec()
	s.Name = a.name
	if _, err := a.install(s); err != nil {
		t.Fatal(err)
	}
	if err := a.start(); err != nil {
		t.Fatal(err)
	}
	if got := f.mutating(); len(got) != 0 {
		t.Errorf("start without a session ran %q", got)
	}
	if st, detail, _, err := a.state(); err != nil || st != platform.ServiceAwaitingLogin || !strings.Contains(detail, "next login") {
		t.Errorf("without a session: %s (%s), %v", st, detail, err)
	}
}

// The runner user owns their home and every job can plant links there:
// root's writes and removals must never go through one. Run as root with
// the agent's user another uid (nobody's), as on a real host.
func TestLaunchAgentHostileHome(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: needs root (the agent's files are written as root for another user)")
	}
	const uid, gid = 65534, 65534
	rootFile := filepath.Join(t.TempDir(), "root-file")
	if err := os.WriteFile(rootFile, []byte("root's\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rootDir := t.TempDir()
	unchanged := func(t *testing.T) {
		t.Helper()
		if b, err := os.ReadFile(rootFile); err != nil || string(b) != "root's\n" {
			t.Errorf("root's file was changed: %q, %v", b, err)
		}
		if fi, _ := os.Stat(rootFile); fi == nil || fi.Sys().(*syscall.Stat_t).Uid != 0 {
			t.Errorf("root's file changed hands: %v", fi)
		}
		if ents, _ := os.ReadDir(rootDir); len(ents) != 0 {
			t.Errorf("something was written in root's directory: %v", ents)
		}
	}
	s := spec()
	s.Launchd = LaunchAgent
	plant := func(t *testing.T, rel, target string) *launchAgent {
		t.Helper()
		a, _ := testAgent(t, uid, gid)
		s.Name = a.name
		p := filepath.Join(a.home, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return a
	}

	t.Run("link at the plist", func(t *testing.T) {
		a := plant(t, "Library/LaunchAgents/"+nameFor("acme-app", "ci 1", darwinRule())+".plist", rootFile)
		if _, err := a.install(s); err != nil && !errors.Is(err, platform.ErrNotRegular) {
			t.Errorf("install: %v", err)
		}
		unchanged(t)
		// The write itself, as when the link appears after install read
		// the plist: refused, never followed.
		if err := writeAgentFiles(a, []byte("<plist/>")); !errors.Is(err, platform.ErrNotRegular) {
			t.Errorf("write over a link: %v", err)
		}
		unchanged(t)
		if fi, err := os.Lstat(a.plistPath()); err == nil && fi.Mode().IsRegular() {
			if st := fi.Sys().(*syscall.Stat_t); st.Uid != uid {
				t.Errorf("plist owned by %d", st.Uid)
			}
		}
		if err := a.uninstall(); err != nil {
			t.Errorf("uninstall: %v", err)
		}
		unchanged(t)
	})
	for _, rel := range []string{"Library", "Library/LaunchAgents", "Library/Logs"} {
		t.Run("link at ~/"+rel, func(t *testing.T) {
			a := plant(t, rel, rootDir)
			if _, err := a.install(s); err == nil {
				t.Errorf("install through ~/%s -> %s succeeded", rel, rootDir)
			}
			unchanged(t)
			_ = a.uninstall()
			unchanged(t)
		})
	}
	t.Run("link at a log", func(t *testing.T) {
		a := plant(t, "Library/Logs/"+nameFor("acme-app", "ci 1", darwinRule())+"/stderr.log", rootFile)
		if lines := agentLogs(a, 10); len(lines) != 0 {
			t.Errorf("logs read through a link: %q", lines)
		}
		if _, err := a.install(s); err != nil {
			t.Fatal(err)
		}
		if err := a.uninstall(); err != nil {
			t.Errorf("uninstall: %v", err)
		}
		unchanged(t)
	})
	t.Run("FIFO at the plist", func(t *testing.T) {
		a, _ := testAgent(t, uid, gid)
		s.Name = a.name
		if err := os.MkdirAll(filepath.Join(a.home, "Library/LaunchAgents"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mkfifo(a.plistPath(), 0o644); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { _, err := a.install(s); done <- err }()
		select {
		case err := <-done:
			if !errors.Is(err, platform.ErrNotRegular) {
				t.Errorf("install over a FIFO: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("install blocked on a FIFO at the plist")
		}
	})
	t.Run("home of another user", func(t *testing.T) {
		a, _ := testAgent(t, 0, 0)
		a.uid, a.gid = uid, gid
		if _, err := a.install(s); err == nil || !strings.Contains(err.Error(), "owned by uid 0") {
			t.Errorf("install in root's home for uid %d: %v", uid, err)
		}
		if _, err := os.Lstat(filepath.Join(a.home, "Library")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("something was made in root's home: %v", err)
		}
	})
}
