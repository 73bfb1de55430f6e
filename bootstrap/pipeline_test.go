//go:build !windows

package bootstrap

// In-process tests of the pipeline (Install, Uninstall, Status) with
// everything real but the host: a real *github.Client against the fake
// GHES, the fake runner package of runnertest (its config.sh and
// listener), the real cache and fetcher, and an in-memory service manager
// that starts the package's listener itself. They need no root: as root
// the runner runs as root (AllowRoot), as anyone else as ourselves; the
// service runs a stable root-owned executable in place (no --bin-dir), so
// the root-only check of a --bin-dir is not in the way.
//
// The fake package is built with the go tool (runnertest.Build); a test
// binary run where the module is not at hand (another user, another
// directory) takes a prebuilt one from RUNNERCTL_TEST_RUNNER_PACKAGE.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/fetch"
	"github.com/runnerctl/runnerctl/bootstrap/github"
	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/bootstrap/runner"
	"github.com/runnerctl/runnerctl/bootstrap/runner/runnertest"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
	"github.com/runnerctl/runnerctl/platform"
	"github.com/runnerctl/runnerctl/platform/platformtest"
)

const pipeScope = "repos/acme/app"

// ---- the fake runner package, built once per test binary ----

var fakePkg struct {
	once     sync.Once
	data     []byte
	filename string
	err      error
	skip     string
}

func fakeRunnerPackage(t *testing.T) ([]byte, string) {
	t.Helper()
	fakePkg.once.Do(func() {
		if p := os.Getenv("RUNNERCTL_TEST_RUNNER_PACKAGE"); p != "" {
			fakePkg.data, fakePkg.err = os.ReadFile(p)
			fakePkg.filename = filepath.Base(p)
			return
		}
		if _, err := exec.LookPath("go"); err != nil {
			fakePkg.skip = "skipped: the go tool is not on PATH, so the fake runner package cannot be built (or set RUNNERCTL_TEST_RUNNER_PACKAGE)"
			return
		}
		dir, err := os.MkdirTemp("", "runnerctl-fakepkg-")
		if err != nil {
			fakePkg.err = err
			return
		}
		defer os.RemoveAll(dir)
		pkg, err := runnertest.Build(context.Background(), dir, runnertest.Options{})
		if err != nil {
			fakePkg.err = err
			return
		}
		fakePkg.filename = pkg.Filename
		fakePkg.data, fakePkg.err = os.ReadFile(pkg.Path)
	})
	if fakePkg.skip != "" {
		t.Skip(fakePkg.skip)
	}
	if fakePkg.err != nil {
		t.Fatalf("fake runner package: %v", fakePkg.err)
	}
	return fakePkg.data, fakePkg.filename
}

// stableExecutable is a root-owned executable in root-only directories
// (what platform.StableExecutable accepts): install runs it in place as
// the service's runnerctl, with no copy and no --bin-dir check. The
// in-memory manager never runs it.
func stableExecutable(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"true", "sh", "env"} {
		p, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		if p, err = filepath.EvalSymlinks(p); err == nil && platform.StableExecutable(p) {
			return p
		}
	}
	t.Skip("skipped: no root-owned executable in a root-only directory to stand for the installed runnerctl")
	return ""
}

// ---- the log, recorded ----

// logRecord keeps every message the pipeline logs (with its attributes),
// so a test can check what rollback did and in which order.
type logRecord struct {
	mu    sync.Mutex
	lines []string
	msgs  []string
	attrs []slog.Attr
}

type logHandler struct {
	rec   *logRecord
	attrs []slog.Attr
}

func (h logHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h logHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Level, r.Message)
	for _, a := range h.attrs {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
	}
	r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	h.rec.mu.Lock()
	h.rec.lines = append(h.rec.lines, b.String())
	h.rec.msgs = append(h.rec.msgs, r.Message)
	h.rec.mu.Unlock()
	return nil
}
func (h logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return logHandler{rec: h.rec, attrs: append(slices.Clone(h.attrs), as...)}
}
func (h logHandler) WithGroup(string) slog.Handler { return h }

func (l *logRecord) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// with returns the messages that start with prefix, in order.
func (l *logRecord) with(prefix string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, m := range l.msgs {
		if strings.HasPrefix(m, prefix) {
			out = append(out, m)
		}
	}
	return out
}

func (l *logRecord) reset() {
	l.mu.Lock()
	l.lines, l.msgs = nil, nil
	l.mu.Unlock()
}

// ---- the in-memory service manager ----

// memService is one service of memServices.
type memService struct {
	spec  platform.ServiceSpec
	state platform.ServiceState
	cmd   *exec.Cmd
	done  chan struct{}
}

// memServices is a ServiceManager in memory. It records the calls that
// change something, in order ("install NAME", "start NAME", ...), keeps
// each service's definition and state, and, as a service manager running
// `runnerctl run` would, starts the runner's listener
// (bin/Runner.Listener run --startuptype service, cwd = the runner
// directory) on Start and interrupts it on Stop.
type memServices struct {
	t *testing.T

	mu       sync.Mutex
	calls    []string
	services map[string]*memService
	out      bytes.Buffer // the listeners' output, for Logs

	// InstallErr, when set, is what Install answers (after recording the call).
	InstallErr error
	// CheckErr is what Check says of every spec.
	CheckErr error
	// StatusErr, when set, is what Status answers.
	StatusErr error
}

func newMemServices(t *testing.T) *memServices {
	m := &memServices{t: t, services: map[string]*memService{}}
	t.Cleanup(func() {
		m.mu.Lock()
		names := slices.Collect(func(yield func(string) bool) {
			for n := range m.services {
				if !yield(n) {
					return
				}
			}
		})
		m.mu.Unlock()
		for _, n := range names {
			m.stop(n)
		}
	})
	return m
}

