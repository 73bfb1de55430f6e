package bootstrap

import (
	"log/slog"
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
	index := filepath.Join(t.TempDir(), "index")
	url := "https://github.com/acme/app"
	for _, e := range []IndexEntry{
		{Dir: "/r/self", Name: "self", URL: url, Service: "actions.runner.acme-app.self"},
		{Dir: "/r/a", Name: "a", URL: url, Service: "actions.runner.acme-app.a"},
		{Dir: "/r/b", Name: "b", URL: url, Service: "actions.runner.acme-app.b"},
		{Dir: "/r/c", Name: "c", URL: url, Service: "actions.runner.acme-app.c"},
		{Dir: "/r/n", Name: "n", URL: url}, // --no-service
	} {
		if err := indexAdd(index, e); err != nil {
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

	// An entry whose service is not what runnerctl names it: left alone,
	// and reported, so the old copy is kept.
	if err := indexAdd(index, IndexEntry{Dir: "/r/x", Name: "x", URL: url, Service: "sshd"}); err != nil {
		t.Fatal(err)
	}
	if refreshServices(svc, index, "/r/self", "/usr/local/bin/runnerctl", true, log) {
		t.Error("an unmoved service was not reported")
	}
}
