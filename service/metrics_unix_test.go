//go:build !windows

package service

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/platform/platformtest"
)

// The supervisor's metrics endpoint against a listener that runs jobs and
// is killed: /healthz turns 200 once it listens, the jobs are counted,
// the restart counter goes up after the kill, with the exit's meaning.
func TestSupervisorMetrics(t *testing.T) {
	dir := fakeListener(t, "jobs", "jobs")
	s := quick(dir)
	s.MetricsAddr = platformtest.FreeLoopbackAddr(t)
	base := "http://" + s.MetricsAddr
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()

	platformtest.Scrape(t, base+"/healthz", 10*time.Second, http.StatusOK, "listening")
	platformtest.Scrape(t, base+"/metrics", 10*time.Second, http.StatusOK,
		"runnerctl_listener_up 1\n", "runnerctl_jobs_total 1\n", "runnerctl_job_running 1\n",
		"runnerctl_listener_restarts_total 0\n", `runnerctl_runner_info{version="2.336.9"} 1`,
		"runnerctl_supervisor_start_time_seconds ", "process_resident_memory_bytes ")
	if _, body, _ := platformtest.Get(base + "/metrics"); strings.Contains(body, "runnerctl_listener_last_exit_code") {
		t.Errorf("a last exit code before any exit:\n%s", body)
	}

	b, err := os.ReadFile(filepath.Join(dir, "listener.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// The second run finishes its first job too: 2 jobs, one running.
	body := platformtest.Scrape(t, base+"/metrics", 10*time.Second, http.StatusOK,
		"runnerctl_listener_restarts_total 1\n", `runnerctl_listener_last_exit_code{meaning="killed by a signal"} -1`,
		"runnerctl_jobs_total 2\n", "runnerctl_listener_up 1\n", "runnerctl_job_running 1\n")
	t.Logf("metrics after the kill (runnerctl_ lines):\n%s", platformtest.LinesWith(body, "runnerctl_"))
	platformtest.Scrape(t, base+"/healthz", 10*time.Second, http.StatusOK)

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after stop: %v", err)
	}
	done <- nil
	if c, _, _ := platformtest.Get(base + "/healthz"); c != 0 {
		t.Errorf("the metrics endpoint still answers (%d) after the supervisor returned", c)
	}
}

// A busy metrics port does not keep the listener from running.
func TestSupervisorMetricsPortBusy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := fakeListener(t, "0")
	s := quick(dir)
	s.MetricsAddr = ln.Addr().String()
	if err := s.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := len(starts(t, dir)); got != 1 {
		t.Errorf("%d listener starts, want 1", got)
	}
}