func (m *memServices) record(op, name string) {
	m.mu.Lock()
	m.calls = append(m.calls, op+" "+name)
	m.mu.Unlock()
}

// Calls returns the recorded calls.
func (m *memServices) Calls() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.calls)
}

func (m *memServices) Names(scope, runnerName string) (string, string) {
	return "actions.runner." + scope + "." + runnerName, "GitHub Actions Runner (" + scope + "." + runnerName + ")"
}

func (m *memServices) Platform() string { return "memory" }

func (m *memServices) Check(platform.ServiceSpec) error { return m.CheckErr }

func (m *memServices) Install(spec platform.ServiceSpec) (bool, error) {
	m.record("install", spec.Name)
	if m.InstallErr != nil {
		return false, m.InstallErr
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.services[spec.Name]
	if s == nil {
		m.services[spec.Name] = &memService{spec: spec, state: platform.ServiceStopped}
		return true, nil
	}
	if reflect.DeepEqual(s.spec, spec) {
		return false, nil
	}
	s.spec = spec
	return true, nil
}

func (m *memServices) Start(name string) error {
	m.record("start", name)
	return m.start(name)
}

func (m *memServices) start(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.services[name]
	if s == nil {
		return fmt.Errorf("start %s: service not installed", name)
	}
	if s.cmd != nil {
		return nil // running: Start is idempotent
	}
	cmd := exec.Command(filepath.Join(s.spec.Dir, "bin", "Runner.Listener"), "run", "--startuptype", "service")
	cmd.Dir = s.spec.Dir
	cmd.Env = platform.ChildEnv()
	cmd.Stdout, cmd.Stderr = &lockedWriter{mu: &m.mu, w: &m.out}, &lockedWriter{mu: &m.mu, w: &m.out}
	if err := cmd.Start(); err != nil {
		s.state = platform.ServiceFailed
		return fmt.Errorf("start %s: %w", name, err)
	}
	s.cmd, s.done, s.state = cmd, make(chan struct{}), platform.ServiceRunning
	go func(s *memService, cmd *exec.Cmd, done chan struct{}) {
		_ = cmd.Wait()
		m.mu.Lock()
		if s.cmd == cmd {
			// It exited on its own: the manager would say so.
			s.cmd, s.state = nil, platform.ServiceStopped
		}
		m.mu.Unlock()
		close(done)
	}(s, cmd, s.done)
	return nil
}

// lockedWriter writes under the manager's lock (the listeners' output).
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (m *memServices) Stop(name string) error {
	m.record("stop", name)
	m.stop(name)
	return nil
}

// stop interrupts the listener (the runner's graceful stop) and waits
// for it, killing it after a bound.
func (m *memServices) stop(name string) {
	m.mu.Lock()
	s := m.services[name]
	if s == nil || s.cmd == nil {
		if s != nil {
			s.state = platform.ServiceStopped
		}
		m.mu.Unlock()
		return
	}
	cmd, done := s.cmd, s.done
	s.cmd, s.state = nil, platform.ServiceStopped
	m.mu.Unlock()
	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

func (m *memServices) Restart(name string) error {
	m.record("restart", name)
	m.stop(name)
	return m.start(name)
}

func (m *memServices) Uninstall(name string) error {
	m.record("uninstall", name)
	m.stop(name)
	m.mu.Lock()
	delete(m.services, name)
	m.mu.Unlock()
	return nil
}

func (m *memServices) Status(name string) (platform.ServiceStatus, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.StatusErr != nil {
		return platform.ServiceStatus{}, m.StatusErr
	}
	s := m.services[name]
	if s == nil {
		return platform.ServiceStatus{State: platform.ServiceNotInstalled}, nil
	}
	return platform.ServiceStatus{State: s.state, Detail: "memory: " + string(s.state)}, nil
}

func (m *memServices) Logs(string, time.Time, int) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return strings.Split(strings.TrimSpace(m.out.String()), "\n")
}

// installed reports whether the service is defined.
func (m *memServices) installed(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.services[name] != nil
}

// ---- the fixture ----

type pipe struct {
	t      *testing.T
	srv    *githubtest.Server
	origin *githubtest.Origin
	api    *github.Client
	svc    *memServices
	log    *logRecord
	deps   Deps
	dir    string
	store  Store
	exe    string
}

func newPipe(t *testing.T) *pipe {
	t.Helper()
	data, filename := fakeRunnerPackage(t)
	p := &pipe{t: t, svc: newMemServices(t), log: &logRecord{}}
	p.srv = githubtest.New()
	t.Cleanup(p.srv.Close)
	p.srv.SetHeartbeat(100 * time.Millisecond)
	p.origin = githubtest.NewOrigin()
	t.Cleanup(p.origin.Close)
	osName, arch, err := platform.PackagePlatform("", "")
	if err != nil {
		t.Fatal(err)
	}
	p.srv.SetDownloads([]githubtest.Download{p.origin.Publish(osName, arch, filename, data, "tmp-dl-token")})

	tgt, err := github.ParseTarget(p.srv.URL+"/acme/app", "")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(logHandler{rec: p.log})
	retry := github.DefaultRetryPolicy(20 * time.Second)
	retry.MinBackoff, retry.MaxBackoff, retry.RateLimitFloor = 10*time.Millisecond, 40*time.Millisecond, 50*time.Millisecond
	p.api, err = github.New(github.Options{Target: tgt, Token: secret.New(githubtest.Token), Version: "test", Retry: retry, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	p.dir, p.store = filepath.Join(work, "runner"), Store{Dir: filepath.Join(work, "state")}
	p.exe = stableExecutable(t)
	p.deps = Deps{API: p.api, Services: p.svc, Cache: &fetch.Cache{Dir: filepath.Join(work, "cache"), Log: log},
		Fetcher: fetch.NewFetcher(nil, "runnerctl/test", io.Discard, log), Log: log, Redactor: &secret.Redactor{}, Store: p.store, Trust: newFakeTrust()}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("pipeline log:\n%s", p.log.all())
		}
	})
	return p
}

