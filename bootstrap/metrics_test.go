package bootstrap

import (
	"strings"
	"testing"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/platform"
)

func TestMetricsAddrChoice(t *testing.T) {
	rec := &Record{Runner: &RunnerRecord{MetricsAddr: "127.0.0.1:9000"}}
	for _, c := range []struct {
		flag      string
		noService bool
		rec       *Record
		want      string
		usage     bool
	}{
		{"", false, nil, "", false},
		{"", false, rec, "127.0.0.1:9000", false},
		{"off", false, rec, "", false},
		{"[::1]:9001", false, rec, "[::1]:9001", false},
		{"0.0.0.0:9001", false, nil, "", true},
		{"127.0.0.1:9001", true, nil, "", true},
		{"", true, rec, "", false},
	} {
		got, err := metricsAddr(c.flag, c.noService, c.rec)
		if got != c.want || (err != nil) != c.usage || (err != nil && failure.KindOf(err) != failure.Usage) {
			t.Errorf("metricsAddr(%q, %v, %v) = %q, %v; want %q, usage error %v", c.flag, c.noService, c.rec != nil, got, err, c.want, c.usage)
		}
	}
	for i, want := range map[int]string{1: "127.0.0.1:9252", 3: "127.0.0.1:9254"} {
		if got, err := countMetricsAddr("127.0.0.1:9252", i); got != want || err != nil {
			t.Errorf("countMetricsAddr(9252, %d) = %q, %v; want %q", i, got, err, want)
		}
	}
	if _, err := countMetricsAddr("127.0.0.1:65535", 2); err == nil {
		t.Error("countMetricsAddr past port 65535: no error")
	}
}

// status shows the supervisor's view one subject a row, and in JSON.
func TestWriteStatusWatch(t *testing.T) {
	code := 2
	rep := StatusReport{Dir: "/opt/r", Installed: true, Name: "ci-1", Service: "actions.runner.acme.ci-1", ServiceState: platform.ServiceRunning,
		Supervisor: "listening since ...", Watch: &platform.SupervisorView{State: "listening", Current: true, ListenerPID: 43, UptimeSeconds: 125,
			Restarts: 2, LastExitCode: &code, LastExit: "exit 2 (retryable)", JobsRun: 7, CurrentJob: "build", LastError: "boom"}}
	var b strings.Builder
	if err := WriteStatus(&b, "", []StatusReport{rep}); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"listener:   pid 43, up 2m5s\n", "restarts:   2, last exit: exit 2 (retryable)\n", "jobs:       7 run, running: build\n", "last error: boom\n"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("status lacks %q:\n%s", w, b.String())
		}
	}
	b.Reset()
	if err := WriteStatus(&b, "json", []StatusReport{rep}); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"listener_pid": 43`, `"listener_uptime_seconds": 125`, `"restarts": 2`, `"last_exit_code": 2`, `"last_exit": "exit 2 (retryable)"`, `"jobs_run": 7`, `"current_job": "build"`, `"last_error": "boom"`} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("status --output json lacks %s:\n%s", w, b.String())
		}
	}
	// A stopped supervisor's last run: no pid, no uptime, said so.
	rep.Watch = &platform.SupervisorView{State: "stopped", JobsRun: 3, LastExit: "exit 1 (terminated: ...)", Restarts: 0}
	b.Reset()
	_ = WriteStatus(&b, "", []StatusReport{rep})
	if strings.Contains(b.String(), "listener:") || !strings.Contains(b.String(), "jobs:       3 run (last run of the supervisor)\n") {
		t.Errorf("status of a stopped supervisor:\n%s", b.String())
	}
}
