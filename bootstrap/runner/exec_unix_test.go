//go:build !windows

package runner

// Exec against the fake runner package of runnertest (its config.sh and
// listener keep the real contract) registering with the fake GHES. The
// scripts run as ourselves; as root with AllowRoot, as the real config.sh
// demands. The package is built with the go tool, or taken from
// RUNNERCTL_TEST_RUNNER_PACKAGE (a prebuilt one, for a test binary run
// away from the module).

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/github"
	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/bootstrap/runner/runnertest"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
	"github.com/runnerctl/runnerctl/platform/platformtest"
)

var fakePkg struct {
	once sync.Once
	path string
	err  error
	skip string
	tmp  string
}

// fakePackage returns the path of the fake runner package (.tar.gz).
func fakePackage(t *testing.T) string {
	t.Helper()
	fakePkg.once.Do(func() {
		if p := os.Getenv("RUNNERCTL_TEST_RUNNER_PACKAGE"); p != "" {
			fakePkg.path = p
			return
		}
		for _, tool := range []string{"go", "tar"} {
			if _, err := exec.LookPath(tool); err != nil {
				fakePkg.skip = "skipped: " + tool + " is not on PATH, so the fake runner package cannot be built (or set RUNNERCTL_TEST_RUNNER_PACKAGE)"
				return
			}
		}
		if fakePkg.tmp, fakePkg.err = os.MkdirTemp("", "runnerctl-runner-test-"); fakePkg.err != nil {
			return
		}
		var pkg runnertest.Package
		pkg, fakePkg.err = runnertest.Build(context.Background(), fakePkg.tmp, runnertest.Options{})
		fakePkg.path = pkg.Path
	})
	if fakePkg.skip != "" {
		t.Skip(fakePkg.skip)
	}
	if fakePkg.err != nil {
		t.Fatalf("fake runner package: %v", fakePkg.err)
	}
	return fakePkg.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fakePkg.tmp != "" {
		os.RemoveAll(fakePkg.tmp)
	}
	os.Exit(code)
}

