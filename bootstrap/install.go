package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/fetch"
	"github.com/runnerctl/runnerctl/bootstrap/github"
	"github.com/runnerctl/runnerctl/bootstrap/runner"
	"github.com/runnerctl/runnerctl/platform"
)

// LifecycleAPI is what install, uninstall and status need from the GitHub client.
type LifecycleAPI interface {
	DownloadsAPI
	RegistrationToken(ctx context.Context) (github.Token, error)
	GetRunner(ctx context.Context, id int64) (github.Runner, error)
	FindRunner(ctx context.Context, name string) (*github.Runner, error)
	DeleteRunner(ctx context.Context, id int64) error
	SetLabels(ctx context.Context, id int64, labels []string) ([]github.Label, error)
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
	// InstallDependencies runs the package's bin/installdependencies.sh
	// (as root, in the staging tree) when the runner's libraries are missing.
	InstallDependencies bool
	Runner              runner.Config
	// Preminted registers with a pre-minted registration token or JIT
	// config (or --jit), see preminted.go.
	Preminted Preminted
	// Env holds the user's KEY=VALUE lines for the runner's .env (--env);
	// Proxy and CAFile (as NODE_EXTRA_CA_CERTS) are added to them.
	Env       []string
	Proxy     github.Proxy
	CAFile    string
	NoService bool
	// Launchd is --launchd: how macOS runs the service (a LaunchDaemon,
	// or an agent in User's GUI session); "" keeps an installed runner's.
	Launchd platform.LaunchdKind
	// OnEphemeralExit is what follows an ephemeral runner's job (stop,
	// reregister, shutdown; "" is stop); ShutdownCommand what shutdown
	// runs as root (default platform.DefaultShutdownCommand).
	OnEphemeralExit platform.EphemeralExit
	ShutdownCommand string
	// MetricsAddr is --metrics-addr: the service's supervisor serves
	// /metrics and /healthz there; "" keeps an installed runner's, "off"
	// drops it.
	MetricsAddr string
	// Reregister: called by the service's own root step before it starts
	// (Reregister): the service is the caller, so it is neither removed,
	// written, started nor waited for.
	Reregister bool
	// Wait bounds the wait for the runner to come online; 0 skips it.
	Wait time.Duration
	// Jitter is --jitter: a random wait up to it before the first API call.
	Jitter        time.Duration
	KeepOnFailure bool
	// Executable is this runnerctl's path ("": Executable()). The service runs it in place
	// when it is in a stable root-owned directory, else a copy in BinDir
	// (default platform.DefaultBinDir()); see placeBinary.
	Executable string
	BinDir     string
	Version    string
	// waitPolicy, when set, replaces defaultWaitPolicy (tests).
	waitPolicy *waitPolicy
	// Count installs that many runners (InstallCount); count and shared
	// are set by it for each one.
	Count  int
	count  *CountMember
	shared *sharedTree
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
	// LabelsSet: the installed runner's custom labels were set to
	// --labels through the API (same registration).
	LabelsSet bool `json:"labels_set,omitempty"`
}

