//go:build !windows

package runnertest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/runner/runnertest"
)

var workerLog = regexp.MustCompile(`worker_pid=(\d+) step_pid=(\d+)`)

// workerPIDs waits (bounded) for the worker's log of the running job.
func workerPIDs(t *testing.T, dir string) (worker, step int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		logs, _ := filepath.Glob(filepath.Join(dir, "_diag", "Worker_*.log"))
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			if m := workerLog.FindSubmatch(b); m != nil {
				w, _ := strconv.Atoi(string(m[1]))
				s, _ := strconv.Atoi(string(m[2]))
				return w, s
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no Runner.Worker started")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// A graceful stop during a job: the listener has a Runner.Worker child
// running a step; SIGINT (to the listener alone, or to its whole group)
// makes the worker cancel the job, which takes the configured seconds;
// worker and step are gone when the listener exits 0, and the job is
// reported.
func TestFakeGracefulStopCancelsJob(t *testing.T) {
	for _, tc := range []struct {
		name  string
		group bool
	}{{"SIGINT to the listener only", false}, {"SIGINT to the process group", true}} {
		t.Run(tc.name, func(t *testing.T) {
			srv, dir := setup(t)
			name := "job-" + strconv.FormatBool(tc.group)
			configure(t, srv, dir, name)
			const cancel = 1500 * time.Millisecond
			if err := runnertest.SetKnob(dir, runnertest.JobSecondsFile, "600"); err != nil {
				t.Fatal(err)
			}
			if err := runnertest.SetKnob(dir, runnertest.CancelSecondsFile, "1.5"); err != nil {
				t.Fatal(err)
			}
			cmd, out := listener(t, dir)
			waitStatus(t, srv, name, "online")
			srv.QueueJob("repos/acme/app", name)
			w, s := workerPIDs(t, dir)
			if !alive(w) || !alive(s) {
				t.Fatalf("worker %d or step %d not running", w, s)
			}
			if pp := ppid(t, w); pp != cmd.Process.Pid {
				t.Errorf("Runner.Worker's parent is %d, not the listener %d", pp, cmd.Process.Pid)
			}
			target := cmd.Process.Pid
			if tc.group {
				target = -target
			}
			start := time.Now()
			if err := syscall.Kill(target, syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			if code := exitCode(cmd.Wait()); code != 0 {
				t.Fatalf("listener exit %d\n%s", code, out)
			}
			if took := time.Since(start); took < cancel {
				t.Errorf("the stop took %v, less than the worker's cancel time %v", took, cancel)
			}
			if alive(w) || alive(s) {
				t.Errorf("worker alive %v, step alive %v after the listener exited", alive(w), alive(s))
			}
			for _, r := range srv.Runners("repos/acme/app") {
				if r.Name == name && r.Busy {
					t.Errorf("the cancelled job was not reported: %+v", r)
				}
			}
		})
	}
}

// ppid reads a process's parent from /proc (Linux); 0 elsewhere.
func ppid(t *testing.T, pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	// pid (comm) state ppid ...
	s := string(b)
	i := len(s) - 1
	for ; i > 0 && s[i] != ')'; i-- {
	}
	var state string
	var pp int
	if _, err := fmt.Sscan(s[i+1:], &state, &pp); err != nil {
		t.Fatalf("/proc/%d/stat: %v", pid, err)
	}
	return pp
}
