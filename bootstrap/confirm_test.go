package bootstrap

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/github"

	"github.com/runnerctl/runnerctl/platform"
)

// fakeServices is a ServiceManager whose status a test scripts: the
// state of each Status call in turn (the last one repeats).
type fakeServices struct {
	mu       sync.Mutex
	statuses []platform.ServiceStatus
	calls    int
	logs     []string
}

func (f *fakeServices) Names(scope, n string) (string, string)     { return "svc." + n, n }
func (f *fakeServices) Platform() string                           { return "fake" }
func (f *fakeServices) Check(platform.ServiceSpec) error           { return nil }
func (f *fakeServices) Install(platform.ServiceSpec) (bool, error) { return true, nil }
func (f *fakeServices) Start(string) error                         { return nil }
func (f *fakeServices) Restart(string) error                       { return nil }
func (f *fakeServices) Stop(string) error                          { return nil }
func (f *fakeServices) Uninstall(string) error                     { return nil }
func (f *fakeServices) Logs(string, time.Time, int) []string       { return f.logs }
func (f *fakeServices) Status(string) (platform.ServiceStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := min(f.calls, len(f.statuses)-1)
	f.calls++
	return f.statuses[i], nil
}

// fakeRunnerAPI answers GetRunner from a script of statuses and counts calls.
type fakeRunnerAPI struct {
	LifecycleAPI
	mu     sync.Mutex
	status []string
	calls  []time.Time
	block  bool
}

func (a *fakeRunnerAPI) GetRunner(ctx context.Context, id int64) (github.Runner, error) {
	if a.block {
		<-ctx.Done() // a server that rate-limits for longer than --wait
		return github.Runner{}, ctx.Err()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	i := min(len(a.calls), len(a.status)-1)
	a.calls = append(a.calls, time.Now())
	return github.Runner{ID: id, Name: "ci-1", Status: a.status[i]}, nil
}

func fastPolicy() *waitPolicy {
	return &waitPolicy{LocalPoll: time.Millisecond, NoSignalGrace: 50 * time.Millisecond, APIMinBackoff: 10 * time.Millisecond, APIMaxBackoff: 40 * time.Millisecond}
}

func runConfirm(t *testing.T, svc *fakeServices, api *fakeRunnerAPI, wait time.Duration) (InstallResult, error) {
	t.Helper()
	res := InstallResult{Name: "ci-1", ID: 7, Service: "svc.ci-1"}
	o := InstallOptions{Dir: "/opt/r", Wait: wait, waitPolicy: fastPolicy()}
	err := confirm(context.Background(), api, svc, o, &res, time.Now(), slog.New(slog.DiscardHandler))
	return res, err
}

var (
	starting  = platform.ServiceStatus{State: platform.ServiceRunning, Supervised: true, Supervisor: "starting"}
	listening = platform.ServiceStatus{State: platform.ServiceRunning, Supervised: true, Listening: true, Supervisor: "listening"}
)

// The API is asked only once the supervisor says the listener listens,
// and once is enough when the server agrees.
func TestConfirmWaitsForTheLocalSignal(t *testing.T) {
	svc := &fakeServices{statuses: []platform.ServiceStatus{starting, starting, starting, starting, starting, listening}}
	api := &fakeRunnerAPI{status: []string{"online"}}
	res, err := runConfirm(t, svc, api, 5*time.Second)
	if err != nil || res.Status != "online" {
		t.Fatalf("confirm: %v, %+v", err, res)
	}
	if len(api.calls) != 1 || svc.calls < 6 {
		t.Fatalf("API asked %d times, local status read %d times; want 1 and at least 6", len(api.calls), svc.calls)
	}
}

// When the server lags behind the local signal, the API is asked again
// with back-off (doubling, capped), not at the local polling rate.
func TestConfirmBacksOffOnTheAPI(t *testing.T) {
	svc := &fakeServices{statuses: []platform.ServiceStatus{listening}}
	api := &fakeRunnerAPI{status: []string{"offline", "offline", "offline", "offline", "online"}}
	if _, err := runConfirm(t, svc, api, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if len(api.calls) != 5 {
		t.Fatalf("API asked %d times, want 5", len(api.calls))
	}
	var gaps []time.Duration
	for i := 1; i < len(api.calls); i++ {
		gaps = append(gaps, api.calls[i].Sub(api.calls[i-1]))
	}
	// 10, 20, 40, 40 ms: each gap at least the back-off of its step.
	for i, want := range []time.Duration{10, 20, 40, 40} {
		if gaps[i] < want*time.Millisecond {
			t.Errorf("gap %d = %s, want ≥ %dms (gaps %v)", i, gaps[i], want, gaps)
		}
	}
}

// A supervisor that never says it listens: the API is never asked, and
// the timeout (exit 8) quotes the service's state and its last log lines.
func TestConfirmTimeoutQuotesTheServiceLog(t *testing.T) {
	svc := &fakeServices{statuses: []platform.ServiceStatus{{State: platform.ServiceRestarting, Detail: "activating (auto-restart), last exit status=203/EXEC", Supervised: true}},
		logs: []string{"Failed to execute /tmp/runnerctl: No such file or directory"}}
	api := &fakeRunnerAPI{status: []string{"offline"}}
	_, err := runConfirm(t, svc, api, 200*time.Millisecond)
	if failure.KindOf(err) != failure.Timeout {
		t.Fatalf("err = %v, want a timeout", err)
	}
	for _, want := range []string{"not online after --wait 200ms", "is restarting (activating (auto-restart), last exit status=203/EXEC)",
		"last log lines:\n    | Failed to execute /tmp/runnerctl"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, err)
		}
	}
	if len(api.calls) != 0 {
		t.Errorf("the API was asked %d times while the listener never listened", len(api.calls))
	}
}

