//go:build linux

package service_test

import (
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/platform"
	"github.com/runnerctl/runnerctl/service"
)

// fakeUpdatingRunner is a runner directory whose listener, on its first
// start, starts a real-shaped _work/_update.sh in its own process group
// with its output and SIGINT not ignored (as .NET's Process.Start leaves
// it: sh would ignore SIGINT in a background job, hence env
// --default-signal) and exits 3; the
// update waits for the listener to exit, takes 2 s, moves bin to bin.OLD,
// links bin to bin.NEW (with the listener), writes update.swapped and
// touches update.finished. Later starts listen until SIGINT.
const fakeUpdatingListener = `#!/bin/sh
cd "$(dirname "$0")/.."
echo "start run" >> starts
if [ ! -e _work/_update.sh ]; then
    cat > _work/_update.sh <<'EOS'
echo "$$" > update.started
while kill -0 "$1" 2>/dev/null; do sleep 0.05; done
sleep 2
mv bin bin.OLD && ln -s "$PWD/bin.NEW" bin && cp bin.OLD/Runner.Listener bin.NEW/ && echo ok > update.swapped
touch update.finished
EOS
    echo "Listening for Jobs"
    env --default-signal sh _work/_update.sh "$$" &
    exit 3
fi
echo "Listening for Jobs"
trap 'exit 0' INT TERM
while :; do sleep 0.1; done
`

// A stop of the real supervisor (runnerctl run) through the SysV init
// script in the middle of a self-update returns only once the update is
// done, and the runner then starts again on the new bin/ and listens.
func TestSysVStopDuringUpdate(t *testing.T) {
	if _, err := exec.LookPath("setpriv"); err != nil {
		skipOrFail(t, "skipped: setpriv (util-linux) is not installed")
	}
	if os.Geteuid() != 0 || service.New(nil).Platform() != "unix-systemv" {
		skipOrFail(t, "skipped: needs root and a SysV host (service manager %s)", service.New(nil).Platform())
	}
	if _, err := exec.LookPath("go"); err != nil {
		skipOrFail(t, "skipped: the go tool is not on PATH")
	}
	base, err := os.MkdirTemp("", "runnerctl-sysv-upd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(base, "runnerctl")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/runnerctl/runnerctl").CombinedOutput(); err != nil {
		t.Fatalf("build runnerctl: %v\n%s", err, out)
	}
	tag := strconv.FormatInt(time.Now().UnixNano()%1e6, 36)
	u := newRunnerUser(t, "rctlu"+tag)
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	dir := filepath.Join(base, "runner")
	for _, d := range []string{dir, filepath.Join(dir, "bin"), filepath.Join(dir, "bin.NEW"), filepath.Join(dir, "_work")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	listener := filepath.Join(dir, "bin", "Runner.Listener")
	if err := os.WriteFile(listener, []byte(fakeUpdatingListener), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(listener, uid, gid); err != nil {
		t.Fatal(err)
	}
	name := "actions.runner.acme-app.upd" + tag
	m := service.New(slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() {
		if err := m.Uninstall(name); err != nil {
			t.Log(err)
		}
	})
	s := platform.ServiceSpec{Name: name, DisplayName: name, Description: "stop during an update", Executable: bin,
		Args: []string{"run", "--dir", dir, "--service", name}, User: u.Username, Dir: dir}
	if _, err := m.Install(s); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(name); err != nil {
		t.Fatal(err)
	}
	waitFor(t, filepath.Join(dir, "update.started"), 20*time.Second)
	start := time.Now()
	if err := m.Stop(name); err != nil {
		t.Fatal(err)
	}
	errLog, _ := os.ReadFile("/var/log/" + name + ".err")
	if b, err := os.ReadFile(filepath.Join(dir, "update.swapped")); err != nil || string(b) != "ok\n" {
		t.Fatalf("the update was not done when the stop returned (after %s): %v\n%s", time.Since(start), err, errLog)
	}
	if target, err := os.Readlink(filepath.Join(dir, "bin")); err != nil || target != filepath.Join(dir, "bin.NEW") {
		t.Errorf("bin -> %q (%v), want bin.NEW", target, err)
	}
	if st, _ := m.Status(name); st.State != platform.ServiceStopped {
		t.Errorf("after stop: %+v", st)
	}
	// The runner works on the new version.
	if err := m.Start(name); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, _ := m.Status(name)
		if st.Listening {
			break
		}
		if time.Now().After(deadline) {
			errLog, _ := os.ReadFile("/var/log/" + name + ".err")
			t.Fatalf("the runner does not listen after the update: %+v\n%s", st, errLog)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "starts")); len(b) == 0 {
		t.Error("no listener start recorded")
	} else {
		t.Logf("stop took %s; listener starts:\n%s", time.Since(start), b)
	}
	if err := m.Stop(name); err != nil {
		t.Fatal(err)
	}
}
