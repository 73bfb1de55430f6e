//go:build linux

package service_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/platform"
	"github.com/runnerctl/runnerctl/platform/platformtest"
	"github.com/runnerctl/runnerctl/service"
)

// The hostile-runner suite of issue 10 (item 8). Everything under a runner
// directory belongs to the runner user, and every workflow job runs as that
// user: from the first job on, the tree is the attacker's. The test
// installs a runner with the real SysV service, then, as the runner user,
// rewrites or replaces what runnerctl ever wrote or reads there (the state
// file with another user, service name and URL; config.sh, the listener
// and the scripts; .env, .env.tmp, .service as symlinks to root's files;
// .runner deleted; a subdirectory swapped for a symlink while a second
// runner is installed), and then does, as root with an API token in the
// environment, what an administrator does: restart the service, status,
// install again, uninstall. After each step it checks that no listener or
// config.sh ran as root, root executed nothing outside the runner tree,
// the attacker's server got no request (none carrying a credential), the
// victims kept content, owner and mode, and no token reached the modified
// tree.

// storeFlags names runnerctl's trusted store of installed runners:
// --index-dir on c69c154, --state-dir once issue 10 lands (this line is
// the whole change).
func storeFlags(dir string) []string { return []string{"--state-dir", dir} }

// wrapperMark is in every script the attacker plants.
const wrapperMark = "HOSTILE-WRAPPER"

// hostileScripts are the runner's own files the attacker replaces with
// recording wrappers (those the package has; svc.sh is the real package's).
var hostileScripts = []string{"config.sh", "run.sh", "env.sh", "svc.sh", "bin/Runner.Listener", "bin/runsvc.sh"}

type hostile struct {
	f    fixture
	tag  string
	user string // the runner user install creates
	uid  int    // its uid, once it exists

	base     string // root-owned 0755 (under /run): everything of the test
	store    string // runnerctl's store (--index-dir / --state-dir)
	binDir   string
	cache    string
	dirs     [2]string // the runner directories
	names    [2]string // the runner names
	svcs     [2]string // their services
	attacker string    // the runner user's own directory, outside the trees
	stage    string    // root → attacker hand-off (world-readable)
	secret   string    // root-only 0700: the victims
	marker   string    // root-only 0700: the evil script's marker when root runs it

	evil, evilName string // the attacker's script and the service "name" that reaches it
	execLog        string // every wrapper: uid, script, argv
	tokenLog       string // every wrapper: the *TOKEN* variables it was given
	evilLog        string // the evil script, when not run as root
	rootMarker     string

	ghToken string // a secret of the caller's (sudo -E), not runnerctl's
	catcher *catcher
	procs   *rootWatch

	victimsBefore map[string]string
	secrets       []string // the victims' contents

	mu       sync.Mutex
	offsets  map[string]int64
	reported map[string]bool
}