// Install turns the host into a registered, running runner (design.md,
// steps 1-9). The same call on an installed runner changes nothing. A
// failure rolls back what this call created, unless KeepOnFailure.
//
// Everything it decides with comes from its options and the trusted
// store, never from the runner directory; a registration token goes only
// to a config.sh in a tree that no job can have changed: one extracted by
// this run, or the pristine, root-owned tree prepare left.
func Install(ctx context.Context, d Deps, o InstallOptions) (res InstallResult, err error) {
	started := time.Now()
	api, svc, log, st := d.API, d.Services, d.Log, d.Store
	dir, err := runnerDir(o.Dir)
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
		o.CAFile = ca
		o.Env = append(o.Env, "NODE_EXTRA_CA_CERTS="+ca)
	}
	if err := applyJIT(&o); err != nil {
		return res, err
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
	if err := checkEphemeral(&o); err != nil {
		return res, err
	}
	envLines, err := runner.EnvLines(o.Env)
	if err != nil {
		return res, err
	}
	account, allowRoot, err := runAs(o)
	if err != nil {
		return res, err
	}
	svcName, display := svc.Names(o.Target.ScopeName(), o.Runner.Name)
	if o.NoService {
		svcName = ""
	}
	user := serviceUser(account)
	res = InstallResult{Dir: dir, Name: o.Runner.Name, URL: o.Target.URL, Service: svcName, User: user}
	if svcName != "" {
		res.ServiceManager = svc.Platform()
	}
	rec, err := st.Get(dir)
	if err != nil {
		return res, err
	}
	if o.NoService && o.Launchd != "" {
		return res, failure.Wrap(failure.Usage, errors.New("--launchd: --no-service installs no service"))
	}
	o.Launchd = launchdKind(o.Launchd, rec)
	if o.MetricsAddr, err = metricsAddr(o.MetricsAddr, o.NoService, rec); err != nil {
		return res, err
	}
	if o.Launchd == platform.LaunchAgent && user == "" && !o.NoService {
		return res, failure.Wrap(failure.Usage, errors.New("--launchd agent: an agent runs in a user's GUI session: give --user, not --allow-root"))
	}
	var bin binaryPlan
	if svcName != "" && !o.Reregister {
		if bin, err = planBinary(o.Executable, o.BinDir, user, st, log); err != nil {
			return res, err
		}
		if err := svc.Check(serviceSpec(svcName, display, o.Runner.Name, o.Target.URL, dir, user, bin.Path, st, o.Launchd, o.OnEphemeralExit, o.MetricsAddr)); err != nil {
			return res, failure.Wrap(failure.Usage, fmt.Errorf("install: %w", err))
		}
	}
	if o.Runner.DisableUpdate {
		warnDisableUpdate(log, dir)
	}
	if err := jitter(ctx, o.Jitter, log); err != nil {
		return res, err
	}
	// A re-registration keeps the runner's record until the new one
	// replaces it: a step stopped half-way finds it again.
	var kept *RunnerRecord
	if rec != nil && rec.Runner != nil {
		if o.Reregister {
			kept = rec.Runner
		}
		if rec, err = installedRecord(ctx, d, o, rec, user); err != nil {
			return res, err
		}
		if rec.Runner != nil && o.Reregister {
			res.ID, res.Unchanged = rec.Runner.ID, true // registered: nothing to do
			return res, nil
		}
		if rec.Runner != nil {
			return installed(ctx, d, o, rec, envLines, res, display, bin, started)
		}
	}

	if err := checkReachable(dir, account); err != nil {
		return res, err
	}
	rb := &rollback{log: log}
	var t tree
	defer func() {
		if t.discard != nil {
			defer t.discard() // a staged tree that never went into place
		}
		if err == nil {
			return
		}
		if o.KeepOnFailure {
			// The tree config.sh ran in goes into place too, for a look at
			// its _diag logs.
			if t.finish != nil {
				if ferr := t.finish(); ferr != nil {
					// Kept, it would be a registration nothing holds.
					log.Warn("--keep-on-failure: the runner tree cannot be put in place: rolling back after all", "dir", dir, "err", ferr)
					rb.run()
					return
				}
			}
			log.Warn("install failed: --keep-on-failure leaves what it created in place", "dir", dir)
			return
		}
		rb.run()
	}()

	// Steps 3-6: package, user, directory (recorded now, made below).
	if _, err := ensureUser(st, account, rb); err != nil {
		return res, fmt.Errorf("install: %w", err)
	}
	if t, err = newTree(ctx, d, o, rec, user, envLines); err != nil {
		return res, err
	}
	// The runner's own libraries, checked in the tree config.sh will run
	// in (its check would fail after the token was minted, naming a
	// directory the rollback removes).
	if err := CheckRunnerDependencies(ctx, t.regDir, o.InstallDependencies, log); err != nil {
		return res, err
	}
	prev := rec // a prepared tree, or one whose registration is gone
	// The runner (.NET), config.sh and jobs' tools trust the OS store
	// only: a private CA goes there before config.sh talks to the server.
	var ca *TrustedCA
	if o.CAFile != "" {
		if ca, err = installCA(d.trust(), st, o.CAFile, dir, recordCA, rb, log); err != nil {
			return res, err
		}
	}
	rec = &Record{Dir: dir, Package: t.pkg, User: user, AllowRoot: allowRoot, CA: ca, MadeAt: time.Now().UTC(), Runnerctl: o.Version, Count: o.count, Runner: kept}
	if err := st.Put(*rec); err != nil {
		return res, err
	}
	rb.push("forget "+dir+" in the trusted store", func() error {
		if _, err := os.Lstat(dir); err == nil && prev != nil {
			// The tree this run found is still there. If config.sh ran in
			// it (a prepared tree, in place), it is no longer as prepare
			// left it: the next install extracts the package again.
			back := *prev
			back.Runner = kept
			back.Pristine = back.Pristine && t.regDir != dir
			return st.Put(back)
		}
		return st.Delete(dir)
	})

	// Step 7: register, in a tree only root can reach yet: no process of
	// the runner user (a job left running, a cron entry) can change the
	// config.sh the token goes to or read the token from its environment.
	// config.sh runs as root there (RUNNER_ALLOW_RUNASROOT), once; the
	// listener never does.
	ex := runner.Exec{Dir: t.regDir, AllowRoot: allowRoot || platform.Privileged(), Log: log}
	id, err := registerRunner(ctx, d, o, ex, t.regDir)
	if err != nil {
		return res, err
	}
	rb.push(fmt.Sprintf("remove the registration of %s (id %d)", o.Runner.Name, id), func() error {
		return deregister(context.WithoutCancel(ctx), api, id)
	})
	res.ID = id

	// The registered tree goes to the runner user and into place.
	if err := t.finish(); err != nil {
		return res, err
	}
	rb.push("remove the runner directory "+dir, func() error { return platform.RemoveTree(dir) })
	rec.Runner = &RunnerRecord{URL: o.Target.URL, APIURL: apiURL(o.Target), CAFile: o.CAFile, Scope: o.Target.Kind.String(), Name: o.Runner.Name, ID: id,
		Labels: o.Runner.Labels, Ephemeral: o.Runner.Ephemeral, Service: svcName, Launchd: o.Launchd, MetricsAddr: o.MetricsAddr, InstalledAt: time.Now().UTC()}
	setRegistration(rec.Runner, o)
	if err := st.Put(*rec); err != nil {
		return res, err
	}

	// Step 8: the service, run from a stable runnerctl; a re-registration
	// runs in its service's start: the service stays as it is.
	if svcName != "" && o.Reregister {
		if err := writeServiceMarker(dir, svcName, user, log); err != nil {
			return res, err
		}
		return res, nil
	}
	if svcName != "" {
		if err := placeBinary(&bin, o.Executable, user, log); err != nil {
			return res, err
		}
		if bin.Created {
			rb.push("remove "+bin.Path, func() error { return os.Remove(bin.Path) })
		}
		res.Runnerctl = bin.Path
		spec := serviceSpec(svcName, display, o.Runner.Name, o.Target.URL, dir, user, bin.Path, st, o.Launchd, o.OnEphemeralExit, o.MetricsAddr)
		if _, err := ensureService(svc, spec, rb); err != nil {
			return res, err
		}
		if err := writeServiceMarker(dir, svcName, user, log); err != nil {
			return res, err
		}
		if err := st.recordBinary(bin); err != nil {
			return res, err
		}
	}

	// Step 9: confirm.
	if err := confirm(ctx, api, svc, o, &res, started, log); err != nil {
		return res, err
	}
	// A runner registered again without its old CA (dropped or rotated):
	// the old one leaves the OS trust store unless another runner needs it.
	if prev != nil && prev.CA != nil && (ca == nil || ca.SHA256 != prev.CA.SHA256) {
		if err := removeUnusedCA(d.trust(), st, prev.CA, dir, recordCA, log); err != nil {
			log.Warn("could not take the previous CA out of the OS trust store", "err", err)
		}
	}
	afterBinary(svc, st, dir, bin, log)
	return res, nil
}

