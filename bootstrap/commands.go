package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/fetch"
	"github.com/runnerctl/runnerctl/bootstrap/github"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
	"github.com/runnerctl/runnerctl/platform"
)

// Env is what every command gets besides its own options: where results
// and logs go, how to reach GitHub, the host's service manager. main
// fills it from the global flags; each RunX below is one command, callable
// without the CLI library (restic's runX(ctx, gopts, opts) shape).
type Env struct {
	Stdout io.Writer
	// TTY is stderr when it is a terminal (progress bars), else nil.
	TTY      io.Writer
	Log      *slog.Logger
	Format   Format
	Redactor *secret.Redactor
	// Conn is how to reach GitHub; each command gives its --url.
	Conn     github.ConnectOptions
	CacheDir string
	// StateDir holds the trusted store (--state-dir).
	StateDir string
	Services ServiceManager
	Version  string
}

// checkCAFile refuses, as root, a CA file another user can change: the
// CA decides which server gets the credential. what names where it came
// from (--ca-file, the record).
func checkCAFile(path, what string) error {
	if path == "" || !platform.Privileged() {
		return nil
	}
	if err := platform.CheckRootFile(path); err != nil {
		return failure.Wrap(failure.Usage, fmt.Errorf("%s %s: %w: give a CA file only root can change", what, path, err))
	}
	return nil
}

// connect returns the client for url.
func (e Env) connect(url string) (*github.Client, error) {
	if err := checkCAFile(e.Conn.CAFile, "--ca-file"); err != nil {
		return nil, err
	}
	c := e.Conn
	c.URL, c.Log, c.Redactor, c.Version = url, e.Log, e.Redactor, e.Version
	return github.Connect(c)
}

// deps builds the pipeline's dependencies; api may be nil.
func (e Env) deps(api *github.Client) (Deps, error) {
	tr, err := github.NewTransport(e.Conn.CAFile, e.Conn.Proxy)
	if err != nil {
		return Deps{}, err
	}
	f := fetch.NewFetcher(tr, "runnerctl/"+e.Version, e.TTY, e.Log)
	f.InsecureHTTP = e.Conn.InsecureHTTP
	d := Deps{Services: e.Services, Cache: &fetch.Cache{Dir: e.CacheDir, Log: e.Log}, Store: e.store(), Fetcher: f, Log: e.Log, Redactor: e.Redactor}
	if api != nil {
		d.API = api
	}
	return d, nil
}

// store is the trusted store in --state-dir, made absolute: the
// service's command line names it, and a service's working directory is
// the runner directory.
func (e Env) store() Store {
	if abs, err := filepath.Abs(e.StateDir); err == nil {
		return Store{Dir: abs}
	}
	return Store{Dir: e.StateDir}
}

// lifecycleAPI is the client for the runner in dir: for url, else for
// the server its trusted record names (with the API URL and CA file
// install used, unless given again); nil when no credential was given
// (status and uninstall then work without the server).
func (e Env) lifecycleAPI(url, dir string) (*github.Client, error) {
	c, err := e.lifecycleConn(url, dir)
	if err != nil || c.URL == "" {
		return nil, err
	}
	cl, err := github.Connect(c)
	if errors.Is(err, github.ErrNoCredential) {
		e.Log.Debug("no API credentials: the server is not asked", "err", err)
		return nil, nil
	}
	return cl, err
}

// lifecycleConn is how to reach the server of the runner in dir (see
// lifecycleAPI); URL is "" when dir has no runner record.
func (e Env) lifecycleConn(url, dir string) (github.ConnectOptions, error) {
	c := e.Conn
	if url == "" {
		dir, err := runnerDir(dir)
		if err != nil {
			return c, err
		}
		rec, err := e.store().Get(dir)
		if err != nil || rec == nil || rec.Runner == nil {
			return c, err
		}
		url = rec.Runner.URL
		if c.APIURL == "" {
			c.APIURL = rec.Runner.APIURL
		}
		if c.CAFile == "" && rec.Runner.CAFile != "" {
			if err := checkCAFile(rec.Runner.CAFile, "the CA file install used for "+dir+":"); err != nil {
				return c, err
			}
			c.CAFile = rec.Runner.CAFile
		}
	}
	if err := checkCAFile(c.CAFile, "--ca-file"); err != nil {
		return c, err
	}
	c.URL, c.Log, c.Redactor, c.Version = url, e.Log, e.Redactor, e.Version
	return c, nil
}