// TestHostileRunner is the hostile-runner suite (see above).
func TestHostileRunner(t *testing.T) {
	f, _ := sysvHost(t)
	if _, err := exec.LookPath("setpriv"); err != nil {
		skipOrFail(t, "skipped: setpriv (util-linux) is not installed: the attacker's commands run as the runner user with it")
	}
	if err := platform.CheckRootOnly("/run"); err != nil {
		skipOrFail(t, "skipped: the test's root-owned base goes under /run, which is not root-only here: %v", err)
	}
	tag := strconv.FormatInt(time.Now().UnixNano()%(36*36*36*36*36*36), 36)
	base := platformtest.RootOnlyTempDir(t)
	h := &hostile{
		f: f, tag: tag, user: "rctlh" + tag, base: base,
		store: filepath.Join(base, "store"), binDir: filepath.Join(base, "bin"), cache: filepath.Join(base, "cache"),
		dirs:     [2]string{filepath.Join(base, "runner-1"), filepath.Join(base, "runner-2")},
		names:    [2]string{"h1-" + tag, "h2-" + tag},
		attacker: filepath.Join(base, "attacker"), stage: filepath.Join(base, "stage"),
		secret: filepath.Join(base, "secret"), marker: filepath.Join(base, "marker"),
		ghToken: "gh-hostile-" + tag, offsets: map[string]int64{}, reported: map[string]bool{},
	}
	for i, n := range h.names {
		h.svcs[i] = service.Name("acme-app", n)
	}
	h.evil = filepath.Join(h.attacker, "evil")
	h.evilName = "../.." + h.evil // /etc/init.d/../../<h.evil>
	h.execLog, h.tokenLog, h.evilLog = filepath.Join(h.attacker, "exec.log"), filepath.Join(h.attacker, "tokens.log"), filepath.Join(h.attacker, "evil.log")
	h.rootMarker = filepath.Join(h.marker, "evil-ran-as-root")
	h.catcher = newCatcher(t)
	// Registered after RootOnlyTempDir's removal and the catcher's close,
	// so it runs before them.
	t.Cleanup(func() { h.cleanup(t) })
	// The administrator runs with a token of another tool exported (sudo -E).
	t.Setenv("GH_TOKEN", h.ghToken)
	h.setUp(t)

	if !t.Run("install", func(t *testing.T) {
		if out, code := h.runnerctl(t, 2*time.Minute, h.installArgs(0)...); code != 0 {
			t.Fatalf("install: exit %d\n%s", code, out)
		}
		f.waitStatus(t, h.names[0], "online", 30*time.Second)
	}) {
		t.FailNow()
	}
	h.userCreated(t)
	h.procs = watchRoot(h.dirs[0], h.dirs[1], h.attacker)
	defer h.procs.close()
	t.Run("supervisor-not-root", func(t *testing.T) { h.supervisorNotRoot(t, 0) })

	// The job: wrappers, a forged state (no user, a service name that is a
	// path to its script, its own server), links to root's files.
	if !t.Run("attack", func(t *testing.T) {
		h.asUser(t, `cp -p "$1/.runner" "$2/saved.runner"; if [ -f "$1/.runnerctl.json" ]; then cp "$1/.runnerctl.json" "$2/orig-state.json"; fi`,
			h.dirs[0], h.attacker)
		h.plantEvil(t)
		h.plantWrappers(t, h.dirs[0])
		h.plantLinks(t, h.dirs[0])
		h.forgeState(t, h.dirs[0], h.evilState(""))
	}) {
		t.FailNow()
	}

	t.Run("restart", func(t *testing.T) {
		before := h.listenerStarts()
		if out, code := h.rootSh(t, 2*time.Minute, "/etc/init.d/"+h.svcs[0]+" restart"); code != 0 {
			t.Errorf("/etc/init.d/%s restart: exit %d\n%s", h.svcs[0], code, out)
		}
		h.waitListenerStart(t, before, 30*time.Second)
		f.waitStatus(t, h.names[0], "online", 30*time.Second)
		h.procs.scan() // the listener runs now: one more look at who runs it
		h.check(t, "restart")
		h.supervisorNotRoot(t, 0)
	})

	t.Run("status", func(t *testing.T) {
		for _, args := range [][]string{{"status", "--dir", h.dirs[0]}, {"status", "--all"}} {
			out, code := h.runnerctl(t, time.Minute, append(args, storeFlags(h.store)...)...)
			if code != 0 || !strings.Contains(out, h.svcs[0]+" (running") || !strings.Contains(out, "online") {
				t.Errorf("runnerctl %s: exit %d, want 0, service %s running and the runner online (from root's records, not the state the job wrote)\n%s",
					strings.Join(args, " "), code, h.svcs[0], out)
			}
			h.check(t, "runnerctl "+strings.Join(args, " "))
		}
	})

	// install again, the same command, over the forged state; then once
	// more with the state put back as install wrote it (only the links
	// planted): install repairs, and writes nothing through a link.
	t.Run("reinstall-over-forged-state", func(t *testing.T) {
		if out, code := h.runnerctl(t, 2*time.Minute, h.installArgs(0)...); code != 0 {
			t.Errorf("install again over the forged state: exit %d, want 0 (the runner is installed: root's record says so)\n%s", code, out)
		}
		h.check(t, "install again (forged state)")
	})
	t.Run("reinstall-same-flags", func(t *testing.T) {
		h.asUser(t, `if [ -f "$2/orig-state.json" ]; then cp "$2/orig-state.json" "$1/.rs.tmp" && mv -f "$1/.rs.tmp" "$1/.runnerctl.json"; else rm -f "$1/.runnerctl.json"; fi`,
			h.dirs[0], h.attacker)
		h.plantLinks(t, h.dirs[0])
		if out, code := h.runnerctl(t, 2*time.Minute, h.installArgs(0)...); code != 0 {
			t.Errorf("install again: exit %d, want 0\n%s", code, out)
		}
		h.check(t, "install again (same flags)")
	})

	// .runner deleted: the runner must be registered again, and the
	// registration token must go to a config.sh root has just extracted,
	// not to the job's.
	t.Run("reinstall-env-after-runner-deleted", func(t *testing.T) {
		oldID := h.serverID(t, h.names[0])
		h.plantWrappers(t, h.dirs[0])
		h.plantLinks(t, h.dirs[0])
		h.asUser(t, `rm -f "$1/.runner"`, h.dirs[0])
		h.forgeState(t, h.dirs[0], h.freshState())
		out, code := h.runnerctl(t, 2*time.Minute, h.installArgs(0, "--env", "FOO=bar")...)
		if code != 0 {
			t.Errorf("install --env FOO=bar after .runner was deleted: exit %d, want 0 (registered again from a fresh extraction)\n%s", code, out)
		}
		h.check(t, "install --env after .runner deleted")
		if code != 0 {
			return
		}
		h.freshRegistration(t, oldID)
		h.envFile(t, h.dirs[0])
	})

	t.Run("second-install-race", func(t *testing.T) { h.secondInstall(t) })

	t.Run("uninstall", func(t *testing.T) {
		// The job modifies the tree again (a fresh one after the
		// re-registration), brings .runner back and says the runner runs
		// as root, under another service, for its own server.
		h.plantWrappers(t, h.dirs[0])
		h.plantLinks(t, h.dirs[0])
		h.asUser(t, `[ -e "$1/.runner" ] || cp "$2/saved.runner" "$1/.runner"`, h.dirs[0], h.attacker)
		h.forgeState(t, h.dirs[0], h.evilState("root"))
		if out, code := h.runnerctl(t, 2*time.Minute, append([]string{"uninstall", "--dir", h.dirs[0]}, storeFlags(h.store)...)...); code != 0 {
			t.Errorf("uninstall --dir %s: exit %d, want 0\n%s", h.dirs[0], code, out)
		}
		h.check(t, "uninstall")
		h.gone(t, 0)
		if _, err := os.Lstat(h.evil); err != nil {
			t.Errorf("root removed %s, a file outside the runner tree named by the forged service name: %v", h.evil, err)
		}
	})
	t.Run("uninstall-second", func(t *testing.T) {
		if out, code := h.runnerctl(t, 2*time.Minute, append([]string{"uninstall", "--dir", h.dirs[1]}, storeFlags(h.store)...)...); code != 0 {
			t.Errorf("uninstall --dir %s: exit %d, want 0\n%s", h.dirs[1], code, out)
		}
		h.check(t, "uninstall of the second runner")
		h.gone(t, 1)
	})
	t.Run("nothing-left", func(t *testing.T) {
		if _, err := user.Lookup(h.user); err == nil {
			t.Errorf("the runner user %s install created is still there", h.user)
		}
		if _, err := os.Lstat(filepath.Join(h.binDir, "runnerctl")); err == nil {
			t.Errorf("%s/runnerctl (the services' copy) is left after the last runner", h.binDir)
		}
		if left := processesOf(h.uid, h.base); len(left) > 0 {
			t.Errorf("processes left: %s", strings.Join(left, "; "))
		}
		h.procs.scan()
		h.check(t, "the end")
	})
}