// tree is the runner tree an install registers: regDir is where
// config.sh runs, only root's until finish gives it to the runner user
// (children first) and puts it at the runner directory; discard drops
// it if finish never ran.
type tree struct {
	regDir  string
	pkg     PackageRecord
	finish  func() error // once: later calls return the first result
	discard func()
}

// once makes f run at most one time.
func once(f func() error) func() error {
	var done bool
	var err error
	return func() error {
		if !done {
			done, err = true, f()
		}
		return err
	}
}

// newTree makes the tree config.sh will run in, with the runner's .env:
// the pristine tree prepare left, in place (still root's alone, checked),
// or a fresh extraction in the root-only staging directory, which finish
// renames into place, replacing a tree the store knows (a registration
// that is gone).
func newTree(ctx context.Context, d Deps, o InstallOptions, rec *Record, user string, env []string) (tree, error) {
	log, dir := d.Log, o.Dir
	uid, gid, err := owner(user)
	if err != nil {
		return tree{}, fmt.Errorf("install: %w", err)
	}
	var src fetch.Source
	if d.API != nil || o.shared != nil {
		src, err = o.source(ctx, d.API)
	} else {
		src, err = resolveWithoutAPI(o.Package, rec)
	}
	if err != nil {
		return tree{}, err
	}
	warnOldPackageFile(ctx, d, o.Package, src)
	src = keepNewerPrepared(log, o, rec, src)
	if rec != nil {
		// A prepared image older than the server's package: extracted
		// afresh below, never registered as it is.
		logPackageChange(log, dir, rec.Package, src)
	}
	if rec != nil && rec.Pristine && src.SHA256 != "" && rec.Package.SHA256 == src.SHA256 {
		// A golden image: the tree prepare extracted is still root's. It
		// is closed to everyone but root while config.sh writes the
		// runner's credentials there (the real one writes its RSA key
		// world-readable, then chmods it).
		fi, err := os.Lstat(dir)
		if err == nil {
			err = platform.CheckPristine(dir)
		}
		if err == nil {
			err = platform.RestrictDir(dir)
		}
		if err == nil {
			err = writeEnv(dir, env)
		}
		if err == nil {
			log.Info("runner directory prepared before: registering it, then handing it to the runner user", "dir", dir, "user", user)
			return tree{regDir: dir, pkg: rec.Package, discard: func() {}, finish: once(func() error {
				if uid >= 0 {
					if err := platform.ChownPristine(dir, uid, gid); err != nil {
						return err
					}
				}
				if err := os.Chmod(dir, fi.Mode().Perm()); err != nil {
					return err
				}
				// Windows: GrantServiceAccess's protected ACL (SYSTEM,
				// Administrators, the service account) replaces
				// RestrictDir's.
				return platform.GrantServiceAccess(dir, user)
			})}, nil
		}
		log.Warn("the prepared runner directory is not as prepare left it: extracting the package again", "dir", dir, "err", err)
	}
	s, err := o.stageTree(ctx, d, src, rec != nil)
	if err != nil {
		return tree{}, err
	}
	if err := writeEnv(s.tree.Dir, env); err != nil {
		s.tree.Discard()
		return tree{}, err
	}
	return tree{regDir: s.tree.Dir, pkg: s.pkg, discard: s.tree.Discard, finish: once(func() error {
		if uid >= 0 {
			if err := s.tree.Chown(uid, gid); err != nil {
				return fmt.Errorf("install: %w", err)
			}
		}
		if err := commitTree(s.tree, dir, rec != nil); err != nil {
			return err
		}
		return platform.GrantServiceAccess(dir, user)
	})}, nil
}

