package service

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/platform/platformtest"
)

func TestParseListenerLine(t *testing.T) {
	for _, c := range []struct {
		line string
		kind int
		text string
	}{
		// actions/runner JobDispatcher.cs: "{DateTime.UtcNow:u}: Running job: {JobDisplayName}".
		{"2026-11-25 10:00:01Z: Running job: build (linux)", lineJobStart, "build (linux)"},
		{"2026-11-25 10:00:01Z: Running job: a: b", lineJobStart, "a: b"},
		{"2026-11-25 10:00:02Z: Job build (linux) completed with result: Succeeded", lineJobDone, "build (linux)"},
		{"2026-11-25 10:00:02Z: Job x completed with result: y completed with result: Failed", lineJobDone, "x completed with result: y"},
		{"An error occurred: Runner version v2.300.0 is deprecated", lineError, "Runner version v2.300.0 is deprecated"},
		{"2026-11-25 10:00:00Z: Listening for Jobs", lineOther, ""},
		{"Running job: no stamp", lineOther, ""},
		{"completed with result: Succeeded", lineOther, ""},
	} {
		got := parseListenerLine(c.line)
		if got.kind != c.kind || got.text != c.text {
			t.Errorf("%q: %+v, want kind %d %q", c.line, got, c.kind, c.text)
		}
	}
	var s SupervisorStatus
	for _, l := range []string{
		"x: Running job: a", "x: Job a completed with result: Succeeded",
		"x: Running job: b", "x: Job b completed with result: Failed", "x: Running job: c",
		"An error occurred: boom",
	} {
		parseListenerLine(l).apply(&s)
	}
	if s.JobsRun != 2 || s.CurrentJob != "c" || s.LastError != "boom" {
		t.Errorf("after two jobs and a third started: %+v", s)
	}
}

func TestExitMeaning(t *testing.T) {
	for code, want := range map[int]string{
		0: "exit 0 (stopped)", 1: "exit 1 (terminated: ", 2: "exit 2 (retryable)", 3: "exit 3 (self-update)",
		4: "exit 4 (self-update after a run-once job)", 5: "exit 5 (session conflict: ", 7: "exit 7 (runner version deprecated)",
		42: "exit 42 (unknown code)", -1: "killed by a signal",
	} {
		if got := describeExit(code); !strings.HasPrefix(got, want) {
			t.Errorf("describeExit(%d) = %q, want %q...", code, got, want)
		}
	}
}

// /healthz is 503 until the listener listens; /metrics has no
// last exit code before the first exit.
func TestMetricsHandler(t *testing.T) {
	st := &statusWriter{}
	_ = st.update(func(x *SupervisorStatus) {
		*x = SupervisorStatus{State: SupStarting, Started: time.Unix(1700000000, 0)}
	})
	srv := httptest.NewServer(metricsHandler(st))
	defer srv.Close()
	get := func(path string) (int, string) {
		c, body, err := platformtest.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		return c, body
	}
	if c, body := get("/healthz"); c != http.StatusServiceUnavailable || !strings.Contains(body, "starting") {
		t.Errorf("/healthz while starting: %d %q", c, body)
	}
	_, body := get("/metrics")
	for _, w := range []string{"runnerctl_listener_up 0\n", "runnerctl_supervisor_start_time_seconds 1.7e+09\n", "runnerctl_jobs_total 0\n"} {
		if !strings.Contains(body, w) {
			t.Errorf("/metrics while starting lacks %q:\n%s", w, body)
		}
	}
	for _, w := range []string{"runnerctl_listener_last_exit_code", "runnerctl_runner_info"} {
		if strings.Contains(body, w) {
			t.Errorf("/metrics while starting has %q", w)
		}
	}
	code := 2
	_ = st.update(func(x *SupervisorStatus) {
		x.State, x.ListenerPID, x.LastExitCode, x.RunnerVersion = SupListening, 42, &code, "2.336.9"
	})
	if c, _ := get("/healthz"); c != http.StatusOK {
		t.Errorf("/healthz while listening: %d", c)
	}
	if _, body := get("/metrics"); !strings.Contains(body, `runnerctl_listener_last_exit_code{meaning="retryable"} 2`) {
		t.Errorf("/metrics lacks the last exit:\n%s", body)
	}
	_ = st.update(func(x *SupervisorStatus) { x.State, x.ListenerPID = SupRelaunching, 0 })
	if c, _ := get("/healthz"); c != http.StatusServiceUnavailable {
		t.Errorf("/healthz while relaunching: %d", c)
	}
}

func TestSupervisorStatusString(t *testing.T) {
	code := 2
	s := &SupervisorStatus{State: SupListening, PID: 1, ListenerPID: 2, ListenerStarted: time.Now().Add(-90 * time.Second),
		Restarts: 3, LastExit: describeExit(code), LastExitCode: &code, JobsRun: 7, CurrentJob: "build\x1b[2J", LastError: "boom"}
	got := s.String()
	for _, w := range []string{"listener 2 up 1m3", "3 restarts", "last listener exit: exit 2 (retryable)", "7 jobs run", "running job build?[2J", "last error: boom"} {
		if !strings.Contains(got, w) {
			t.Errorf("%q lacks %q", got, w)
		}
	}
}