// setUp makes the test's directories, the victims and the racer.
func (h *hostile) setUp(t *testing.T) {
	t.Helper()
	for _, d := range []struct {
		path string
		mode os.FileMode
	}{{h.stage, 0o755}, {h.secret, 0o700}, {h.marker, 0o700}, {h.attacker, 0o755}} {
		if err := os.Mkdir(d.path, d.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d.path, d.mode); err != nil {
			t.Fatal(err)
		}
	}
	// Victims: root's, 0600 in a root-only directory, each with a secret.
	victim := func(rel string, mode os.FileMode) {
		p := filepath.Join(h.secret, rel)
		s := "hostile-victim-" + h.tag + "-" + strings.ReplaceAll(rel, "/", "-") + "\n"
		if err := os.WriteFile(p, []byte("SECRET="+s), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		h.secrets = append(h.secrets, strings.TrimSpace(s))
	}
	victim("env", 0o600)
	victim("env-tmp", 0o600)
	victim("service", 0o600)
	// A directory of root's laid out as the package's externals/node20
	// (as /usr/local is, with node installed there).
	for _, d := range []string{"local", "local/bin", "local/lib", "local/lib/node_modules", "local/lib/node_modules/npm", "local/lib/node_modules/npm/bin"} {
		if err := os.Mkdir(filepath.Join(h.secret, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	victim("local/bin/node", 0o755)
	victim("local/bin/npm", 0o755)
	victim("local/lib/node_modules/npm/bin/npm-cli.js", 0o644)
	h.victimsBefore = snapshot(h.secret)

	// The racer of the second install, built once (root's, run by the user).
	racer := filepath.Join(h.stage, "hostileracer")
	if out, err := exec.Command("go", "build", "-o", racer, "github.com/runnerctl/runnerctl/service/testdata/hostileracer").CombinedOutput(); err != nil {
		t.Fatalf("build the racer: %v\n%s", err, out)
	}
}

// userCreated looks up the runner user install created and gives it its
// own directory (its home, say) outside the runner trees.
func (h *hostile) userCreated(t *testing.T) {
	t.Helper()
	u, err := user.Lookup(h.user)
	if err != nil {
		t.Fatalf("the runner user %s: %v", h.user, err)
	}
	h.uid, _ = strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(h.attacker, h.uid, gid); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{h.execLog, h.tokenLog, h.evilLog} {
		h.asUser(t, `: > "$1" && chmod 0666 "$1"`, p)
	}
}

func (h *hostile) installArgs(i int, extra ...string) []string {
	args := []string{"install", "--url", h.f.srv.URL + "/acme/app", "--name", h.names[i], "--dir", h.dirs[i], "--user", h.user,
		"--bin-dir", h.binDir, "--cache-dir", h.cache, "--wait", "30s"}
	return append(append(args, storeFlags(h.store)...), extra...)
}

// runnerctl runs the runnerctl under test as root, with the API token in
// its environment (runCmd), killed after within.
func (h *hostile) runnerctl(t *testing.T, within time.Duration, args ...string) (string, int) {
	t.Helper()
	return h.rootCmd(within, h.f.bin, args...)
}

func (h *hostile) rootSh(t *testing.T, within time.Duration, script string) (string, int) {
	t.Helper()
	return h.rootCmd(within, "sh", "-c", script)
}

func (h *hostile) rootCmd(within time.Duration, name string, args ...string) (string, int) {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 5 * time.Second
	out, code := runCmd(cmd)
	if ctx.Err() != nil {
		out += fmt.Sprintf("\n(killed: not done after %s)", within)
	}
	return out, code
}

// asUser runs script (sh -e, args as $1...) as the runner user: what a
// workflow job can do. Its environment holds no credential.
func (h *hostile) asUser(t *testing.T, script string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "setpriv", append([]string{"--reuid", h.user, "--regid", h.user, "--init-groups", "--", "sh", "-ec", script, "sh"}, args...)...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + h.attacker, "LANG=C"}
	cmd.Dir = "/"
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("as %s: %v\n%s\nscript: %s %q", h.user, err, out, script, args)
	}
	return string(out)
}

// stageFile hands content to the attacker: a world-readable file of root's.
func (h *hostile) stageFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(h.stage, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// plantEvil writes the attacker's script outside the runner trees: run as
// root it leaves a marker where only root can write.
func (h *hostile) plantEvil(t *testing.T) {
	t.Helper()
	src := h.stageFile(t, "evil", fmt.Sprintf(`#!/bin/sh
# planted by the hostile-runner test: nothing may ever run this
if [ "$(id -u)" = 0 ]; then echo "root ran $0 $*" >> %s; else echo "uid $(id -u) ran $0 $*" >> %s; fi
exit 0
`, shQuote(h.rootMarker), shQuote(h.evilLog)))
	h.asUser(t, `cp "$1" "$2.tmp" && chmod 0755 "$2.tmp" && mv -f "$2.tmp" "$2"`, src, h.evil)
}

// plantWrappers replaces the runner's scripts and listener in dir with
// wrappers that record who ran them, with what arguments and which *TOKEN*
// variables, and then run the original (kept as .orig-NAME), so that the
// runner still works.
func (h *hostile) plantWrappers(t *testing.T, dir string) {
	t.Helper()
	for _, rel := range hostileScripts {
		p := filepath.Join(dir, rel)
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		orig := filepath.Join(filepath.Dir(p), ".orig-"+filepath.Base(p))
		record := fmt.Sprintf(`printf 'uid=%%s script=%%s argv=%%s\n' "$(id -u)" %s "$*" >> %s
env | grep -i '^[^=]*token[^=]*=' | while IFS= read -r l; do printf 'script=%%s arg1=%%s %%s\n' %s "$1" "$l"; done >> %s
`, shQuote(p), shQuote(h.execLog), shQuote(p), shQuote(h.tokenLog))
		run := "exec " + shQuote(orig) + ` "$@"` + "\n"
		if rel == "env.sh" { // sourced by config.sh: source the original
			run = ". " + shQuote(orig) + "\n"
		}
		src := h.stageFile(t, "wrapper-"+strings.ReplaceAll(rel, "/", "-"), "#!/bin/sh\n# "+wrapperMark+": planted by the hostile-runner test\n"+record+run)
		keep := "cp -p \"$1\" \"$2\" && " // the original aside, unless it is one of ours already
		if bytes.Contains(b, []byte(wrapperMark)) {
			keep = ""
		}
		h.asUser(t, keep+`cp "$3" "$1.tmp" && chmod 0755 "$1.tmp" && mv -f "$1.tmp" "$1"`, p, orig, src)
	}
}

// plantLinks makes .env, .env.tmp and .service links to root's victims.
func (h *hostile) plantLinks(t *testing.T, dir string) {
	t.Helper()
	for name, v := range map[string]string{".env": "env", ".env.tmp": "env-tmp", ".service": "service"} {
		h.asUser(t, `rm -f "$1" && ln -s "$2" "$1"`, filepath.Join(dir, name), filepath.Join(h.secret, v))
	}
}

// forgeState writes the runner directory's state file as the job would.
func (h *hostile) forgeState(t *testing.T, dir string, st map[string]any) {
	t.Helper()
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	src := h.stageFile(t, "state.json", string(b)+"\n")
	h.asUser(t, `cp "$2" "$1/.rs.tmp" && mv -f "$1/.rs.tmp" "$1/.runnerctl.json"`, dir, src)
}

// evilState: the installed runner, run as user (""/"root"), its service
// named by a path to the attacker's script, registered at its server.
func (h *hostile) evilState(runAs string) map[string]any {
	st := h.freshState()
	st["user"] = runAs
	st["user_created"] = false
	st["runner"] = map[string]any{"url": h.catcher.srv.URL + "/acme/app", "scope": "repository", "name": h.names[0],
		"id": h.currentID(h.names[0]), "service": h.evilName, "installed_at": time.Now().UTC()}
	return st
}

// freshState: a directory prepared with this package, registered nowhere.
func (h *hostile) freshState() map[string]any {
	return map[string]any{"schema_version": 1, "package": map[string]any{"filename": h.f.pkg.Filename, "sha256": h.f.pkg.SHA256},
		"user": h.user, "user_created": true, "prepared_at": time.Now().UTC(), "runnerctl_version": "dev"}
}

func (h *hostile) currentID(name string) int64 {
	for _, r := range h.f.srv.Runners("repos/acme/app") {
		if r.Name == name {
			return r.ID
		}
	}
	return 0
}

func (h *hostile) serverID(t *testing.T, name string) int64 {
	t.Helper()
	id := h.currentID(name)
	if id == 0 {
		t.Fatalf("runner %s is not registered: %+v", name, h.f.srv.Runners("repos/acme/app"))
	}
	return id
}

// listenerStarts counts the supervisor's launches of the listener (its
// wrapper's lines).
func (h *hostile) listenerStarts() int {
	b, _ := os.ReadFile(h.execLog)
	return strings.Count(string(b), "/bin/Runner.Listener argv=run")
}

func (h *hostile) waitListenerStart(t *testing.T, before int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for h.listenerStarts() <= before {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(h.execLog)
			t.Fatalf("the service started no listener in %s; the wrappers' log:\n%s", within, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// supervisorNotRoot: the SysV service's `runnerctl run` (the pid in its
// pid file) runs as the runner user, as systemd's User= has it.
func (h *hostile) supervisorNotRoot(t *testing.T, i int) {
	t.Helper()
	b, err := os.ReadFile("/var/run/" + h.svcs[i] + ".pid")
	if err != nil {
		t.Errorf("the supervisor of %s: %v", h.svcs[i], err)
		return
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	ids := procIDs(pid, "Uid:")
	if len(ids) == 0 {
		t.Errorf("the supervisor of %s (pid %d) is not running", h.svcs[i], pid)
		return
	}
	if slices.Contains(ids, 0) {
		h.report(t, fmt.Sprintf("service %s, supervisor pid %d", h.svcs[i], pid),
			"the supervisor (`runnerctl run`, the pid in the pid file) runs as root: it should run as "+h.user+", as under systemd's User=",
			fmt.Sprintf("Uid: %v", ids))
	}
}

// freshRegistration: after the re-install, the runner is registered once,
// anew, online, from a tree that is not the job's.
func (h *hostile) freshRegistration(t *testing.T, oldID int64) {
	t.Helper()
	var mine []githubtest.Runner
	for _, r := range h.f.srv.Runners("repos/acme/app") {
		if r.Name == h.names[0] {
			mine = append(mine, r)
		}
	}
	if len(mine) != 1 || mine[0].ID == oldID {
		t.Errorf("after the re-install: want one new registration of %s (not id %d), the server has %+v", h.names[0], oldID, mine)
	} else {
		h.f.waitStatus(t, h.names[0], "online", 30*time.Second)
	}
	for _, rel := range []string{"config.sh", "bin/Runner.Listener"} {
		if b, err := os.ReadFile(filepath.Join(h.dirs[0], rel)); err == nil && bytes.Contains(b, []byte(wrapperMark)) {
			t.Errorf("after the re-registration %s is still the job's: the runner was not registered from a freshly extracted tree", rel)
		}
	}
}

// envFile: .env is a regular file of the runner user's, 0600, with the
// --env line.
func (h *hostile) envFile(t *testing.T, dir string) {
	t.Helper()
	p := filepath.Join(dir, ".env")
	fi, err := os.Lstat(p)
	if err != nil {
		t.Errorf(".env: %v", err)
		return
	}
	st := fi.Sys().(*syscall.Stat_t)
	if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 || int(st.Uid) != h.uid {
		t.Errorf(".env is %s owned by uid %d, want a regular file, 0600, of %s (uid %d)", fi.Mode(), st.Uid, h.user, h.uid)
	}
	if b, _ := os.ReadFile(p); fi.Mode().IsRegular() && !strings.Contains(string(b), "FOO=bar\n") {
		t.Errorf(".env has no FOO=bar line:\n%s", b)
	}
}

// secondInstall installs a second runner for the same user while the
// user's racer swaps its externals/node20 for a link to root's directory
// as soon as that directory is the user's. A root process walking the
// live tree by path (chown -R) then resolves the next paths through the
// link: the victim must not change. The race is won or lost by
// microseconds, so the install is tried several times (uninstalled in
// between); the last one stays installed.
func (h *hostile) secondInstall(t *testing.T) {
	const tries = 10
	victim := filepath.Join(h.secret, "local")
	before := snapshot(victim)
	for try := 1; try <= tries; try++ {
		r := h.startRacer(t, filepath.Join(h.dirs[1], "externals", "node20"), victim)
		out, code := h.runnerctl(t, 2*time.Minute, h.installArgs(1)...)
		did := r.stop(t)
		changed := diffSnapshots(before, snapshot(victim))
		t.Logf("try %d: install exit %d (%s); racer: %s; victim entries changed: %d", try, code, lastLine(out), did, len(changed))
		h.report(t, fmt.Sprintf("second install (try %d, exit %d)", try, code),
			"a victim of root's changed", changed...)
		if len(changed) > 0 || (try == tries && code == 0) {
			break
		}
		if try == tries {
			t.Errorf("the second install failed on every try; the last exited %d\n%s", code, out)
		}
		// Uninstall it (or what a failed install left) for the next try.
		if out, code := h.runnerctl(t, time.Minute, append([]string{"uninstall", "--dir", h.dirs[1]}, storeFlags(h.store)...)...); code != 0 {
			t.Logf("uninstall between tries: exit %d: %s", code, lastLine(out))
		}
		if err := os.RemoveAll(h.dirs[1]); err != nil {
			t.Fatal(err)
		}
	}
	h.check(t, "second install")
}

type racer struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bytes.Buffer
	cancel context.CancelFunc
}

func (h *hostile) startRacer(t *testing.T, target, victim string) *racer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	cmd := exec.CommandContext(ctx, "setpriv", "--reuid", h.user, "--regid", h.user, "--init-groups", "--",
		filepath.Join(h.stage, "hostileracer"), target, victim)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	cmd.Dir = "/"
	cmd.WaitDelay = 5 * time.Second
	r := &racer{cmd: cmd, out: &bytes.Buffer{}, cancel: cancel}
	cmd.Stdout, cmd.Stderr = r.out, r.out
	var err error
	if r.stdin, err = cmd.StdinPipe(); err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop closes the racer's stdin (it puts the directory back and exits)
// and returns what it said.
func (r *racer) stop(t *testing.T) string {
	if r.stdin != nil {
		r.stdin.Close()
		r.stdin = nil
		if err := r.cmd.Wait(); err != nil {
			t.Logf("racer: %v", err)
		}
		r.cancel()
	}
	return strings.TrimSpace(r.out.String())
}

// gone: runner i left nothing: no directory, no service, no registration.
func (h *hostile) gone(t *testing.T, i int) {
	t.Helper()
	if _, err := os.Lstat(h.dirs[i]); err == nil {
		t.Errorf("%s is left", h.dirs[i])
	}
	for _, p := range sysvFiles(h.svcs[i]) {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s is left", p)
		}
	}
	if id := h.currentID(h.names[i]); id != 0 {
		t.Errorf("the registration of %s (id %d) is left on the server", h.names[i], id)
	}
}

// sysvFiles are the files of SysV service name on this host: its init
// script, pid file and rc links (whatever their priority).
func sysvFiles(name string) []string {
	links, _ := filepath.Glob("/etc/rc[0-6S].d/[SK][0-9][0-9]" + name)
	return append([]string{"/etc/init.d/" + name, "/var/run/" + name + ".pid"}, links...)
}

// check reports, for step, what went wrong since the last check (each
// finding once, whichever step sees it again): a wrapper run as root, a
// token in the modified tree, the evil script run, a request to the
// attacker's server, a victim changed or copied into a tree the user
// reads, root running a file of the trees, a credential in the
// environment of a process of the runner user's.
func (h *hostile) check(t *testing.T, step string) {
	t.Helper()
	findings := map[string][]string{}
	var order []string
	add := func(what, finding string) {
		if _, ok := findings[what]; !ok {
			order = append(order, what)
		}
		findings[what] = append(findings[what], finding)
	}
	for _, l := range h.newLines(h.execLog) {
		if strings.HasPrefix(l, "uid=0 ") {
			add("the job's code ran as root", l)
		}
	}
	minted := h.f.srv.MintedTokens()
	for _, l := range h.newLines(h.tokenLog) {
		if what := h.classifyToken(l, minted); what != "" {
			add(what+" reached the job's modified tree", l)
		} else {
			t.Logf("%s: a remove token reached the job's `config.sh remove` (not a registration token): %s", step, l)
		}
	}
	for _, p := range []string{h.rootMarker, h.evilLog} {
		for _, l := range h.newLines(p) {
			add(h.evil+" (outside the runner tree, named by the forged state) was executed", l)
		}
	}
	for _, r := range h.catcher.take() {
		if r.auth != "" {
			add("the attacker's server (the URL in the forged state) got a request carrying a credential", r.String())
		} else {
			add("the attacker's server (the URL in the forged state) was contacted", r.String())
		}
	}
	for _, d := range diffSnapshots(h.victimsBefore, snapshot(h.secret)) {
		add("a victim of root's changed", d)
	}
	for _, p := range h.leaked() {
		add("root copied a victim's secret where the runner user reads it", p)
	}
	for _, p := range h.procs.take() {
		add("root ran a file of the runner trees", p)
	}
	for _, p := range h.credentialHolders() {
		add("a process of the runner user's holds a credential in its environment (the user reads it in /proc)", p)
	}
	for _, what := range order {
		h.report(t, step, what, findings[what]...)
	}
}

// credentialHolders lists the runner user's processes whose environment
// holds the administrator's API token or GH_TOKEN (the supervisor started
// from an administrator's shell, say).
func (h *hostile) credentialHolders() []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || h.uid == 0 || !slices.Contains(procIDs(pid, "Uid:"), h.uid) {
			continue
		}
		env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		for _, kv := range strings.Split(string(env), "\x00") {
			if k, v, _ := strings.Cut(kv, "="); v != "" && (v == githubtest.Token || v == h.ghToken) {
				exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
				out = append(out, fmt.Sprintf("pid %d (%s): %s", pid, exe, k))
			}
		}
	}
	return out
}

// report reports, for step, the items of a finding (what) that no step
// reported before.
func (h *hostile) report(t *testing.T, step, what string, items ...string) {
	t.Helper()
	h.mu.Lock()
	var fresh []string
	for _, it := range items {
		if k := what + ": " + it; !h.reported[k] {
			h.reported[k] = true
			fresh = append(fresh, it)
		}
	}
	h.mu.Unlock()
	if len(fresh) > 0 {
		t.Errorf("%s: %s:\n  %s", step, what, strings.Join(fresh, "\n  "))
	}
}

// classifyToken names what a token line of the wrappers' log is; "" for
// a remove token handed to `config.sh remove` (outside the issue's
// wording: the finding is about registration tokens).
func (h *hostile) classifyToken(line string, minted []string) string {
	_, kv, _ := strings.Cut(line, " arg1=")
	arg1, kv, _ := strings.Cut(kv, " ")
	_, v, _ := strings.Cut(kv, "=")
	switch {
	case v == githubtest.Token:
		return "the administrator's API token"
	case v == h.ghToken:
		return "the caller's GH_TOKEN (its environment, not an allow-list)"
	case strings.HasPrefix(v, "CATCHER-"):
		return "a token from the attacker's server (root asked it)"
	case slices.Contains(minted, v) && arg1 == "remove":
		return ""
	case slices.Contains(minted, v):
		return "a registration token"
	}
	return "a token"
}

func (h *hostile) newLines(path string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	b, _ := os.ReadFile(path)
	off := h.offsets[path]
	if int64(len(b)) < off {
		off = 0
	}
	h.offsets[path] = int64(len(b))
	var out []string
	for _, l := range strings.Split(string(b[off:]), "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// leaked lists the files in the trees and the user's directory (regular,
// up to 1 MiB, links not followed) that hold a victim's secret.
func (h *hostile) leaked() []string {
	var out []string
	for _, root := range []string{h.dirs[0], h.dirs[1], h.attacker} {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			if fi, err := d.Info(); err != nil || fi.Size() > 1<<20 {
				return nil
			}
			fd, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
			if err != nil {
				return nil
			}
			b, _ := io.ReadAll(fd)
			fd.Close()
			for _, s := range h.secrets {
				if bytes.Contains(b, []byte(s)) {
					out = append(out, p)
					break
				}
			}
			return nil
		})
	}
	return out
}

// snapshot describes every file under root: type, mode, owner, content.
func snapshot(root string) map[string]string {
	m := map[string]string{}
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			m[p] = "error: " + err.Error()
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			m[p] = "error: " + err.Error()
			return nil
		}
		st := fi.Sys().(*syscall.Stat_t)
		desc := fmt.Sprintf("%s uid=%d gid=%d", fi.Mode(), st.Uid, st.Gid)
		if fi.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			desc += fmt.Sprintf(" content=%q", b)
		}
		m[p] = desc
		return nil
	})
	return m
}