// extracted unpacks the fake package into a fresh runner directory.
func extracted(t *testing.T) string {
	t.Helper()
	pkg := fakePackage(t)
	dir := filepath.Join(t.TempDir(), "runner")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("tar", "-xzf", pkg, "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	return dir
}

// mint asks the fake for a registration or remove token with the PAT,
// through runnerctl's own client.
func mint(t *testing.T, srv *githubtest.Server, kind string) string {
	t.Helper()
	tgt, err := github.ParseTarget(srv.URL+"/acme/app", "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := github.New(github.Options{Target: tgt, Token: secret.New(githubtest.Token), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	get := c.RemoveToken
	if kind == "registration" {
		get = c.RegistrationToken
	}
	tok, err := get(context.Background())
	if err != nil {
		t.Fatalf("mint %s token: %v", kind, err)
	}
	return tok.Value.Reveal()
}

func newExec(dir string) (Exec, *platformtest.Buffer) {
	lb := &platformtest.Buffer{}
	// As root the fake config.sh, like the real one, needs RUNNER_ALLOW_RUNASROOT.
	return Exec{Dir: dir, AllowRoot: true, Log: slog.New(slog.NewTextHandler(lb, nil))}, lb
}

// invocations reads the fake listener's _diag/Runner_invocations.log:
// one line per start with its argv and the names of its environment.
func invocations(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "_diag", "Runner_invocations.log"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// envNames returns the environment names of an invocation line.
func envNames(line string) []string {
	_, env, _ := strings.Cut(line, " env=")
	return strings.Split(env, ",")
}

// Configure runs config.sh in the runner directory with the flags of the
// Config and the token only in ACTIONS_RUNNER_INPUT_TOKEN; the runner is
// registered and .runner is written, readable by ReadSettings.
func TestExecConfigure(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	dir := extracted(t)
	// Our own credentials and settings must not reach the scripts.
	t.Setenv("GITHUB_TOKEN", "ghp_ours")
	t.Setenv("RUNNERCTL_ACCESS_TOKEN", "ghp_ours_too")
	t.Setenv("ACTIONS_RUNNER_INPUT_NAME", "smuggled")
	ex, logs := newExec(dir)
	tok := mint(t, srv, "registration")
	cfg := Config{URL: srv.URL + "/acme/app", Name: "exec-1", Labels: []string{"gpu"}, Work: "_w"}
	if err := ex.Configure(context.Background(), cfg, secret.New(tok)); err != nil {
		t.Fatalf("configure: %v\nlog:\n%s", err, logs)
	}

	rs := srv.Runners("repos/acme/app")
	if len(rs) != 1 || rs[0].Name != "exec-1" || strings.Join(rs[0].Labels, ",") != "gpu" {
		t.Fatalf("server runners %+v, want exec-1 with label gpu", rs)
	}
	s, err := ReadSettings(dir)
	if err != nil || s == nil || s.AgentID != rs[0].ID || s.AgentName != "exec-1" || s.WorkFolder != "_w" || s.GitHubURL != cfg.URL {
		t.Fatalf("settings %+v, %v", s, err)
	}

	inv := invocations(t, dir)
	if len(inv) != 1 {
		t.Fatalf("%d listener invocations, want 1: %q", len(inv), inv)
	}
	line := inv[0]
	if strings.Contains(line, tok) {
		t.Errorf("the token is on the listener's command line: %s", line)
	}
	wantArgv, _ := cfg.Args()
	if !strings.Contains(line, `argv=["configure" "`+strings.Join(wantArgv, `" "`)+`"]`) {
		t.Errorf("listener argv: %s\nwant configure %q", line, wantArgv)
	}
	names := envNames(line)
	has := func(n string) bool {
		for _, x := range names {
			if x == n {
				return true
			}
		}
		return false
	}
	// The listener removes ACTIONS_RUNNER_INPUT_* from its own environment
	// after reading them (as the real one does), so the diag line shows the
	// names it was started with.
	if !has("ACTIONS_RUNNER_INPUT_TOKEN") {
		t.Errorf("ACTIONS_RUNNER_INPUT_TOKEN not in the listener's environment: %q", names)
	}
	if !has("RUNNER_ALLOW_RUNASROOT") {
		t.Errorf("RUNNER_ALLOW_RUNASROOT not set with AllowRoot: %q", names)
	}
	for _, n := range []string{"GITHUB_TOKEN", "RUNNERCTL_ACCESS_TOKEN", "ACTIONS_RUNNER_INPUT_NAME"} {
		if has(n) {
			t.Errorf("%s reached the listener", n)
		}
	}
	if strings.Contains(logs.String(), tok) {
		t.Errorf("the token is in the log:\n%s", logs)
	}
	if !strings.Contains(logs.String(), "config.sh: ") {
		t.Errorf("config.sh's output is not in the log:\n%s", logs)
	}

	// Remove with a remove token: the registration and the local config go.
	rtok := mint(t, srv, "remove")
	if err := ex.Remove(context.Background(), secret.New(rtok)); err != nil {
		t.Fatalf("remove: %v\nlog:\n%s", err, logs)
	}
	if rs := srv.Runners("repos/acme/app"); len(rs) != 0 {
		t.Errorf("server still holds %+v", rs)
	}
	if s, err := ReadSettings(dir); s != nil || err != nil {
		t.Errorf("settings after remove: %+v, %v", s, err)
	}
	inv = invocations(t, dir)
	if len(inv) != 2 || strings.Contains(inv[1], rtok) || !strings.Contains(inv[1], `argv=["remove"]`) {
		t.Errorf("remove invocation %q: want argv [remove] without the token", inv[1:])
	}
}

// A config.sh that fails is a runner configuration failure (exit 6) that
// quotes its last lines, never the token.
func TestExecConfigureFails(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	ex, _ := newExec(extracted(t))
	srv.RefuseName("bad-1", "names starting with bad- are reserved")
	tok := mint(t, srv, "registration")
	err := ex.Configure(context.Background(), Config{URL: srv.URL + "/acme/app", Name: "bad-1"}, secret.New(tok))
	if failure.KindOf(err) != failure.RunnerConfig {
		t.Fatalf("configure: %v, want a runner configuration failure", err)
	}
	for _, want := range []string{"register the runner: config.sh exited 1", "not allowed: names starting with bad- are reserved"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), tok) {
		t.Error("the token is in the error")
	}

	// A token that is not one: refused by the server, same kind.
	err = ex.Configure(context.Background(), Config{URL: srv.URL + "/acme/app", Name: "ok-1"}, secret.New("not-a-token"))
	if failure.KindOf(err) != failure.RunnerConfig || !strings.Contains(err.Error(), "401") {
		t.Errorf("configure with a bad token: %v, want a runner configuration failure quoting the 401", err)
	}
	if len(srv.Runners("repos/acme/app")) != 0 {
		t.Error("a runner was registered")
	}
}

// An invalid Config is refused before config.sh runs.
func TestExecConfigureValidatesFirst(t *testing.T) {
	dir := extracted(t)
	ex, _ := newExec(dir)
	err := ex.Configure(context.Background(), Config{URL: "https://github.com/acme/app", Name: "-x"}, secret.New("tok"))
	if failure.KindOf(err) != failure.Usage {
		t.Fatalf("configure: %v, want a usage error", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "_diag", "Runner_invocations.log")); err == nil {
		t.Error("config.sh ran for an invalid config")
	}
}

// config.sh remove refuses while the service marker is there (the runner
// contract: "Uninstall service first"): a runner configuration failure.
func TestExecRemoveRefusedWithServiceMarker(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	dir := extracted(t)
	ex, _ := newExec(dir)
	if err := ex.Configure(context.Background(), Config{URL: srv.URL + "/acme/app", Name: "svc-1"}, secret.New(mint(t, srv, "registration"))); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ServiceMarker), []byte("actions.runner.acme-app.svc-1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := ex.Remove(context.Background(), secret.New(mint(t, srv, "remove")))
	if failure.KindOf(err) != failure.RunnerConfig || !strings.Contains(err.Error(), "Uninstall service first") {
		t.Fatalf("remove: %v, want a refusal quoting config.sh", err)
	}
	if len(srv.Runners("repos/acme/app")) != 1 {
		t.Error("the registration went although config.sh refused")
	}
}

// As root, config.sh refuses to run without RUNNER_ALLOW_RUNASROOT: Exec
// passes it only with AllowRoot.
func TestExecAsRootNeedsAllowRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: config.sh's root refusal needs root")
	}
	srv := githubtest.New()
	defer srv.Close()
	dir := extracted(t)
	ex, _ := newExec(dir)
	ex.AllowRoot = false
	err := ex.Configure(context.Background(), Config{URL: srv.URL + "/acme/app", Name: "root-1"}, secret.New(mint(t, srv, "registration")))
	if failure.KindOf(err) != failure.RunnerConfig || !strings.Contains(err.Error(), "Must not run with sudo") {
		t.Fatalf("configure as root without AllowRoot: %v, want config.sh's refusal", err)
	}
}

// A script that cannot be started (no package there) is not a config.sh
// exit: it says what could not be started.
func TestExecWithoutPackage(t *testing.T) {
	ex, _ := newExec(t.TempDir())
	err := ex.Remove(context.Background(), secret.New("tok"))
	if err == nil || failure.KindOf(err) == failure.RunnerConfig || !strings.Contains(err.Error(), "remove the runner: start ") {
		t.Fatalf("remove with no package: %v", err)
	}
}
