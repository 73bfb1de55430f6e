package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/github"
	"github.com/runnerctl/runnerctl/bootstrap/runner"
	"github.com/runnerctl/runnerctl/platform"
)

// LifecycleAPI is what install, uninstall and status need from the GitHub client.
type LifecycleAPI interface {
	DownloadsAPI
	RegistrationToken(ctx context.Context) (github.Token, error)
	RemoveToken(ctx context.Context) (github.Token, error)
	GetRunner(ctx context.Context, id int64) (github.Runner, error)
	FindRunner(ctx context.Context, name string) (*github.Runner, error)
	DeleteRunner(ctx context.Context, id int64) error
}

// InstallOptions configure Install.
type InstallOptions struct {
	Target  github.Target
	Package PackageOptions
	Dir     string
	// User runs the runner (created when missing, as root on Linux).
	User string
	// AllowRoot runs the runner as root (RUNNER_ALLOW_RUNASROOT).
	AllowRoot bool
	Runner    runner.Config
	// Env holds the user's KEY=VALUE lines for the runner's .env (--env);
	// Proxy and CAFile (as NODE_EXTRA_CA_CERTS) are added to them.
	Env       []string
	Proxy     github.Proxy
	CAFile    string
	NoService bool
	// Wait bounds the wait for the runner to come online; 0 skips it.
	Wait          time.Duration
	KeepOnFailure bool
	// Executable is this runnerctl's path ("": Executable()). The service runs it in place
	// when it is in a stable root-owned directory, else a copy in BinDir
	// (default platform.DefaultBinDir()); see placeBinary.
	Executable string
	BinDir     string
	IndexDir   string
	Version    string
	// waitPolicy, when set, replaces defaultWaitPolicy (tests).
	waitPolicy *waitPolicy
}

// InstallResult says what Install did.
type InstallResult struct {
	Dir            string `json:"dir"`
	Name           string `json:"name"`
	ID             int64  `json:"id"`
	URL            string `json:"url"`
	Service        string `json:"service,omitempty"`
	ServiceManager string `json:"service_manager,omitempty"`
	User           string `json:"user,omitempty"`
	// Runnerctl is the runnerctl the service runs.
	Runnerctl string `json:"runnerctl,omitempty"`
	Status    string `json:"status,omitempty"`
	// OnlineAfter counts from the start of the install.
	OnlineAfter time.Duration `json:"online_after_ns,omitempty"`
	// Unchanged is true when the runner was installed already and nothing
	// needed doing; Repaired when it was, and its service was not as
	// install leaves it (another definition, not running).
	Unchanged bool `json:"unchanged"`
	Repaired  bool `json:"repaired,omitempty"`
}