func diffSnapshots(before, after map[string]string) []string {
	var out []string
	for p, b := range before {
		if a, ok := after[p]; !ok {
			out = append(out, p+": gone (was "+b+")")
		} else if a != b {
			out = append(out, p+": "+b+" → "+a)
		}
	}
	for p, a := range after {
		if _, ok := before[p]; !ok {
			out = append(out, p+": new ("+a+")")
		}
	}
	sort.Strings(out)
	return out
}

// procIDs reads the ids of a /proc/PID/status line ("Uid:", "Gid:").
func procIDs(pid int, field string) []int {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			var ids []int
			for _, s := range strings.Fields(v) {
				n, err := strconv.Atoi(s)
				if err != nil {
					return nil
				}
				ids = append(ids, n)
			}
			return ids
		}
	}
	return nil
}

// processesOf lists the processes of uid, or running a file under dir.
func processesOf(uid int, dir string) []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		ids := procIDs(pid, "Uid:")
		if (uid > 0 && slices.Contains(ids, uid)) || strings.HasPrefix(exe, dir+"/") {
			out = append(out, fmt.Sprintf("pid %d uid %v %s", pid, ids, exe))
		}
	}
	return out
}

// rootWatch looks at /proc every 20 ms for a root process running a file
// of trees: its executable, or the script an interpreter runs.
type rootWatch struct {
	trees []string
	mu    sync.Mutex
	seen  map[string]bool
	found []string
	stop  chan struct{}
	done  chan struct{}
}

