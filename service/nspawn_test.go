package service_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
)

// Booting systemd (and cloud-init) in a container with systemd-nspawn,
// driven with nsenter (test-environment.md §1a and §5).

// nspawnPrelude is what systemd-nspawn needs on this kind of host
// (test-environment.md §1a): a tmpfs on /run/systemd (here /run is not a
// tmpfs) with the inaccessible nodes. Launchers run it inside `unshare -m`.
const nspawnPrelude = `set -e
mount -t tmpfs -o mode=755 tmpfs /run/systemd
mkdir -p /run/systemd/nspawn /run/systemd/inaccessible
cd /run/systemd/inaccessible
touch reg && chmod 0000 reg; mkdir dir && chmod 0000 dir; mkfifo fifo && chmod 0000 fifo
mknod chr c 0 0 && chmod 0000 chr; mknod blk b 0 0 && chmod 0000 blk
cd /
`

// nspawnLauncher boots $ROOTFS with a throw-away overlay (--volatile).
const nspawnLauncher = nspawnPrelude + `exec systemd-nspawn -D "$ROOTFS" --register=no --keep-unit -b --console=pipe --volatile=overlay "$@"
`

// cloudInitLauncher boots $MERGED, an overlay of the pristine $LOWER and a
// persistent $UPPER, mounted in the private mount namespace unshare made
// (so it goes away with the container). No --volatile: what the container
// writes survives a reboot, in $UPPER. /tmp is a fresh tmpfs at each boot,
// as on a real host.
const cloudInitLauncher = nspawnPrelude + `mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$UPPER,workdir=$WORK" "$MERGED"
exec systemd-nspawn -D "$MERGED" --register=no --keep-unit -b --console=pipe --tmpfs=/tmp:mode=1777 "$@"
`

// skipOrFail skips the test, or fails it when the environment variable CI
// is set: CI installs what the root tests need, so a skip there would hide
// that a test did not run.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set, so this test must run: "+format, args...)
	}
	t.Skipf(format, args...)
}

// needNspawn skips the test (fails it under CI) unless it can boot systemd with systemd-nspawn.
func needNspawn(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		skipOrFail(t, "skipped: needs root on Linux to boot systemd with systemd-nspawn")
	}
	for _, tool := range []string{"systemd-nspawn", "unshare", "nsenter"} {
		if _, err := exec.LookPath(tool); err != nil {
			skipOrFail(t, "skipped: %s is not installed (apt-get install systemd-container util-linux)", tool)
		}
	}
}

// cachedRootfs is the rootfs in $env, else ../.cache/name; the test skips
// (saying how to build it; fails under CI) when it lacks one of files.
func cachedRootfs(t *testing.T, env, name, build string, files ...string) string {
	t.Helper()
	root := os.Getenv(env)
	if root == "" {
		root, _ = filepath.Abs("../.cache/" + name)
	}
	for _, p := range files {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			skipOrFail(t, "skipped: no %s at %s (no %s): build it with %s", name, root, p, build)
		}
	}
	return root
}

// container is a Debian rootfs booted with systemd-nspawn (systemd as PID
// 1), driven with nsenter (test-environment.md §1a).
type container struct {
	pid1 int
	bin  string
}

func (c container) enter(args ...string) (string, int) {
	return runCmd(exec.Command("nsenter", append([]string{"-t", strconv.Itoa(c.pid1), "-a"}, args...)...))
}

func (c container) runnerctl(args ...string) (string, int) {
	return c.enter(append([]string{"env", "RUNNERCTL_ACCESS_TOKEN=" + githubtest.Token, c.bin}, args...)...)
}

func (c container) sh(cmd string) (string, int) { return c.enter("sh", "-c", cmd) }

func (c container) binary() string { return c.bin }

func (c container) operatorCopy() string { return "/root/runnerctl-src/runnerctl" }

func (c container) restart(name string) (string, int) { return c.enter("systemctl", "restart", name) }

func (c container) definition(name string) string { return "/etc/systemd/system/" + name + ".service" }

// boot is one boot of a container.
type boot struct {
	cmd   *exec.Cmd
	start time.Time
	done  chan struct{}
	c     container
}

// bootContainer runs launcher (a script of nspawnPrelude and a
// systemd-nspawn command) with args and env in a private mount namespace,
// logging the console to console, and waits for the container's systemd;
// bin is the runnerctl path inside.
func bootContainer(t *testing.T, launcher string, args, env []string, console, bin string) *boot {
	t.Helper()
	logf, err := os.OpenFile(console, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(logf, "==== boot at %s\n", time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command("unshare", append([]string{"-m", "--propagation", "private", "sh", launcher}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	b := &boot{cmd: cmd, done: make(chan struct{})}
	b.start = time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); logf.Close(); close(b.done) }()
	pid1 := 0
	defer func() {
		if pid1 == 0 { // waitPID1 failed: do not leave the boot running
			b.stop(t, 10*time.Second)
		}
	}()
	pid1 = waitPID1(t, cmd.Process.Pid, 20*time.Second, console)
	b.c = container{pid1: pid1, bin: bin}
	return b
}

func (b *boot) exited() bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

// poweroff shuts the container down and waits for nspawn to exit.
func (b *boot) poweroff(within time.Duration) error {
	if b.exited() {
		return fmt.Errorf("the container had stopped already (%v)", b.cmd.ProcessState)
	}
	_, _ = enterWithin(b.c, 10*time.Second, "systemctl", "poweroff")
	select {
	case <-b.done:
		if !b.cmd.ProcessState.Success() {
			return fmt.Errorf("systemd-nspawn: %v after poweroff", b.cmd.ProcessState)
		}
		return nil
	case <-time.After(within):
		return fmt.Errorf("the container did not stop within %s of systemctl poweroff", within)
	}
}

// stop ends the boot however it can, within bounds: poweroff, SIGTERM to
// nspawn, then SIGKILL to nspawn and to the container's PID 1 (killing
// PID 1 ends its PID namespace).
func (b *boot) stop(t *testing.T, within time.Duration) {
	if b.exited() {
		return
	}
	if b.c.pid1 != 0 {
		if err := b.poweroff(within); err == nil || b.exited() {
			return
		}
	}
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.done:
		return
	case <-time.After(10 * time.Second):
	}
	t.Logf("the container does not stop: killing it")
	_ = b.cmd.Process.Kill()
	if b.c.pid1 != 0 {
		if p, err := os.FindProcess(b.c.pid1); err == nil {
			_ = p.Kill()
		}
	}
	select {
	case <-b.done:
	case <-time.After(10 * time.Second):
		t.Errorf("systemd-nspawn (pid %d) is still running after SIGKILL", b.cmd.Process.Pid)
	}
}

// enterWithin runs a command in the container, killed after within.
func enterWithin(c container, within time.Duration, args ...string) (string, int) {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	return runCmd(exec.CommandContext(ctx, "nsenter", append([]string{"-t", fmt.Sprint(c.pid1), "-a"}, args...)...))
}

// waitPID1 finds the container's systemd: a process named systemd that
// descends from the nspawn process.
func waitPID1(t *testing.T, nspawn int, within time.Duration, log string) int {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			if comm(pid) == "systemd" && descends(pid, nspawn) {
				return pid
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, _ := os.ReadFile(log)
	t.Fatalf("no systemd in the container after %s; console:\n%s", within, b)
	return 0
}

func comm(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(b))
}

func parent(pid int) int {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "PPid:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

func descends(pid, ancestor int) bool {
	for i := 0; i < 10 && pid > 1; i++ {
		pid = parent(pid)
		if pid == ancestor {
			return true
		}
	}
	return false
}