// Install turns the host into a registered, running runner (design.md,
// steps 1-9). The same call on an installed runner changes nothing. A
// failure rolls back what this call created, unless KeepOnFailure.
func Install(ctx context.Context, d Deps, o InstallOptions) (res InstallResult, err error) {
	started := time.Now()
	api, svc, red, log := d.API, d.Services, d.Redactor, d.Log
	dir, err := absDir(o.Dir)
	if err != nil {
		return res, err
	}
	o.Dir = dir
	if o.Executable == "" {
		if o.Executable, err = Executable(); err != nil {
			return res, fmt.Errorf("install: %w", err)
		}
	}
	o.Env = append(o.Proxy.Env(), o.Env...)
	if o.CAFile != "" {
		ca, err := filepath.Abs(o.CAFile)
		if err != nil {
			return res, failure.Wrap(failure.Usage, fmt.Errorf("--ca-file: %w", err))
		}
		o.Env = append(o.Env, "NODE_EXTRA_CA_CERTS="+ca)
	}
	if o.Runner.Name == "" {
		if o.Runner.Name, err = os.Hostname(); err != nil {
			return res, failure.Wrap(failure.Usage, errors.New("--name: the host name is unknown, give a runner name"))
		}
	}
	o.Runner.URL = o.Target.URL
	if _, err := o.Runner.Args(); err != nil {
		return res, err
	}
	user, allowRoot, err := runAs(o)
	if err != nil {
		return res, err
	}
	svcName, display := svc.Names(o.Target.ScopeName(), o.Runner.Name)
	if o.NoService {
		svcName = ""
	}
	res = InstallResult{Dir: dir, Name: o.Runner.Name, URL: o.Target.URL, Service: svcName, User: user}
	if svcName != "" {
		res.ServiceManager = svc.Platform()
	}

	st, err := ReadState(dir)
	if err != nil {
		return res, err
	}
	owner := user // the runner directory's
	user = serviceUser(user)
	var bin binaryPlan
	if svcName != "" {
		if bin, err = planBinary(o.Executable, o.BinDir, user, o.IndexDir, log); err != nil {
			return res, err
		}
	}
	if st != nil && st.Runner != nil {
		return installed(ctx, api, svc, o, st, res, user, display, bin, started, log)
	}

	rb := &rollback{log: log}
	defer func() {
		if err == nil {
			return
		}
		if o.KeepOnFailure {
			log.Warn("install failed: --keep-on-failure leaves what it created in place", "dir", dir)
			return
		}
		rb.run()
	}()

	// Steps 3-6: package, directory, user (Prepare cleans up after itself).
	prep, err := Prepare(ctx, d, PrepareOptions{Package: o.Package, Dir: dir, User: owner, Version: o.Version})
	if err != nil {
		return res, err
	}
	if !prep.Unchanged {
		rb.push("remove the runner directory "+dir, func() error { return os.RemoveAll(dir) })
		if prep.UserCreated {
			rb.push("remove the runner user "+user, func() error { return platform.DeleteUser(user) })
		}
	}
	if st, err = ReadState(dir); err != nil || st == nil {
		return res, fmt.Errorf("install: read state after prepare: %w", errors.Join(err, errors.New("no state file")))
	}
	// A user this install (or the prepare of this directory, before any
	// job ran) created is the host's to remove with its last runner.
	if user != "" && (prep.UserCreated || (prep.Unchanged && st.UserCreated && st.User == user)) {
		if err := updateIndex(o.IndexDir, func(ix *index) {
			if !slices.Contains(ix.CreatedUsers, user) {
				ix.CreatedUsers = append(ix.CreatedUsers, user)
			}
		}); err != nil {
			return res, err
		}
		if prep.UserCreated {
			rb.push("forget the runner user "+user+" in the host index", func() error {
				return updateIndex(o.IndexDir, func(ix *index) {
					ix.CreatedUsers = slices.DeleteFunc(ix.CreatedUsers, func(u string) bool { return u == user })
				})
			})
		}
	}
	if len(o.Env) > 0 {
		if err := runner.MergeEnv(dir, o.Env); err != nil {
			return res, failure.Wrap(failure.Usage, err)
		}
	}
	if user != "" {
		// Prepare gave the tree to its user; hand it over if that was
		// another (a golden image prepared for someone else), and give the
		// runner user the .env written above: env.sh, run as that user,
		// appends to it.
		target := filepath.Join(dir, runner.EnvFile)
		if st.User != user {
			target = dir
		}
		if _, err := os.Lstat(target); err == nil {
			if err := platform.ChownTree(target, user); err != nil {
				return res, fmt.Errorf("install: %w", err)
			}
		}
	}

	// Step 7: register.
	ex := runner.Exec{Dir: dir, User: user, AllowRoot: allowRoot, Log: log}
	settings, err := runner.ReadSettings(dir)
	if err != nil {
		return res, err
	}
	if settings == nil {
		before, err := api.FindRunner(ctx, o.Runner.Name)
		if err != nil {
			return res, err
		}
		regErr := register(ctx, api, ex, o.Runner, red, log)
		settings, err = runner.ReadSettings(dir)
		if regErr != nil || err != nil || settings == nil {
			// config.sh may have failed after the server registered the
			// runner (the real one saves .runner after that call): delete
			// what it left, so no orphan stays on the server.
			removeLeftover(context.WithoutCancel(ctx), api, o.Runner.Name, before, log)
			if regErr != nil {
				return res, regErr
			}
			if err == nil {
				err = errors.New("there is none")
			}
			return res, failure.Wrap(failure.RunnerConfig, fmt.Errorf("install: config.sh succeeded but wrote no readable .runner: %w", err))
		}
		id := settings.AgentID
		rb.push(fmt.Sprintf("remove the registration of %s (id %d)", o.Runner.Name, id), func() error {
			return deregister(context.WithoutCancel(ctx), api, ex, id, red, log)
		})
	} else {
		log.Info("runner already configured in this directory: finishing the install", "name", settings.AgentName, "id", settings.AgentID)
	}
	res.ID, res.Name = settings.AgentID, settings.AgentName
	st.Runner = &RunnerRecord{URL: o.Target.URL, Scope: o.Target.Kind.String(), Name: settings.AgentName, ID: settings.AgentID,
		Labels: o.Runner.Labels, Ephemeral: o.Runner.Ephemeral, Service: svcName, InstalledAt: time.Now().UTC()}
	if user != "" {
		st.User = user
	}

	if err := WriteState(dir, *st); err != nil {
		return res, err
	}
	if prep.Unchanged {
		rb.push("forget the registration in "+StateFile, func() error {
			st.Runner = nil
			return WriteState(dir, *st)
		})
	}

	// Step 8: the service (it reads the state file), run from a stable runnerctl.
	if svcName != "" {
		if err := placeBinary(&bin, o.Executable, user, log); err != nil {
			return res, err
		}
		if bin.Created {
			rb.push("remove "+bin.Path, func() error { return os.Remove(bin.Path) })
		}
		res.Runnerctl = bin.Path
		spec := serviceSpec(svcName, display, settings.AgentName, o.Target.URL, dir, user, bin.Path)
		if _, err := ensureService(svc, spec, rb); err != nil {
			return res, err
		}
		if err := writeServiceMarker(dir, svcName, user); err != nil {
			return res, err
		}
	}
	if err := recordInstall(o.IndexDir, IndexEntry{Dir: dir, Name: settings.AgentName, URL: o.Target.URL, Service: svcName, User: user}, bin); err != nil {
		return res, err
	}
	rb.push("forget "+dir+" in the host index", func() error { return indexRemove(o.IndexDir, dir) })

	// Step 9: confirm.
	if err := confirm(ctx, api, svc, o, &res, started, log); err != nil {
		return res, err
	}
	afterBinary(svc, o.IndexDir, dir, bin, log)
	return res, nil
}