// RunDownloads lists the runner packages the server offers.
func RunDownloads(ctx context.Context, e Env, url string) error {
	c, err := e.connect(url)
	if err != nil {
		return err
	}
	ds, err := c.Downloads(ctx)
	if err != nil {
		return err
	}
	for _, d := range ds {
		e.Redactor.Add(d.TempDownloadToken)
	}
	return WriteDownloads(e.Stdout, e.Format, ds)
}

// RunToken mints a registration (or remove) token and prints it.
func RunToken(ctx context.Context, e Env, url string, registration bool) error {
	c, err := e.connect(url)
	if err != nil {
		return err
	}
	mint := c.RemoveToken
	if registration {
		mint = c.RegistrationToken
	}
	t, err := mint(ctx)
	if err != nil {
		return err
	}
	e.Log.Info("token minted", "expires_at", t.ExpiresAt.UTC().Format(time.RFC3339))
	return WriteToken(e.Stdout, e.Format, t)
}

// RunRunnersList lists the runners that pass f, all pages.
func RunRunnersList(ctx context.Context, e Env, url string, f RunnerFilter) error {
	if err := f.Validate(); err != nil {
		return err
	}
	c, err := e.connect(url)
	if err != nil {
		return err
	}
	rs, err := c.ListRunners(ctx, "")
	if err != nil {
		return err
	}
	return WriteRunners(e.Stdout, e.Format, f.Select(rs))
}

// RunnerSelector names one runner: an id argument or --name.
type RunnerSelector struct {
	Args []string
	Name string
}

// lookup finds the runner sel names.
func (sel RunnerSelector) lookup(ctx context.Context, c *github.Client) (github.Runner, error) {
	switch {
	case len(sel.Args) == 1 && sel.Name == "":
		id, err := strconv.ParseInt(sel.Args[0], 10, 64)
		if err != nil || id <= 0 {
			return github.Runner{}, failure.Wrap(failure.Usage, fmt.Errorf("runner id %q: want a positive number (or use --name)", sel.Args[0]))
		}
		return c.GetRunner(ctx, id)
	case len(sel.Args) == 0 && sel.Name != "":
		r, err := c.FindRunner(ctx, sel.Name)
		if err != nil {
			return github.Runner{}, err
		}
		if r == nil {
			return github.Runner{}, failure.Wrap(failure.NotFound, fmt.Errorf("no runner named %q at %s", sel.Name, c.Target().Describe()))
		}
		return *r, nil
	}
	return github.Runner{}, failure.Wrap(failure.Usage, errors.New("give a runner id or --name NAME (one of them)"))
}

// oneRunner connects to url and finds the runner sel names.
func (e Env) oneRunner(ctx context.Context, url string, sel RunnerSelector) (*github.Client, github.Runner, error) {
	c, err := e.connect(url)
	if err != nil {
		return nil, github.Runner{}, err
	}
	r, err := sel.lookup(ctx, c)
	return c, r, err
}

// RunRunnersGet shows one runner.
func RunRunnersGet(ctx context.Context, e Env, url string, sel RunnerSelector) error {
	_, r, err := e.oneRunner(ctx, url, sel)
	if err != nil {
		return err
	}
	if e.Format == "json" {
		return WriteJSON(e.Stdout, r)
	}
	return WriteRunners(e.Stdout, e.Format, []github.Runner{r})
}

// RunRunnersDelete deletes one runner registration.
func RunRunnersDelete(ctx context.Context, e Env, url string, sel RunnerSelector) error {
	c, r, err := e.oneRunner(ctx, url, sel)
	if err != nil {
		return err
	}
	if err := deleteRunner(ctx, c, r); err != nil {
		return err
	}
	e.Log.Info("deleted runner", "id", r.ID, "name", r.Name)
	return nil
}

// RunPrune deletes offline runners left by dead hosts.
func RunPrune(ctx context.Context, e Env, url string, o PruneOptions) error {
	c, err := e.connect(url)
	if err != nil {
		return err
	}
	res, err := Prune(ctx, c, o, e.Log)
	if failure.KindOf(err) == failure.Usage {
		return err
	}
	if werr := WritePrune(e.Stdout, e.Format, res); werr != nil && err == nil {
		err = werr
	}
	return err
}