// options installs runner name into p.dir with a service, waiting for
// online up to 20 s with fast polling.
func (p *pipe) options(name string) InstallOptions {
	tgt, err := github.ParseTarget(p.srv.URL+"/acme/app", "")
	if err != nil {
		p.t.Fatal(err)
	}
	return InstallOptions{Target: tgt, Dir: p.dir, AllowRoot: true, Runner: runner.Config{Name: name},
		Wait: 20 * time.Second, Executable: p.exe, Version: "test",
		waitPolicy: &waitPolicy{LocalPoll: 10 * time.Millisecond, NoSignalGrace: 10 * time.Millisecond, APIMinBackoff: 20 * time.Millisecond, APIMaxBackoff: 100 * time.Millisecond}}
}

func (p *pipe) service(name string) string {
	n, _ := p.svc.Names("acme-app", name)
	return n
}

// serverRunners returns the names of the runners the fake server holds.
func (p *pipe) serverRunners() []string {
	var out []string
	for _, r := range p.srv.Runners(pipeScope) {
		out = append(out, r.Name)
	}
	return out
}

// count counts the API requests with this method whose path ends with suffix.
func (p *pipe) count(method, suffix string) int {
	n := 0
	for _, r := range p.srv.Requests() {
		if r.Method == method && strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}

func (p *pipe) indexDirs() []string {
	p.t.Helper()
	dirs, err := Dirs(p.store, "", true)
	if err != nil {
		p.t.Fatal(err)
	}
	return dirs
}

func (p *pipe) dirExists() bool {
	_, err := os.Lstat(p.dir)
	return err == nil
}

func (p *pipe) install(o InstallOptions) (InstallResult, error) {
	return Install(context.Background(), p.deps, o)
}

func (p *pipe) mustInstall(o InstallOptions) InstallResult {
	p.t.Helper()
	res, err := p.install(o)
	if err != nil {
		p.t.Fatalf("install: %v", err)
	}
	return res
}

// ---- Install ----

// A first install downloads, registers once, installs the service and
// then starts it, waits for online and records the runner in the host
// index; the same call again changes nothing and registers nothing.
func TestPipelineInstall(t *testing.T) {
	p := newPipe(t)
	o := p.options("pipe-1")
	svcName := p.service("pipe-1")
	res := p.mustInstall(o)

	if res.Unchanged || res.Status != "online" || res.ID == 0 || res.Name != "pipe-1" || res.Service != svcName || res.ServiceManager != "memory" || res.Runnerctl != p.exe {
		t.Errorf("result %+v: want a changed, online runner pipe-1 with service %s run by %s", res, svcName, p.exe)
	}
	if got, want := p.svc.Calls(), []string{"install " + svcName, "start " + svcName}; !slices.Equal(got, want) {
		t.Errorf("service manager calls %q, want %q", got, want)
	}
	if got := p.serverRunners(); !slices.Equal(got, []string{"pipe-1"}) {
		t.Errorf("server runners %q, want [pipe-1]", got)
	}
	if n := p.count("POST", "/registration-token"); n != 1 {
		t.Errorf("%d registration tokens minted, want 1", n)
	}
	st, err := p.store.Get(p.dir)
	if err != nil || st == nil || st.Runner == nil || st.Runner.ID != res.ID || st.Runner.Service != svcName || st.Runner.Name != "pipe-1" || st.Runner.URL != o.Target.URL || !st.AllowRoot || st.User != "" {
		t.Errorf("trusted record %+v (%v): want runner %d with service %s", st, err, res.ID, svcName)
	}
	// .env is written (0600) even with nothing to set: env.sh adds to it
	// rather than making a world-readable one.
	if fi, err := os.Lstat(filepath.Join(p.dir, runner.EnvFile)); err != nil || fi.Mode() != 0o600 {
		t.Errorf(".env: %v %v, want a 0600 regular file", fi, err)
	}
	if b, err := os.ReadFile(filepath.Join(p.dir, runner.ServiceMarker)); err != nil || strings.TrimSpace(string(b)) != svcName {
		t.Errorf(".service marker %q (%v), want %s", b, err, svcName)
	}
	p.svc.mu.Lock()
	spec := p.svc.services[svcName].spec
	p.svc.mu.Unlock()
	if spec.Executable != p.exe || !slices.Equal(spec.Args, []string{"run", "--dir", p.dir, "--service", svcName, "--state-dir", p.store.Dir}) || spec.Dir != p.dir {
		t.Errorf("service spec %+v", spec)
	}

	// Again: unchanged, nothing registered, the service left running.
	before := p.svc.Calls()
	res2 := p.mustInstall(o)
	if !res2.Unchanged || res2.ID != res.ID || res2.Status != "online" {
		t.Errorf("re-install result %+v: want unchanged, online, id %d", res2, res.ID)
	}
	if n := p.count("POST", "/registration-token"); n != 1 {
		t.Errorf("re-install minted a registration token: %d in all, want 1", n)
	}
	if n := p.count("POST", "/actions/runner-registration"); n != 1 {
		t.Errorf("config.sh registered %d times in all, want 1", n)
	}
	for _, c := range p.svc.Calls()[len(before):] {
		if !strings.HasPrefix(c, "install ") { // an unchanged definition is fine to write again
			t.Errorf("re-install did %q to a running service", c)
		}
	}
	if got := p.serverRunners(); !slices.Equal(got, []string{"pipe-1"}) {
		t.Errorf("server runners after re-install %q", got)
	}

	// A service stopped by hand is started again: repaired, still no registration.
	if err := p.svc.Stop(svcName); err != nil {
		t.Fatal(err)
	}
	res3 := p.mustInstall(o)
	if res3.Unchanged || !res3.Repaired || res3.Status != "online" {
		t.Errorf("install over a stopped service: %+v, want repaired and online", res3)
	}
	if c := p.svc.Calls(); c[len(c)-1] != "start "+svcName {
		t.Errorf("install over a stopped service did not start it last: %q", c)
	}
	if n := p.count("POST", "/registration-token"); n != 1 {
		t.Errorf("repair minted a registration token: %d in all, want 1", n)
	}
}

// --no-service: no service manager call, no wait, the index entry has no service.
func TestPipelineInstallNoService(t *testing.T) {
	p := newPipe(t)
	o := p.options("pipe-ns")
	o.NoService = true
	res := p.mustInstall(o)
	if res.Service != "" || res.Runnerctl != "" || res.Status != "" {
		t.Errorf("result %+v: want no service, no wait", res)
	}
	if c := p.svc.Calls(); len(c) != 0 {
		t.Errorf("service manager called with --no-service: %q", c)
	}
	if got := p.indexDirs(); !slices.Equal(got, []string{p.dir}) {
		t.Errorf("index %q", got)
	}
	if _, err := os.Stat(filepath.Join(p.dir, runner.ServiceMarker)); err == nil {
		t.Error(".service written with --no-service")
	}
}

// A failed install rolls back, newest first, exactly what it created:
// the log's "rollback: ..." lines are the steps in the order they ran.
func TestPipelineRollback(t *testing.T) {
	rbDir := func(p *pipe) string { return "rollback: remove the runner directory " + p.dir }
	rbReg := func(_ *pipe, name string) string { return "rollback: remove the registration of " + name }
	rbRec := func(p *pipe) string { return "rollback: forget " + p.dir + " in the trusted store" }
	tests := []struct {
		name  string
		setup func(p *pipe, o *InstallOptions)
		kind  failure.Kind
		// rollback is the "rollback: ..." messages, in order (prefixes).
		rollback func(p *pipe, svc string) []string
		calls    func(svc string) []string
	}{
		{
			// (a) config.sh refuses: only the record was made (the staged
			// tree config.sh ran in is discarded: it was never in place).
			name:     "config.sh refuses",
			setup:    func(p *pipe, o *InstallOptions) { p.srv.RefuseName(o.Runner.Name, "reserved") },
			kind:     failure.RunnerConfig,
			rollback: func(p *pipe, _ string) []string { return []string{rbRec(p)} },
			calls:    func(string) []string { return nil },
		},
		{
			// (b) the service manager refuses the service: the directory,
			// the registration, the record.
			name:     "service install fails",
			setup:    func(p *pipe, _ *InstallOptions) { p.svc.InstallErr = errors.New("memory: no room for a service") },
			kind:     failure.Service,
			rollback: func(p *pipe, _ string) []string { return []string{rbDir(p), rbReg(p, "pipe-rb"), rbRec(p)} },
			calls:    func(svc string) []string { return []string{"install " + svc} },
		},
		{
			// (c) the runner never comes online: the service, the
			// directory, the registration, the record.
			name: "confirm times out",
			setup: func(p *pipe, o *InstallOptions) {
				p.srv.HoldOffline(o.Runner.Name)
				o.Wait = 300 * time.Millisecond
			},
			kind: failure.Timeout,
			rollback: func(p *pipe, svc string) []string {
				return []string{"rollback: remove the service " + svc, rbDir(p), rbReg(p, "pipe-rb"), rbRec(p)}
			},
			calls: func(svc string) []string { return []string{"install " + svc, "start " + svc, "uninstall " + svc} },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPipe(t)
			o := p.options("pipe-rb")
			svc := p.service("pipe-rb")
			tt.setup(p, &o)
			_, err := p.install(o)
			if err == nil || failure.KindOf(err) != tt.kind {
				t.Fatalf("install: %v (kind %v), want a failure of kind %v", err, failure.KindOf(err), tt.kind)
			}
			got, want := p.log.with("rollback"), tt.rollback(p, svc)
			if len(got) != len(want) {
				t.Fatalf("rollback ran %q\nwant %q", got, want)
			}
			for i := range want {
				if !strings.HasPrefix(got[i], want[i]) {
					t.Errorf("rollback step %d: %q, want %q…\n(all: %q)", i, got[i], want[i], got)
				}
			}
			if got, want := p.svc.Calls(), tt.calls(svc); !slices.Equal(got, want) {
				t.Errorf("service manager calls %q, want %q", got, want)
			}
			if p.svc.installed(svc) {
				t.Errorf("service %s still defined", svc)
			}
			if r := p.serverRunners(); len(r) != 0 {
				t.Errorf("server still holds %q", r)
			}
			if p.dirExists() {
				t.Errorf("%s still exists", p.dir)
			}
			if d := p.indexDirs(); len(d) != 0 {
				t.Errorf("index still lists %q", d)
			}
			// The next install of the same runner works: nothing is in the way.
			p.svc.InstallErr = nil
			if tt.name == "config.sh refuses" || tt.name == "confirm times out" {
				return // the server still refuses / holds this name
			}
			if res := p.mustInstall(p.options("pipe-rb")); res.Status != "online" {
				t.Errorf("install after the rollback: %+v", res)
			}
		})
	}
}

