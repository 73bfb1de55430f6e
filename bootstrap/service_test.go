package bootstrap

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/runnerctl/runnerctl/platform"
)

// recordingServices is a ServiceManager with fixed states that records
// what is done to which service.
type recordingServices struct {
	fakeServices
	state map[string]platform.ServiceState
	did   []string
}

func (r *recordingServices) Names(scope, n string) (string, string) {
	return "actions.runner." + scope + "." + n, n
}
func (r *recordingServices) Status(name string) (platform.ServiceStatus, error) {
	st, ok := r.state[name]
	if !ok {
		st = platform.ServiceNotInstalled
	}
	return platform.ServiceStatus{State: st}, nil
}
func (r *recordingServices) Install(s platform.ServiceSpec) (bool, error) {
	r.did = append(r.did, "install "+s.Name+" "+s.Executable)
	return false, nil
}
func (r *recordingServices) Restart(name string) error {
	r.did = append(r.did, "restart "+name)
	return nil
}

// After a new runnerctl: running (and restarting) services are restarted
// on it, a service stopped by hand stays stopped, and an entry whose
// service cannot be moved makes the old copy stay.
func TestRefreshServices(t *testing.T) {
	index := Store{Dir: filepath.Join(t.TempDir(), "state")}
	url := "https://github.com/acme/app"
	add := func(dir, name, service string) error {
		return index.Put(Record{Dir: dir, Runner: &RunnerRecord{Name: name, URL: url, Service: service}})
	}
	for _, e := range [][3]string{
		{"/r/self", "self", "actions.runner.acme-app.self"},
		{"/r/a", "a", "actions.runner.acme-app.a"},
		{"/r/b", "b", "actions.runner.acme-app.b"},
		{"/r/c", "c", "actions.runner.acme-app.c"},
		{"/r/n", "n", ""}, // --no-service
	} {
		if err := add(e[0], e[1], e[2]); err != nil {
			t.Fatal(err)
		}
	}
	svc := &recordingServices{state: map[string]platform.ServiceState{
		"actions.runner.acme-app.a": platform.ServiceRunning, "actions.runner.acme-app.b": platform.ServiceStopped, "actions.runner.acme-app.c": platform.ServiceRestarting,
	}}
	log := slog.New(slog.DiscardHandler)
	if !refreshServices(svc, index, "/r/self", "/usr/local/bin/runnerctl", true, log) {
		t.Error("all services were moved, but refreshServices says not")
	}
	want := []string{
		"install actions.runner.acme-app.a /usr/local/bin/runnerctl", "restart actions.runner.acme-app.a",
		"install actions.runner.acme-app.b /usr/local/bin/runnerctl",
		"install actions.runner.acme-app.c /usr/local/bin/runnerctl", "restart actions.runner.acme-app.c",
	}
	if !slices.Equal(svc.did, want) {
		t.Errorf("did %q\nwant %q", svc.did, want)
	}

	// Same binary, only the path changed and no definition changed: no restart.
	svc.did = nil
	refreshServices(svc, index, "/r/self", "/usr/local/bin/runnerctl", false, log)
	for _, d := range svc.did {
		if d[:7] == "restart" {
			t.Errorf("restarted with nothing changed: %q", svc.did)
		}
	}

	// A service name install never gives is refused by the store.
	if err := add("/r/s", "s", "sshd"); err == nil {
		t.Error("the store took a record naming service sshd")
	}
	// An entry whose service is not what runnerctl names it: left alone,
	// and reported, so the old copy is kept.
	if err := add("/r/x", "x", "actions.runner.other.x"); err != nil {
		t.Fatal(err)
	}
	if refreshServices(svc, index, "/r/self", "/usr/local/bin/runnerctl", true, log) {
		t.Error("an unmoved service was not reported")
	}
}

// The launchd kind is in the runner's record: an agent's user is found by
// its service name (the service manager's lookup), a record made before
// the kind existed (no "launchd" key) is a daemon's, and a kind install
// never writes, or an agent without a user, is not ours.
func TestLaunchdRecord(t *testing.T) {
	st := Store{Dir: filepath.Join(t.TempDir(), "state")}
	url := "https://github.com/acme/app"
	if err := os.MkdirAll(st.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	old := `{"schema_version":1,"runners":[{"dir":"/r/old","package":{"filename":"p","sha256":"x"},"user":"runner","made_at":"2026-01-01T00:00:00Z",
"runner":{"url":"` + url + `","scope":"repository","name":"old","id":1,"service":"actions.runner.acme-app.old","installed_at":"2026-01-01T00:00:00Z"}}]}`
	if err := os.WriteFile(filepath.Join(st.Dir, StoreFile), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	agent := Record{Dir: "/r/mac", User: "ci", Runner: &RunnerRecord{Name: "mac", URL: url, Service: "actions.runner.acme-app.mac", Launchd: platform.LaunchAgent}}
	if err := st.Put(agent); err != nil {
		t.Fatal(err)
	}
	find := LaunchAgents(st.Dir)
	for name, want := range map[string]string{"actions.runner.acme-app.mac": "ci", "actions.runner.acme-app.old": "", "actions.runner.acme-app.none": ""} {
		if got, err := find(name); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", name, got, err, want)
		}
	}
	if r, err := st.Get("/r/old"); err != nil || r == nil || r.Runner.Launchd != "" {
		t.Errorf("old record: %+v, %v", r, err)
	}
	for _, bad := range []Record{
		{Dir: "/r/bad", User: "ci", Runner: &RunnerRecord{Name: "bad", URL: url, Service: "actions.runner.acme-app.bad", Launchd: "system"}},
		{Dir: "/r/bad", AllowRoot: true, Runner: &RunnerRecord{Name: "bad", URL: url, Service: "actions.runner.acme-app.bad", Launchd: platform.LaunchAgent}},
	} {
		if err := st.Put(bad); err == nil {
			t.Errorf("the store took launchd %q for user %q", bad.Runner.Launchd, bad.User)
		}
	}

	// --launchd: given, it wins (daemon is stored as ""); not given, the
	// first install's kind is kept; an unknown value goes on, for the
	// service manager's Check to refuse.
	for _, c := range []struct {
		flag platform.LaunchdKind
		rec  *Record
		want platform.LaunchdKind
	}{
		{"", nil, ""}, {platform.LaunchDaemon, nil, ""}, {platform.LaunchAgent, nil, platform.LaunchAgent},
		{"", &agent, platform.LaunchAgent}, {platform.LaunchDaemon, &agent, ""}, {"system", &agent, "system"},
	} {
		if got := launchdKind(c.flag, c.rec); got != c.want {
			t.Errorf("launchdKind(%q, %v): %q, want %q", c.flag, c.rec != nil, got, c.want)
		}
	}
}