// packageDeps is Deps for the package commands: an API client only when
// the package is not a local file.
func (e Env) packageDeps(url string, po PackageOptions) (Deps, error) {
	var c *github.Client
	if !po.Offline() {
		var err error
		if c, err = e.connect(url); err != nil {
			return Deps{}, err
		}
	}
	return e.deps(c)
}

// RunDownload puts packages in the cache and prints them as sha256sum does.
func RunDownload(ctx context.Context, e Env, url string, o DownloadOptions) error {
	d, err := e.packageDeps(url, o.Package)
	if err != nil {
		return err
	}
	es, err := Download(ctx, d, o)
	if err != nil {
		return err
	}
	return WriteEntries(e.Stdout, e.Format, es)
}

// RunPrepare prepares a runner directory (the golden-image step).
func RunPrepare(ctx context.Context, e Env, url string, o PrepareOptions) error {
	d, err := e.packageDeps(url, o.Package)
	if err != nil {
		return err
	}
	o.Version = e.Version
	res, err := Prepare(ctx, d, o)
	if err != nil {
		return err
	}
	return WritePrepare(e.Stdout, e.Format, res)
}

// RunInstall makes this host a registered, running runner.
func RunInstall(ctx context.Context, e Env, url string, o InstallOptions) error {
	if err := o.Package.Validate(); err != nil {
		return err
	}
	c, target, err := e.installClient(url, &o.Preminted)
	if err != nil {
		return err
	}
	// doctor's local checks first (no request): a host that cannot work
	// fails here, naming the fix, before anything is downloaded or made.
	pu := o.User
	if o.AllowRoot {
		pu = ""
	}
	if err := Preflight(ctx, e, url, DoctorOptions{Dir: o.preflightDir(), User: pu, NoService: o.NoService}); err != nil {
		return err
	}
	d, err := e.deps(c)
	if err != nil {
		return err
	}
	o.Target, o.Version, o.Proxy, o.CAFile = target, e.Version, e.Conn.Proxy, e.Conn.CAFile
	if o.Count != 0 {
		res, err := InstallCount(ctx, d, o)
		if werr := WriteCount(e.Stdout, e.Format, res); err == nil {
			err = werr
		}
		return err
	}
	res, err := Install(ctx, d, o)
	if err != nil {
		return err
	}
	return WriteInstall(e.Stdout, e.Format, res)
}

// RunUninstall removes the runner in dir, or with all every runner in the
// trusted store; url, when given, is the server to deregister from.
func RunUninstall(ctx context.Context, e Env, url string, all bool, o UninstallOptions) error {
	dirs, err := Dirs(e.store(), o.Dir, all)
	if err != nil {
		return err
	}
	if len(dirs) == 0 && e.Format != "json" { // --all with an empty store
		_, err := fmt.Fprintln(e.Stdout, "nothing installed")
		return err
	}
	if o.RemoveTokenFile != "" {
		if o.removeToken, err = github.ReadCredentialFile(o.RemoveTokenFile, "--remove-token-file", e.Log); err != nil {
			return err
		}
		e.Redactor.Add(o.removeToken)
	}
	// The options of the runner at hand: uninstallClients completes them
	// (the remove-token client), and Uninstall uses them.
	var cur UninstallOptions
	connect := func(dir string) (*github.Client, error) {
		if o.Drain { // a job left running is waited for, then the runner taken out of service
			if _, err := e.drainOne(ctx, url, DrainOptions{Dir: dir, Timeout: o.DrainTimeout}); err != nil {
				return nil, err
			}
		}
		cur = o
		cur.Dir = dir
		return e.uninstallClients(url, &cur)
	}
	return eachRunner(e, dirs, connect, WriteUninstall, func(d Deps, _ string) (UninstallResult, error) {
		return Uninstall(ctx, d, cur)
	})
}

// lifecycleFor is lifecycleAPI for url, as eachRunner's connect.
func (e Env) lifecycleFor(url string) func(dir string) (*github.Client, error) {
	return func(dir string) (*github.Client, error) { return e.lifecycleAPI(url, dir) }
}