// config.sh fails after the server added the runner: the registration it
// left is deleted, by name (there is no .runner to remove it with).
func TestPipelineRollbackLeftoverRegistration(t *testing.T) {
	p := newPipe(t)
	o := p.options("pipe-half")
	p.srv.FailAfterRegister("pipe-half")
	_, err := p.install(o)
	if failure.KindOf(err) != failure.RunnerConfig {
		t.Fatalf("install: %v, want a runner configuration failure", err)
	}
	if r := p.serverRunners(); len(r) != 0 {
		t.Errorf("server still holds %q", r)
	}
	if n := p.count("DELETE", ""); n != 1 {
		t.Errorf("%d DELETE requests, want 1 (the leftover by id)", n)
	}
	if p.dirExists() {
		t.Errorf("%s still exists", p.dir)
	}
}

// A runner that was already on the server under that name (another
// host's, --replace not given) is not deleted by a failed install.
func TestPipelineRollbackKeepsOthersRegistration(t *testing.T) {
	p := newPipe(t)
	p.srv.AddRunner(githubtest.Runner{Name: "pipe-taken", Scope: pipeScope, Status: "offline"})
	_, err := p.install(p.options("pipe-taken"))
	if failure.KindOf(err) != failure.RunnerConfig {
		t.Fatalf("install: %v, want a runner configuration failure", err)
	}
	if r := p.serverRunners(); !slices.Equal(r, []string{"pipe-taken"}) {
		t.Errorf("server runners %q, want the other host's pipe-taken kept", r)
	}
	if n := p.count("DELETE", ""); n != 0 {
		t.Errorf("%d DELETE requests, want none", n)
	}
}