// writeEnv writes the runner's .env (0600: it may hold proxy
// credentials) into a tree that is still root's alone (staging, or the
// pristine prepared tree), root's until the tree is given away. It is
// written even when env is empty: env.sh (config.sh) then adds to a 0600
// file instead of making a world-readable one.
func writeEnv(dir string, env []string) error {
	if err := platform.WriteInDir(dir, runner.EnvFile, []byte(runner.MergeEnv("", env)), 0o600, -1, -1); err != nil {
		return fmt.Errorf("install: write %s: %w", runner.EnvFile, err)
	}
	return nil
}

// installedRecord checks a re-run against the record of the first
// install, and whether the registration still works: the server still
// has it (GET by the recorded id) and the runner directory still holds
// the runner's .runner. When either is gone (an ephemeral runner after
// its job, GitHub's removal of a runner offline for 14 days, the
// listener's cleanup after a 404, a job that deleted it) the old
// registration is deleted, the service removed and the record returned
// without its runner: install then registers again from a fresh
// extraction. Whether .runner exists is the one thing read from the
// runner directory; a job can only make root do what a lost
// registration needs anyway, with a token that goes to a tree the job
// never saw.
func installedRecord(ctx context.Context, d Deps, o InstallOptions, rec *Record, user string) (*Record, error) {
	r := rec.Runner
	replace, err := checkRegistrationChange(rec, o)
	if err != nil {
		return nil, err
	}
	if rec.User != user {
		as := func(u string) string {
			if u == "" {
				return "root (--allow-root)"
			}
			return u
		}
		return nil, failure.Wrap(failure.Usage, fmt.Errorf("install: runner %q in %s runs as %s, not %s: give the same --user (or --allow-root) as the first install, or run `runnerctl uninstall --dir %s` first",
			r.Name, o.Dir, as(rec.User), as(user), o.Dir))
	}
	if d.API != nil {
		_, err = d.API.GetRunner(ctx, r.ID)
	}
	why := "the server no longer has it"
	if replace != "" {
		why, err = replace, nil
		d.Log.Warn("replacing the runner's registration, as --replace asks", "name", r.Name, "id", r.ID, "why", why)
	} else if err == nil {
		if configured(o.Dir) {
			return rec, nil
		}
		why = "the runner directory has no .runner"
	} else if !errors.Is(err, github.ErrNotFound) {
		return nil, err
	}
	if replace == "" {
		d.Log.Warn("the runner's registration is gone: registering it again from a fresh extraction", "name", r.Name, "id", r.ID, "why", why)
	}
	if r.Service != "" && !o.Reregister {
		if err := d.Services.Uninstall(r.Service); err != nil {
			return nil, failure.Wrap(failure.Service, err)
		}
	}
	if d.API == nil {
		d.Log.Warn("no API credential: the old registration is not deleted (it goes offline; the server removes it after 14 days, or `runnerctl runners delete`)", "name", r.Name, "id", r.ID)
	} else if err := deregister(ctx, d.API, r.ID); err != nil {
		return nil, fmt.Errorf("install: %w", err)
	}
	gone := *rec
	gone.Runner, gone.Pristine = nil, false
	if o.Reregister {
		return &gone, nil // the record keeps the runner until the new registration
	}
	if err := d.Store.Put(gone); err != nil {
		return nil, err
	}
	return &gone, nil
}