// recordedUser is the user the installed runner in dir runs as ("" for
// root): the host index's record, else (an index without it) the state
// file's.
func recordedUser(indexDir, dir string, st *State) string {
	if entries, err := ReadIndex(indexDir); err == nil {
		for _, e := range entries {
			if e.Dir == dir {
				return e.User
			}
		}
	}
	return serviceUser(st.User)
}

// recordInstall writes the runner's host index entry and, when it has a
// service, which runnerctl that runs.
func recordInstall(indexDir string, e IndexEntry, bin binaryPlan) error {
	return updateIndex(indexDir, func(ix *index) {
		ix.Runners = append(slices.DeleteFunc(ix.Runners, func(x IndexEntry) bool { return x.Dir == e.Dir }), e)
		if bin.Path != "" {
			ix.Runnerctl = &BinaryRecord{Path: bin.Path, Placed: bin.Placed}
		}
	})
}

// afterBinary moves the other runners' services onto a runnerctl that
// was replaced or moved, and removes a copy of ours no service runs now.
func afterBinary(svc ServiceManager, indexDir, dir string, bin binaryPlan, log *slog.Logger) {
	prev := bin.Prev
	moved := prev != nil && prev.Path != bin.Path
	if bin.Path == "" || (!bin.Replaced && !moved) {
		return
	}
	allMoved := refreshServices(svc, indexDir, dir, bin.Path, bin.Replaced, log)
	if moved && prev.Placed && !allMoved {
		log.Warn("a service still runs the previous runnerctl copy: it is kept", "path", prev.Path)
		return
	}
	if moved && prev.Placed {
		if err := os.Remove(prev.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			log.Warn("could not remove the runnerctl copy no service runs now", "path", prev.Path, "err", err)
		} else {
			log.Info("removed the runnerctl copy no service runs now", "path", prev.Path)
		}
	}
}

// installed finishes an install that was done before: the same runner is
// kept; its service is installed, repaired (a definition that differs from
// the one runnerctl writes now: another runnerctl path, an older unit) and
// started where needed; then the wait for online runs as for a first
// install. Nothing new is registered.
func installed(ctx context.Context, api LifecycleAPI, svc ServiceManager, o InstallOptions, st *State, res InstallResult, user, display string, bin binaryPlan, started time.Time, log *slog.Logger) (InstallResult, error) {
	r := st.Runner
	if r.Name != o.Runner.Name || r.URL != o.Target.URL {
		return res, failure.Wrap(failure.Usage, fmt.Errorf("install: %s holds runner %q for %s: run `runnerctl uninstall --dir %s` first, or choose another --dir",
			o.Dir, r.Name, r.URL, o.Dir))
	}
	if recorded := recordedUser(o.IndexDir, o.Dir, st); recorded != user {
		as := func(u string) string {
			if u == "" {
				return "root (--allow-root)"
			}
			return u
		}
		return res, failure.Wrap(failure.Usage, fmt.Errorf("install: runner %q in %s runs as %s, not %s: give the same --user (or --allow-root) as the first install, or run `runnerctl uninstall --dir %s` first",
			r.Name, o.Dir, as(recorded), as(user), o.Dir))
	}
	res.ID, res.Unchanged = r.ID, true
	log.Info("runner already installed", "dir", o.Dir, "name", r.Name, "id", r.ID)
	if res.Service != "" {
		if err := placeBinary(&bin, o.Executable, user, log); err != nil {
			return res, err
		}
		res.Runnerctl = bin.Path
		changed, err := ensureService(svc, serviceSpec(res.Service, display, r.Name, r.URL, o.Dir, user, bin.Path), nil)
		if err != nil {
			return res, err
		}
		if changed || bin.Replaced {
			if !changed {
				if err := svc.Restart(res.Service); err != nil {
					return res, failure.Wrap(failure.Service, err)
				}
			}
			res.Unchanged, res.Repaired = false, true
			log.Info("service repaired and started", "service", res.Service, "runnerctl", bin.Path)
		}
		if err := writeServiceMarker(o.Dir, res.Service, user); err != nil {
			return res, err
		}
	}
	if err := recordInstall(o.IndexDir, IndexEntry{Dir: o.Dir, Name: r.Name, URL: r.URL, Service: res.Service, User: user}, bin); err != nil {
		return res, err
	}
	if err := confirm(ctx, api, svc, o, &res, started, log); err != nil {
		return res, err
	}
	afterBinary(svc, o.IndexDir, o.Dir, bin, log)
	return res, nil
}