// No status file to watch (an older supervisor): the API is asked after
// the grace period, with back-off.
func TestConfirmWithoutLocalSignal(t *testing.T) {
	svc := &fakeServices{statuses: []platform.ServiceStatus{{State: platform.ServiceRunning}}}
	api := &fakeRunnerAPI{status: []string{"offline", "online"}}
	start := time.Now()
	if _, err := runConfirm(t, svc, api, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if len(api.calls) != 2 || api.calls[0].Sub(start) < 50*time.Millisecond {
		t.Fatalf("API calls %d, first after %s; want 2, the first after the 50ms grace", len(api.calls), api.calls[0].Sub(start))
	}
}

// A service that fails or stops ends the wait at once (exit 7), with its log.
func TestConfirmFailsFastOnADeadService(t *testing.T) {
	for _, st := range []platform.ServiceState{platform.ServiceFailed, platform.ServiceStopped, platform.ServiceNotInstalled} {
		svc := &fakeServices{statuses: []platform.ServiceStatus{starting, {State: st, Supervisor: "stopped: runner listener exited 1"}}, logs: []string{"the runner is not configured"}}
		start := time.Now()
		_, err := runConfirm(t, svc, &fakeRunnerAPI{status: []string{"offline"}}, time.Minute)
		if failure.KindOf(err) != failure.Service || time.Since(start) > 10*time.Second {
			t.Fatalf("%s: err = %v after %s, want a service failure at once", st, err, time.Since(start))
		}
		if !strings.Contains(err.Error(), "supervisor: stopped: runner listener exited 1") || !strings.Contains(err.Error(), "| the runner is not configured") {
			t.Errorf("%s: error lacks the supervisor's words or the log:\n%s", st, err)
		}
	}
}

// --wait bounds a request that would wait longer (rate-limit waits,
// retries): exit 8 when the wait is up, not minutes later.
func TestConfirmBoundsTheRequest(t *testing.T) {
	svc := &fakeServices{statuses: []platform.ServiceStatus{listening}}
	start := time.Now()
	_, err := runConfirm(t, svc, &fakeRunnerAPI{block: true}, 300*time.Millisecond)
	if failure.KindOf(err) != failure.Timeout || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %s, want a timeout at --wait", err, time.Since(start))
	}
}
