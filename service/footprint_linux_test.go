package service_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/platform/platformtest"
)

// procSample is what /proc says of a process: resident memory (now and
// peak, KiB) and CPU time used (user + system, clock ticks).
type procSample struct {
	rssKiB, hwmKiB int
	ticks          int
}

func readProc(t *testing.T, pid int) procSample {
	t.Helper()
	var s procSample
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && (f[0] == "VmRSS:" || f[0] == "VmHWM:") {
			n, _ := strconv.Atoi(f[1])
			if f[0] == "VmRSS:" {
				s.rssKiB = n
			} else {
				s.hwmKiB = n
			}
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// After "(comm)": state is field 3, utime 14, stime 15.
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	s.ticks = utime + stime
	return s
}

// The supervisor's footprint while its listener idles: `runnerctl run
// --metrics-addr` (the endpoint included, not scraped) against the fake
// runner, its RSS and CPU read from /proc over 10 s. The figures are
// logged, not asserted (the machine is shared); the README quotes them.
func TestSupervisorIdleFootprint(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short: it idles for 12 s")
	}
	if os.Geteuid() != 0 {
		skipOrFail(t, "skipped: needs root (install --allow-root puts the runner in a root-only tree)")
	}
	f := newFixture(t)
	base := platformtest.RootOnlyTempDir(t)
	dir, state := filepath.Join(base, "runner"), filepath.Join(base, "state")
	name := "idle-" + strconv.FormatInt(time.Now().UnixNano()%1e6, 36)
	run := func(args ...string) (string, int) {
		cmd := exec.Command(f.bin, append(args, "--state-dir", state)...)
		cmd.Env = append(os.Environ(), "RUNNERCTL_ACCESS_TOKEN="+githubtest.Token)
		return runCmd(cmd)
	}
	if out, code := run("install", "--url", f.srv.URL+"/acme/app", "--name", name, "--dir", dir, "--allow-root", "--no-service",
		"--cache-dir", filepath.Join(base, "cache")); code != 0 {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	t.Cleanup(func() { run("uninstall", "--dir", dir) })
	for _, withMetrics := range []bool{false, true} {
		args := []string{"run", "--dir", dir, "--state-dir", state}
		what := "without --metrics-addr"
		if withMetrics {
			args, what = append(args, "--metrics-addr", platformtest.FreeLoopbackAddr(t)), "with --metrics-addr (not scraped)"
		}
		t.Run(what, func(t *testing.T) { idleFootprint(t, f, dir, args) })
	}
}

// idleFootprint starts `runnerctl args` (a run), waits until the runner
// is online and logs the supervisor's RSS and CPU over 10 s idle.
func idleFootprint(t *testing.T, f fixture, dir string, args []string) {
	invocations := filepath.Join(dir, "_diag", "Runner_invocations.log")
	runs := func() int { return strings.Count(readFile(invocations), `argv=["run"`) }
	before := runs()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sup := exec.CommandContext(ctx, f.bin, args...)
	sup.Cancel = func() error { return sup.Process.Signal(syscall.SIGTERM) }
	if err := sup.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		_ = sup.Wait()
	}()
	for start := time.Now(); runs() == before; time.Sleep(50 * time.Millisecond) {
		if time.Since(start) > 30*time.Second {
			t.Fatal("the listener did not start")
		}
	}
	time.Sleep(3 * time.Second) // listening, settled after start-up
	const window = 10 * time.Second
	first := readProc(t, sup.Process.Pid)
	time.Sleep(window)
	after := readProc(t, sup.Process.Pid)
	const hz = 100 // USER_HZ on Linux
	cpu := float64(after.ticks-first.ticks) / hz / window.Seconds() * 100
	t.Logf("supervisor (runnerctl run, pid %d) idle over %s: VmRSS %.1f MiB (peak %.1f MiB), CPU %.2f%% (%d ticks of 1/%d s); target <= 20 MiB, ~0%%",
		sup.Process.Pid, window, float64(after.rssKiB)/1024, float64(after.hwmKiB)/1024, cpu, after.ticks-first.ticks, hz)
	if after.rssKiB == 0 {
		t.Errorf("no VmRSS read for pid %d", sup.Process.Pid)
	}
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}