// --keep-on-failure leaves what the failed install created: directory,
// registration, service, index entry.
func TestPipelineKeepOnFailure(t *testing.T) {
	p := newPipe(t)
	o := p.options("pipe-keep")
	svc := p.service("pipe-keep")
	o.KeepOnFailure = true
	p.srv.HoldOffline("pipe-keep")
	o.Wait = 300 * time.Millisecond
	_, err := p.install(o)
	if failure.KindOf(err) != failure.Timeout {
		t.Fatalf("install: %v, want a timeout", err)
	}
	if rb := p.log.with("rollback"); len(rb) != 0 {
		t.Errorf("rollback ran with KeepOnFailure: %q", rb)
	}
	if !p.dirExists() || !p.svc.installed(svc) || !slices.Equal(p.serverRunners(), []string{"pipe-keep"}) || !slices.Equal(p.indexDirs(), []string{p.dir}) {
		t.Errorf("kept: dir %v, service %v, server %q, index %q; want all", p.dirExists(), p.svc.installed(svc), p.serverRunners(), p.indexDirs())
	}
	if c := p.svc.Calls(); slices.Contains(c, "uninstall "+svc) {
		t.Errorf("service removed with KeepOnFailure: %q", c)
	}
	// What was kept is an install: uninstall takes it all away.
	if _, err := Uninstall(context.Background(), p.deps, UninstallOptions{Dir: p.dir}); err != nil {
		t.Fatal(err)
	}
	if p.dirExists() || p.svc.installed(svc) || len(p.serverRunners()) != 0 || len(p.indexDirs()) != 0 {
		t.Errorf("after uninstall: dir %v, service %v, server %q, index %q; want none", p.dirExists(), p.svc.installed(svc), p.serverRunners(), p.indexDirs())
	}
}

// A --bin-dir that users other than root can change is refused before
// anything is downloaded, registered or made.
func TestPipelineRefusesAnUnsafeBinDir(t *testing.T) {
	p := newPipe(t)
	o := p.options("pipe-bin")
	o.BinDir = t.TempDir()
	if err := os.Chmod(o.BinDir, 0o777); err != nil {
		t.Fatal(err)
	}
	_, err := p.install(o)
	if failure.KindOf(err) != failure.Usage || !strings.Contains(err.Error(), "only root can change") {
		t.Fatalf("install: %v, want a usage error about the bin dir", err)
	}
	if p.dirExists() || len(p.srv.Requests()) != 0 || len(p.origin.Requests()) != 0 || len(p.svc.Calls()) != 0 {
		t.Errorf("something was done: dir %v, %d API and %d origin requests, calls %q", p.dirExists(), len(p.srv.Requests()), len(p.origin.Requests()), p.svc.Calls())
	}
}

// As root with a root-only --bin-dir, install places a copy of runnerctl
// there for the service; a failure after that removes the copy too.
func TestPipelineRollbackRemovesThePlacedCopy(t *testing.T) {
	binDir := platformtest.RootOnlyTempDir(t) // skips when not root
	p := newPipe(t)
	o := p.options("pipe-copy")
	svc := p.service("pipe-copy")
	o.BinDir = binDir
	o.Executable = p.exe
	p.srv.HoldOffline("pipe-copy")
	o.Wait = 300 * time.Millisecond
	_, err := p.install(o)
	if failure.KindOf(err) != failure.Timeout {
		t.Fatalf("install: %v, want a timeout", err)
	}
	copyPath := filepath.Join(binDir, platform.ExecutableName())
	want := []string{"rollback: remove the service " + svc, "rollback: remove " + copyPath, "rollback: remove the runner directory " + p.dir,
		"rollback: remove the registration of pipe-copy", "rollback: forget " + p.dir + " in the trusted store"}
	got := p.log.with("rollback")
	if len(got) != len(want) {
		t.Fatalf("rollback ran %q\nwant %q", got, want)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("rollback step %d: %q, want %q", i, got[i], want[i])
		}
	}
	if _, err := os.Lstat(copyPath); err == nil {
		t.Errorf("%s still there", copyPath)
	}
}

