//go:build !windows

package service

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// freeLoopbackAddr is a loopback address with a port free a moment ago.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func httpGet(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitFor polls url until its body holds every one of want (and the
// status is code), for up to 10 s.
func waitFor(t *testing.T, url string, code int, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, body := httpGet(url)
		ok := c == code
		for _, w := range want {
			ok = ok && strings.Contains(body, w)
		}
		if ok {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %d, want %d with %q; got:\n%s", url, c, code, want, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The supervisor's metrics endpoint against a listener that runs jobs and
// is killed: /healthz turns 200 once it listens, the jobs are counted,
// the restart counter goes up after the kill, with the exit's meaning.
func TestSupervisorMetrics(t *testing.T) {
	dir := fakeListener(t, "jobs", "jobs")
	s := quick(dir)
	s.MetricsAddr = freeLoopbackAddr(t)
	base := "http://" + s.MetricsAddr
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()

	waitFor(t, base+"/healthz", http.StatusOK, "listening")
	waitFor(t, base+"/metrics", http.StatusOK,
		"runnerctl_listener_up 1\n", "runnerctl_jobs_total 1\n", "runnerctl_job_running 1\n",
		"runnerctl_listener_restarts_total 0\n", `runnerctl_runner_info{version="2.336.9"} 1`,
		"runnerctl_supervisor_start_time_seconds ", "process_resident_memory_bytes ")
	if _, body := httpGet(base + "/metrics"); strings.Contains(body, "runnerctl_listener_last_exit_code") {
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
	body := waitFor(t, base+"/metrics", http.StatusOK,
		"runnerctl_listener_restarts_total 1\n", `runnerctl_listener_last_exit_code{meaning="killed by a signal"} -1`,
		"runnerctl_jobs_total 2\n", "runnerctl_listener_up 1\n", "runnerctl_job_running 1\n")
	t.Logf("metrics after the kill (runnerctl_ lines):\n%s", grepLines(body, "runnerctl_"))
	waitFor(t, base+"/healthz", http.StatusOK)

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after stop: %v", err)
	}
	done <- nil
	if c, _ := httpGet(base + "/healthz"); c != 0 {
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

func grepLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