// configured reports whether dir holds the runner's registration file
// (.runner, or .runner_migrated that the runner prefers): looked at, not
// read.
func configured(dir string) bool {
	for _, f := range []string{".runner", ".runner_migrated"} {
		if _, err := os.Lstat(filepath.Join(dir, f)); err == nil {
			return true
		}
	}
	return false
}

// afterBinary moves the other runners' services onto a runnerctl that
// was replaced or moved, and removes a copy of ours no service runs now.
func afterBinary(svc ServiceManager, st Store, dir string, bin binaryPlan, log *slog.Logger) {
	prev := bin.Prev
	moved := prev != nil && prev.Path != bin.Path
	if bin.Path == "" || (!bin.Replaced && !moved) {
		return
	}
	allMoved := refreshServices(svc, st, dir, bin.Path, bin.Replaced, log)
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
// kept; its .env gets what --env and the proxy settings ask for; its
// service is installed, repaired (a definition that differs from the one
// runnerctl writes now: another runnerctl path, an older unit) and
// started (restarted after a .env change) where needed; then the wait
// for online runs as for a first install. Nothing new is registered.
func installed(ctx context.Context, d Deps, o InstallOptions, rec *Record, env []string, res InstallResult, display string, bin binaryPlan, started time.Time) (InstallResult, error) {
	api, svc, log, st := d.API, d.Services, d.Log, d.Store
	log.Info("runner already installed", "dir", o.Dir, "name", rec.Runner.Name, "id", rec.Runner.ID)
	rec, labelsSet, err := reconcileLabels(ctx, d, o, rec)
	if err != nil {
		return res, err
	}
	r, user := rec.Runner, rec.User
	res.ID, res.Unchanged, res.LabelsSet = r.ID, !labelsSet, labelsSet
	log.Info("runner already installed", "dir", o.Dir, "name", r.Name, "id", r.ID)
	warnBehind(ctx, d, o.Package, rec)
	envChanged, err := mergeEnv(o.Dir, env, user, log)
	if err != nil {
		return res, err
	}
	if res.Service != "" {
		if err := placeBinary(&bin, o.Executable, user, log); err != nil {
			return res, err
		}
		res.Runnerctl = bin.Path
		if r.Launchd != o.Launchd || r.OnEphemeralExit != o.OnEphemeralExit || r.ShutdownCommand != o.ShutdownCommand || r.MetricsAddr != o.MetricsAddr {
			// The record says where the service is (status, uninstall):
			// the new kind first; Install removes the old one.
			r.Launchd, r.OnEphemeralExit, r.ShutdownCommand, r.MetricsAddr = o.Launchd, o.OnEphemeralExit, o.ShutdownCommand, o.MetricsAddr
			if err := st.Put(*rec); err != nil {
				return res, err
			}
		}
		changed, err := ensureService(svc, serviceSpec(res.Service, display, r.Name, r.URL, o.Dir, user, bin.Path, st, o.Launchd, o.OnEphemeralExit, o.MetricsAddr), nil)
		if err != nil {
			return res, err
		}
		if changed || bin.Replaced || envChanged {
			if !changed {
				if err := svc.Restart(res.Service); err != nil {
					return res, failure.Wrap(failure.Service, err)
				}
			}
			res.Unchanged, res.Repaired = false, true
			log.Info("service repaired and started", "service", res.Service, "runnerctl", bin.Path)
		}
		if err := writeServiceMarker(o.Dir, res.Service, user, log); err != nil {
			return res, err
		}
		if err := st.recordBinary(bin); err != nil {
			return res, err
		}
	}
	if err := confirm(ctx, api, svc, o, &res, started, log); err != nil {
		return res, err
	}
	afterBinary(svc, st, o.Dir, bin, log)
	return res, nil
}

// mergeEnv sets env's lines in the installed runner's .env, keeping its
// other lines (env.sh's, the user's), as the runner user's 0600 file
// written without following links. It reports whether .env changed.
func mergeEnv(dir string, env []string, user string, log *slog.Logger) (bool, error) {
	if len(env) == 0 {
		return false, nil
	}
	old, err := readEnv(dir, log)
	if err != nil {
		return false, fmt.Errorf("install: read %s: %w", runner.EnvFile, err)
	}
	merged := runner.MergeEnv(old, env)
	if merged == old {
		return false, nil
	}
	if err := writeRunnerFile(dir, runner.EnvFile, user, []byte(merged), 0o600, log); err != nil {
		return false, fmt.Errorf("install: write %s: %w", runner.EnvFile, err)
	}
	return true, nil
}

// apiURL is the REST base the target resolved to, for the record.
func apiURL(t github.Target) string {
	if t.APIBase == nil {
		return ""
	}
	return t.APIBase.String()
}