// ---- Uninstall ----

// Uninstall removes the service, then the registration (by the recorded
// id through the API: no remove token goes to a config.sh a job may have
// rewritten), the directory and the trusted record.
func TestPipelineUninstall(t *testing.T) {
	p := newPipe(t)
	res := p.mustInstall(p.options("pipe-u"))
	svc := p.service("pipe-u")
	before := len(p.svc.Calls())
	p.srv.ResetRequests()

	ur, err := Uninstall(context.Background(), p.deps, UninstallOptions{Dir: p.dir})
	if err != nil {
		t.Fatal(err)
	}
	if !ur.Deregistered || !ur.FilesRemoved || ur.ID != res.ID || ur.Service != svc || ur.Nothing {
		t.Errorf("result %+v", ur)
	}
	if got := p.svc.Calls()[before:]; !slices.Equal(got, []string{"uninstall " + svc}) {
		t.Errorf("service manager calls %q, want [uninstall %s]", got, svc)
	}
	if p.svc.installed(svc) {
		t.Error("service still defined")
	}
	if r := p.serverRunners(); len(r) != 0 {
		t.Errorf("server still holds %q", r)
	}
	if p.count("POST", "/remove-token") != 0 || p.count("DELETE", fmt.Sprintf("/actions/runners/%d", res.ID)) != 1 || strings.Contains(p.log.all(), "running config.sh remove") {
		t.Errorf("requests %+v: want one DELETE by id, no remove token, no config.sh remove", p.srv.Requests())
	}
	if p.dirExists() {
		t.Errorf("%s still exists", p.dir)
	}
	if d := p.indexDirs(); len(d) != 0 {
		t.Errorf("index still lists %q", d)
	}

	// Again: nothing installed, exit 0.
	ur, err = Uninstall(context.Background(), p.deps, UninstallOptions{Dir: p.dir})
	if err != nil || !ur.Nothing {
		t.Errorf("second uninstall: %+v, %v; want nothing installed", ur, err)
	}
}

// --keep-files: the registration and the service go, the directory stays
// (with its package, ready for another install), the index entry goes.
func TestPipelineUninstallKeepFiles(t *testing.T) {
	p := newPipe(t)
	p.mustInstall(p.options("pipe-k"))
	ur, err := Uninstall(context.Background(), p.deps, UninstallOptions{Dir: p.dir, KeepFiles: true})
	if err != nil {
		t.Fatal(err)
	}
	if !ur.Deregistered || ur.FilesRemoved {
		t.Errorf("result %+v: want deregistered, files kept", ur)
	}
	if !p.dirExists() {
		t.Fatal("directory removed with KeepFiles")
	}
	if s, err := runner.ReadSettings(p.dir); err != nil || s != nil {
		t.Errorf(".runner after uninstall: %+v, %v; want none", s, err)
	}
	if st, err := p.store.Get(p.dir); err != nil || st != nil {
		t.Errorf("trusted record after uninstall --keep-files: %+v, %v; want none (runnerctl forgets the kept files)", st, err)
	}
	if _, err := os.Stat(filepath.Join(p.dir, runner.ServiceMarker)); err == nil {
		t.Error(".service kept")
	}
	if r := p.serverRunners(); len(r) != 0 {
		t.Errorf("server still holds %q", r)
	}
	if d := p.indexDirs(); len(d) != 0 {
		t.Errorf("store still lists %q", d)
	}
	// The kept files are the runner user's: a job may have changed them, so
	// no registration token goes there. Install refuses the directory.
	p.srv.ResetRequests()
	_, err = p.install(p.options("pipe-k"))
	if failure.KindOf(err) != failure.Usage || !strings.Contains(err.Error(), "not empty and runnerctl has no record") {
		t.Errorf("install into the kept directory: %v, want a usage error", err)
	}
	if n := p.count("POST", "/registration-token"); n != 0 {
		t.Errorf("a registration token was minted for the kept directory")
	}
}

