package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Knobs, under the runner root, a test writes (runnertest.JobSecondsFile,
// runnertest.CancelSecondsFile): how long a job's step runs (default
// 0.3 s) and how long the worker takes to cancel a job (default 2 s: the
// real worker signals the step, waits for it, runs post-job steps and
// uploads logs before it exits).
const (
	jobSecondsFile    = "_diag/.fake-job-seconds"
	cancelSecondsFile = "_diag/.fake-cancel-seconds"
)

// Worker exit codes: 100 + TaskResult (TaskResultUtil.TranslateToReturnCode).
const (
	workerSucceeded = 100
	workerFailed    = 102
	workerCanceled  = 103
)

func knobSeconds(root, rel string, def time.Duration) time.Duration {
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		return def
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
	if err != nil || f < 0 {
		return def
	}
	return time.Duration(f * float64(time.Second))
}

// runWorker runs the job in a bin/Runner.Worker child, as the listener
// does (JobDispatcher.cs): the job message goes down the worker's stdin
// (the real one uses anonymous pipes), and when the listener is stopped it
// sends the worker a cancellation and waits for it to finish cancelling.
// It returns the job's result.
func runWorker(ctx context.Context, root, work string, job int64) string {
	cmd := exec.Command(filepath.Join(root, "bin", "Runner.Worker"+exeSuffix), "spawnclient", "0", "1")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: start worker: %v\n", stamp(), err)
		return "failed"
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: start worker: %v\n", stamp(), err)
		return "failed"
	}
	fmt.Fprintf(in, "job %d %s\n", job, work)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var werr error
	select {
	case werr = <-done:
	case <-ctx.Done():
		fmt.Printf("%s: Cancelling job fake-job-%d: the runner is shutting down\n", stamp(), job)
		fmt.Fprintln(in, "cancel")
		select {
		case werr = <-done:
		case <-time.After(30 * time.Second):
			// The real listener kills a worker that does not cancel in time.
			_ = cmd.Process.Kill()
			werr = <-done
		}
	}
	_ = in.Close()
	code := 0
	if ee, ok := werr.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if werr != nil {
		code = -1
	}
	switch code {
	case workerSucceeded:
		return "succeeded"
	case workerCanceled:
		return "cancelled"
	}
	return "failed"
}

// worker is bin/Runner.Worker: it reads the job message, runs the job's
// step as a child process (sleep, in the work folder) and logs both pids
// to _diag/Worker_*.log. A cancellation from the listener, SIGINT or
// SIGTERM (Ctrl-C or Ctrl-Break on Windows) cancels the job: SIGINT to
// the step (Windows cannot signal one process: there the step gets the
// console's Ctrl-C, if any, or nothing), then the cancel time (the step
// killed if it is still there), then exit 103.
func worker(root string) int {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	r := bufio.NewReader(os.Stdin)
	line, err := r.ReadString('\n')
	var job int64
	var work string
	if _, serr := fmt.Sscanf(line, "job %d %s", &job, &work); err != nil || serr != nil {
		fmt.Fprintf(os.Stderr, "Runner.Worker: no job message: %q %v\n", line, err)
		return workerFailed
	}
	cancel := make(chan struct{})
	go func() {
		for {
			l, err := r.ReadString('\n')
			if strings.TrimSpace(l) == "cancel" || err == io.EOF {
				close(cancel)
				return
			}
			if err != nil {
				close(cancel)
				return
			}
		}
	}()
	d := knobSeconds(root, jobSecondsFile, 300*time.Millisecond)
	step := stepCommand(d)
	step.Dir = work
	if err := step.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "Runner.Worker: step: %v\n", err)
		return workerFailed
	}
	stepDone := make(chan error, 1)
	go func() { stepDone <- step.Wait() }()
	logf(root, fmt.Sprintf("Worker_%s-job%d.log", time.Now().UTC().Format("20060102-150405"), job),
		"%s job=%d worker_pid=%d step_pid=%d\n", stamp(), job, os.Getpid(), step.Process.Pid)
	stepEnded := false
	select {
	case err := <-stepDone:
		var ee *exec.ExitError
		switch {
		case err == nil:
			return workerSucceeded
		case errors.As(err, &ee) && interrupted(ee):
			// The step died of the SIGINT sent to the whole group, or of
			// the Ctrl-C sent to the whole console (which may reach it
			// before this worker sees its own): a cancellation.
			stepEnded = true
		default:
			return workerFailed
		}
	case <-cancel:
	case <-sig:
	}
	fmt.Printf("%s: Runner.Worker: the job fake-job-%d is being cancelled\n", stamp(), job)
	deadline := time.After(knobSeconds(root, cancelSecondsFile, 2*time.Second))
	if stepEnded {
		<-deadline
		return workerCanceled
	}
	_ = step.Process.Signal(os.Interrupt)
	select {
	case <-stepDone:
		<-deadline
	case <-deadline:
		_ = step.Process.Kill()
		<-stepDone
	}
	return workerCanceled
}

func logf(root, name, format string, a ...any) {
	dir := filepath.Join(root, "_diag")
	_ = os.MkdirAll(dir, 0o755)
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, format, a...)
}