// eachRunner runs f for the runner in each of dirs, with the API client
// connect gives for it, one after the other, and writes the results of
// those that succeeded; the errors of the others are joined.
func eachRunner[R any](e Env, dirs []string, connect func(dir string) (*github.Client, error), write func(io.Writer, Format, []R) error, f func(d Deps, dir string) (R, error)) error {
	var results []R
	var errs []error
	for _, dir := range dirs {
		c, err := connect(dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		d, err := e.deps(c)
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		res, err := f(d, dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		results = append(results, res)
	}
	if err := write(e.Stdout, e.Format, results); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// RunStatus reports the runner in dir, or with all every runner in the
// trusted store.
func RunStatus(ctx context.Context, e Env, url, dir string, all bool) error {
	dirs, err := Dirs(e.store(), dir, all)
	if err != nil {
		return err
	}
	reps := []StatusReport{}
	for _, dir := range dirs {
		c, err := e.lifecycleAPI(url, dir)
		if err != nil {
			return err
		}
		d, err := e.deps(c)
		if err != nil {
			return err
		}
		rep, err := Status(ctx, d, dir)
		if err != nil {
			return err
		}
		reps = append(reps, rep)
	}
	return WriteStatus(e.Stdout, e.Format, reps)
}

// RunPlan is what `runnerctl run` supervises: the runner directory, the
// user the listener runs as ("" for ourselves), the service name.
type RunPlan struct {
	Dir, User, Name string
}

// PlanRun says what `runnerctl run --dir dir [--service name]` runs. Not
// as root (the services run it as the runner user: systemd User=, the
// SysV script's setpriv, launchd UserName) the listener runs as
// ourselves and nothing needs deciding. As root, the trusted record of
// dir decides, never the runner directory: the user to run the listener
// as, root only when install recorded --allow-root, and the service.
func PlanRun(e Env, dir, service string) (RunPlan, error) {
	dir, err := runnerDir(dir)
	if err != nil {
		return RunPlan{}, err
	}
	p := RunPlan{Dir: dir, Name: service}
	if p.Name == "" {
		p.Name = "runnerctl-run"
	}
	if !platform.Privileged() || !platform.RunsAsUser() {
		return p, nil
	}
	st := e.store()
	rec, err := st.Get(dir)
	if err != nil {
		return RunPlan{}, err
	}
	if rec == nil || rec.Runner == nil {
		return RunPlan{}, fmt.Errorf("run: %w", st.notInstalled(dir))
	}
	if rec.User == "" && !rec.AllowRoot {
		return RunPlan{}, failure.Wrap(failure.Usage, fmt.Errorf("run: the record of %s names no runner user and no --allow-root: refusing to run the listener as root", dir))
	}
	if service != "" && service != rec.Runner.Service {
		return RunPlan{}, failure.Wrap(failure.Usage, fmt.Errorf("run: --service %s: the runner in %s was installed with service %q", service, dir, rec.Runner.Service))
	}
	if service == "" && rec.Runner.Service != "" {
		p.Name = rec.Runner.Service
	}
	p.User = rec.User
	return p, nil
}

// serviceUser is the user a service or listener runs as: "" for root
// (the manager's default; config.sh then with RUNNER_ALLOW_RUNASROOT).
func serviceUser(user string) string {
	if user == "root" {
		return ""
	}
	return user
}

// Executable is this runnerctl's path, links resolved.
func Executable() (string, error) {
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		return "", fmt.Errorf("find runnerctl's own path for the service: %w", err)
	}
	return exe, nil
}

// absDir is --dir made absolute; an empty one is a usage error.
func absDir(dir string) (string, error) {
	if dir == "" {
		return "", failure.Wrap(failure.Usage, errors.New("--dir is empty: give the runner directory"))
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", failure.Wrap(failure.Usage, fmt.Errorf("--dir %q: %w", dir, err))
	}
	return abs, nil
}

// RunDoctor runs doctor's checks and prints them; the error's kind is
// the first failing check's class (doctor.go).
func RunDoctor(ctx context.Context, e Env, o DoctorOptions) error {
	c := e.Conn
	c.Log, c.Redactor, c.Version = e.Log, e.Redactor, e.Version
	d := DoctorDeps{Conn: c, Store: e.store(), Log: e.Log, Services: e.Services}
	if e.Services == nil {
		d.Services = noServices{}
	}
	checks := Doctor(ctx, d, o)
	if err := WriteDoctor(e.Stdout, e.Format, checks); err != nil {
		return err
	}
	return DoctorError(checks)
}
