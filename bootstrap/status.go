package bootstrap

import (
	"context"
	"errors"
	"strings"

	"github.com/runnerctl/runnerctl/bootstrap/github"
	"github.com/runnerctl/runnerctl/platform"
)

// StatusReport is what `runnerctl status` shows for one runner directory.
type StatusReport struct {
	Dir          string                `json:"dir"`
	Installed    bool                  `json:"installed"`
	Name         string                `json:"name,omitempty"`
	ID           int64                 `json:"id,omitempty"`
	URL          string                `json:"url,omitempty"`
	User         string                `json:"user,omitempty"`
	Package      string                `json:"package,omitempty"`
	Version      string                `json:"version,omitempty"`
	Configured   bool                  `json:"configured"`
	Service      string                `json:"service,omitempty"`
	ServiceState platform.ServiceState `json:"service_state,omitempty"`
	// ServiceDetail is the manager's own account; Supervisor the
	// supervisor's (listening, relaunching after an exit, stopped and why).
	ServiceDetail string `json:"service_detail,omitempty"`
	Supervisor    string `json:"supervisor,omitempty"`
	// Watch is the supervisor's view in fields: listener pid and uptime,
	// restarts, last exit and its meaning, jobs run, current job, last error.
	Watch       *platform.SupervisorView `json:"supervisor_view,omitempty"`
	Server      *github.Runner           `json:"server,omitempty"`
	ServerError string                   `json:"server_error,omitempty"`
	// RegistrationGone: installed, but the server no longer has the
	// registration or the directory no longer holds .runner (an
	// ephemeral runner after its job, GitHub's removal after 14 days
	// offline): `install` registers it again.
	RegistrationGone bool `json:"registration_gone,omitempty"`
	// OnEphemeralExit is an ephemeral runner's --on-ephemeral-exit;
	// Drained: `runnerctl drain` took it out of service.
	OnEphemeralExit platform.EphemeralExit `json:"on_ephemeral_exit,omitempty"`
	Drained         bool                   `json:"drained,omitempty"`
}

// Status reports a runner directory from the trusted store's record:
// the local service and, with api, the server's view. Of the runner
// directory it only looks whether .runner is there (shown, never used).
func Status(ctx context.Context, d Deps, dir string) (StatusReport, error) {
	api, svc := d.API, d.Services
	dir, err := runnerDir(dir)
	if err != nil {
		return StatusReport{}, err
	}
	rep := StatusReport{Dir: dir}
	rec, err := d.Store.Get(dir)
	if err != nil || rec == nil {
		return rep, err
	}
	rep.User, rep.Package = rec.User, rec.Package.Filename
	rep.Version = packageVersion(rec.Package.Filename)
	rep.Configured = configured(dir)
	if r := rec.Runner; r != nil {
		rep.Installed, rep.Name, rep.ID, rep.URL, rep.Service = true, r.Name, r.ID, r.URL, r.Service
		rep.OnEphemeralExit, rep.Drained = r.OnEphemeralExit, r.Draining
	}
	if rep.Service != "" {
		st, err := svc.Status(rep.Service)
		if err != nil {
			st = platform.ServiceStatus{State: platform.ServiceUnknown, Detail: err.Error()}
		}
		rep.ServiceState, rep.ServiceDetail, rep.Supervisor, rep.Watch = st.State, st.Detail, st.Supervisor, st.Watch
	}
	if api != nil && rep.ID != 0 {
		r, err := api.GetRunner(ctx, rep.ID)
		switch {
		case errors.Is(err, github.ErrNotFound):
			rep.RegistrationGone = true
		case err != nil:
			rep.ServerError = err.Error()
		default:
			rep.Server = &r
		}
	}
	if rep.Installed && !rep.Configured {
		rep.RegistrationGone = true
	}
	return rep, nil
}

// packageVersion takes the version out of actions-runner-OS-ARCH-VER.tar.gz.
func packageVersion(filename string) string {
	base := strings.TrimSuffix(strings.TrimSuffix(filename, ".zip"), ".tar.gz")
	if i := strings.LastIndex(base, "-"); i >= 0 {
		return base[i+1:]
	}
	return ""
}