func watchRoot(trees ...string) *rootWatch {
	w := &rootWatch{trees: trees, seen: map[string]bool{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			w.scan()
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

func (w *rootWatch) under(p string) bool {
	for _, t := range w.trees {
		if p == t || strings.HasPrefix(p, t+"/") {
			return true
		}
	}
	return false
}

func (w *rootWatch) scan() {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		// Cheap first (this runs every 20 ms): the executable, and the
		// command line of shells only.
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		exe = strings.TrimSuffix(exe, " (deleted)")
		ran := ""
		if w.under(exe) {
			ran = exe
		} else if base := filepath.Base(exe); base == "sh" || base == "bash" || base == "dash" {
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			if argv := strings.Split(string(cmdline), "\x00"); len(argv) > 1 {
				script := argv[1]
				if !filepath.IsAbs(script) {
					cwd, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
					script = filepath.Join(cwd, script)
				}
				if w.under(script) {
					ran = script
				}
			}
		}
		if ran == "" || !slices.Contains(procIDs(pid, "Uid:"), 0) {
			continue
		}
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		desc := fmt.Sprintf("pid %d (uid 0) runs %s: %q", pid, ran, strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00"))
		key := fmt.Sprint(pid, " ", ran)
		w.mu.Lock()
		if !w.seen[key] {
			w.seen[key] = true
			w.found = append(w.found, desc)
		}
		w.mu.Unlock()
	}
}

func (w *rootWatch) take() []string {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.found
	w.found = nil
	return out
}

func (w *rootWatch) close() {
	if w == nil {
		return
	}
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

// catcher is the attacker's server on loopback: it records every request
// and answers as GitHub would, so that a root that trusts it goes on.
type catcher struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []caught
}

type caught struct{ method, path, auth string }

func (c caught) String() string {
	s := c.method + " " + c.path
	if c.auth != "" {
		s += " with Authorization: " + c.auth
	}
	return s
}

func newCatcher(t *testing.T) *catcher {
	c := &catcher{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.reqs = append(c.reqs, caught{r.Method, r.URL.Path, r.Header.Get("Authorization")})
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "-token"):
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, `{"token":"CATCHER-%s","expires_at":%q}`, filepath.Base(r.URL.Path), time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
		case r.Method == http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"Not Found"}`)
		}
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *catcher) take() []caught {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.reqs
	c.reqs = nil
	return out
}

// cleanup leaves nothing of the test on the host, whatever happened:
// the runners, their services, processes, the runner user.
func (h *hostile) cleanup(t *testing.T) {
	h.procs.close()
	// --url: the registrations go whatever a state file says.
	if out, code := h.rootCmd(time.Minute, h.f.bin, append([]string{"uninstall", "--all", "--url", h.f.srv.URL + "/acme/app"}, storeFlags(h.store)...)...); code != 0 {
		t.Logf("cleanup: uninstall --all: exit %d\n%s", code, out)
	}
	for _, name := range h.svcs {
		script := "/etc/init.d/" + name
		if b, err := os.ReadFile(script); err == nil && bytes.Contains(b, []byte("Installed by runnerctl")) {
			if out, code := h.rootCmd(time.Minute, script, "stop"); code != 0 {
				t.Logf("cleanup: %s stop: exit %d %s", script, code, out)
			}
		}
		for _, p := range append(sysvFiles(name), "/var/log/"+name+".log", "/var/log/"+name+".err") {
			_ = os.Remove(p)
		}
		if d, err := service.StatusDir(name); err == nil {
			_ = os.RemoveAll(d)
		}
	}
	for _, p := range processesOf(h.uid, h.base) {
		var pid int
		if _, err := fmt.Sscanf(p, "pid %d", &pid); err == nil {
			t.Logf("cleanup: killing %s", p)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if _, err := user.Lookup(h.user); err == nil {
		if out, err := exec.Command("userdel", "--remove", h.user).CombinedOutput(); err != nil {
			t.Logf("cleanup: userdel %s: %v %s", h.user, err, out)
		}
	}
}

func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