// .runner is gone (an ephemeral runner after its job, a crash): the
// registration the state file records is deleted by id.
func TestPipelineUninstallWithoutRunnerFile(t *testing.T) {
	p := newPipe(t)
	res := p.mustInstall(p.options("pipe-gone"))
	svc := p.service("pipe-gone")
	p.svc.stop(svc) // the listener would recreate nothing, but must not race the removal
	for _, f := range []string{".runner", ".credentials", ".credentials_rsaparams"} {
		if err := os.Remove(filepath.Join(p.dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	p.srv.ResetRequests()
	ur, err := Uninstall(context.Background(), p.deps, UninstallOptions{Dir: p.dir})
	if err != nil || !ur.Deregistered || ur.ID != res.ID {
		t.Fatalf("uninstall: %+v, %v", ur, err)
	}
	if r := p.serverRunners(); len(r) != 0 {
		t.Errorf("server still holds %q", r)
	}
	if p.count("DELETE", fmt.Sprintf("/actions/runners/%d", res.ID)) != 1 || p.count("POST", "/remove-token") != 0 {
		t.Errorf("requests %+v: want one DELETE by id and no remove token", p.srv.Requests())
	}
}

// A directory runnerctl did not install is refused, not removed.
func TestPipelineUninstallRefusesAForeignDirectory(t *testing.T) {
	p := newPipe(t)
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p.dir, "precious"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Uninstall(context.Background(), p.deps, UninstallOptions{Dir: p.dir})
	if failure.KindOf(err) != failure.Usage || !strings.Contains(err.Error(), "was not installed by runnerctl") {
		t.Fatalf("uninstall: %v, want a usage error", err)
	}
	if _, err := os.Stat(filepath.Join(p.dir, "precious")); err != nil {
		t.Errorf("the foreign directory was touched: %v", err)
	}
	if c := p.svc.Calls(); len(c) != 0 {
		t.Errorf("service manager called: %q", c)
	}
}

// Without API credentials uninstall refuses before it removes anything:
// the registration would stay on the server.
func TestPipelineUninstallNeedsCredentials(t *testing.T) {
	p := newPipe(t)
	p.mustInstall(p.options("pipe-nc"))
	svc := p.service("pipe-nc")
	d := p.deps
	d.API = nil
	before := len(p.svc.Calls())
	_, err := Uninstall(context.Background(), d, UninstallOptions{Dir: p.dir})
	if failure.KindOf(err) != failure.Auth {
		t.Fatalf("uninstall: %v, want an auth failure", err)
	}
	if len(p.svc.Calls()) != before || !p.svc.installed(svc) || !p.dirExists() || len(p.serverRunners()) != 1 {
		t.Errorf("something was removed: calls %q, dir %v, server %q", p.svc.Calls()[before:], p.dirExists(), p.serverRunners())
	}
}

// ---- Status ----

// Status reports the manager's state of the service, the local record and
// the server's view.
func TestPipelineStatus(t *testing.T) {
	p := newPipe(t)
	res := p.mustInstall(p.options("pipe-s"))
	svc := p.service("pipe-s")
	rep, err := Status(context.Background(), p.deps, p.dir)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Installed || !rep.Configured || rep.Name != "pipe-s" || rep.ID != res.ID || rep.Service != svc ||
		rep.ServiceState != platform.ServiceRunning || rep.ServiceDetail != "memory: running" || rep.Server == nil || rep.Server.Status != "online" {
		t.Errorf("status %+v (server %+v)", rep, rep.Server)
	}
	if rep.Version != "2.336.0" {
		t.Errorf("version %q, want the package's 2.336.0", rep.Version)
	}

	if err := p.svc.Stop(svc); err != nil {
		t.Fatal(err)
	}
	if rep, err = Status(context.Background(), p.deps, p.dir); err != nil || rep.ServiceState != platform.ServiceStopped {
		t.Errorf("after stop: %+v, %v; want stopped", rep, err)
	}

	p.svc.StatusErr = errors.New("memory: manager unreachable")
	if rep, err = Status(context.Background(), p.deps, p.dir); err != nil || rep.ServiceState != platform.ServiceUnknown || !strings.Contains(rep.ServiceDetail, "manager unreachable") {
		t.Errorf("manager error: %+v, %v; want unknown with its words", rep, err)
	}
	p.svc.StatusErr = nil

	// Without API credentials: local facts only.
	d := p.deps
	d.API = nil
	if rep, err = Status(context.Background(), d, p.dir); err != nil || rep.Server != nil || rep.ServerError != "" || !rep.Installed {
		t.Errorf("without API: %+v, %v", rep, err)
	}

	// Nothing installed.
	if rep, err = Status(context.Background(), p.deps, filepath.Join(t.TempDir(), "none")); err != nil || rep.Installed || rep.Service != "" {
		t.Errorf("empty dir: %+v, %v", rep, err)
	}
}

// The registration is gone from the server (an ephemeral runner after its
// job, GitHub's removal after 14 days offline) and a job rewrote
// config.sh: a re-run registers again, from a fresh extraction that
// replaces the tree, so the token never reaches the rewritten script; the
// new id comes from the server and lands in the trusted record.
func TestPipelineReregistersFromAFreshTree(t *testing.T) {
	p := newPipe(t)
	o := p.options("pipe-again")
	res := p.mustInstall(o)
	svc := p.service("pipe-again")
	p.svc.stop(svc)
	if err := p.api.DeleteRunner(context.Background(), res.ID); err != nil {
		t.Fatal(err)
	}
	if rep, err := Status(context.Background(), p.deps, p.dir); err != nil || !rep.RegistrationGone {
		t.Errorf("status after the server lost the registration: %+v, %v; want registration gone", rep, err)
	}
	script := filepath.Join(p.dir, "config.sh")
	marker := filepath.Join(t.TempDir(), "token-seen")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$ACTIONS_RUNNER_INPUT_TOKEN\" > "+marker+"\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p.dir, "planted"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	p.srv.ResetRequests()
	res2 := p.mustInstall(o)
	if res2.ID == res.ID || res2.ID == 0 || res2.Status != "online" || res2.Unchanged {
		t.Errorf("re-install %+v: want a new, online registration (old id %d)", res2, res.ID)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the rewritten config.sh ran and saw the registration token")
	}
	if _, err := os.Lstat(filepath.Join(p.dir, "planted")); err == nil {
		t.Error("the old tree was kept: the planted file is still there")
	}
	if b, _ := os.ReadFile(script); strings.Contains(string(b), "token-seen") {
		t.Error("config.sh is still the rewritten one")
	}
	rec, err := p.store.Get(p.dir)
	if err != nil || rec == nil || rec.Runner == nil || rec.Runner.ID != res2.ID {
		t.Errorf("record %+v (%v), want runner id %d", rec, err, res2.ID)
	}
	if got := p.serverRunners(); !slices.Equal(got, []string{"pipe-again"}) {
		t.Errorf("server runners %q", got)
	}
	if n := p.count("POST", "/registration-token"); n != 1 {
		t.Errorf("%d registration tokens, want 1", n)
	}
	if !strings.Contains(p.log.all(), "registering it again from a fresh extraction") {
		t.Error("the re-registration was not logged")
	}

	// A job deletes .runner while the server still has the registration:
	// the same, and the old registration is deleted (one runner of that
	// name on the server, with a new id).
	if err := os.Remove(filepath.Join(p.dir, ".runner")); err != nil {
		t.Fatal(err)
	}
	res3 := p.mustInstall(o)
	if res3.ID == res2.ID || res3.Status != "online" {
		t.Errorf("re-install after .runner went: %+v, want a new online registration (old id %d)", res3, res2.ID)
	}
	if rs := p.srv.Runners(pipeScope); len(rs) != 1 || rs[0].ID != res3.ID {
		t.Errorf("server runners %+v, want only id %d", rs, res3.ID)
	}
}

// A service definition the manager cannot carry (a value its format has
// no escape for) is refused before anything is made or registered, and
// so are control characters in the directory or the user (exit 2).
func TestPipelineRefusesBeforeRegistering(t *testing.T) {
	p := newPipe(t)
	p.svc.CheckErr = errors.New("memory: a % cannot be in a Windows command line")
	_, err := p.install(p.options("pipe-check"))
	if failure.KindOf(err) != failure.Usage || !strings.Contains(err.Error(), "cannot be in a Windows command line") {
		t.Errorf("install: %v, want the manager's refusal as a usage error", err)
	}
	p.svc.CheckErr = nil
	for _, o := range []InstallOptions{
		func() InstallOptions {
			o := p.options("pipe-check")
			o.Dir = p.dir + "\nExecStartPre=/bin/sh"
			return o
		}(),
		func() InstallOptions { o := p.options("pipe-check"); o.AllowRoot, o.User = false, "runner\n"; return o }(),
	} {
		if _, err := p.install(o); failure.KindOf(err) != failure.Usage || !strings.Contains(err.Error(), "control character") {
			t.Errorf("install with dir %q user %q: %v, want a usage error naming the control character", o.Dir, o.User, err)
		}
	}
	if n := len(p.srv.Requests()); n != 0 || p.dirExists() || len(p.svc.Calls()) != 0 {
		t.Errorf("something was done: %d requests, dir %v, service calls %q", n, p.dirExists(), p.svc.Calls())
	}
}

// A golden image: prepare leaves the tree root's; install registers it in
// place (config.sh as root, the directory closed meanwhile) and hands it
// over. When config.sh fails there, the tree is no longer as prepare left
// it: its record says so, and the next install extracts afresh.
func TestPipelinePreparedTree(t *testing.T) {
	p := newPipe(t)
	o := p.options("pipe-gold")
	if _, err := Prepare(context.Background(), p.deps, PrepareOptions{Dir: p.dir, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	if rec, _ := p.store.Get(p.dir); rec == nil || !rec.Pristine {
		t.Fatalf("prepared record %+v, want pristine", rec)
	}
	p.srv.FailAfterRegister("pipe-gold")
	if _, err := p.install(o); failure.KindOf(err) != failure.RunnerConfig {
		t.Fatalf("install with config.sh failing: %v", err)
	}
	rec, err := p.store.Get(p.dir)
	if err != nil || rec == nil || rec.Pristine || rec.Runner != nil {
		t.Errorf("record after the failed install in the prepared tree: %+v (%v), want kept, not pristine, no runner", rec, err)
	}
	res := p.mustInstall(o) // FailAfterRegister fails one registration
	if res.Status != "online" {
		t.Errorf("install after: %+v", res)
	}
	if fi, err := os.Stat(p.dir); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("runner directory mode %v (%v), want 0755 again", fi.Mode(), err)
	}
}

// --ca-file goes into the OS trust store (the runner and jobs' tools
// trust only that) before config.sh, is recorded, and leaves with the
// last runner that needs it.
func TestPipelineCAFileInTheOSTrustStore(t *testing.T) {
	p := newPipe(t)
	ts := newFakeTrust()
	p.deps.Trust = ts
	o := p.options("pipe-ca")
	o.CAFile = "ca:0123"
	p.mustInstall(o)
	rec, err := p.store.Get(p.dir)
	if err != nil || rec == nil || rec.CA == nil || rec.CA.SHA256 != "0123" || rec.CA.Installed == "" || len(ts.adds) != 1 {
		t.Fatalf("record %+v (%v), adds %q: want the CA installed and recorded", rec, err, ts.adds)
	}
	if _, err := Uninstall(context.Background(), p.deps, UninstallOptions{Dir: p.dir}); err != nil {
		t.Fatal(err)
	}
	if len(ts.removes) != 1 || len(ts.store) != 0 {
		t.Errorf("after the last uninstall: removes %q, store %v; want the CA removed", ts.removes, ts.store)
	}

	// Registered again (the server lost it) without the CA: the old CA
	// leaves the OS trust store.
	res := p.mustInstall(o)
	if err := p.api.DeleteRunner(context.Background(), res.ID); err != nil {
		t.Fatal(err)
	}
	o.CAFile = ""
	p.mustInstall(o)
	if len(ts.store) != 0 || len(ts.removes) != 2 {
		t.Errorf("after a re-registration without --ca-file: removes %q, store %v; want the old CA removed", ts.removes, ts.store)
	}
}
