//go:build linux

package runnertest_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/bootstrap/runner/runnertest"
	"github.com/runnerctl/runnerctl/platform/platformtest/winetest"
)

// winRunner is an unzipped fake Windows package in a Wine prefix.
type winRunner struct {
	t   *testing.T
	ctx context.Context
	p   *winetest.Prefix
	dir string
}

// cmd runs a .cmd script of the package through cmd.exe /c, cwd the
// runner root, with extra environment.
func (w winRunner) cmd(env []string, script string, args ...string) (string, int) {
	w.t.Helper()
	c := w.p.Command(w.ctx, "cmd.exe", append([]string{"/c", w.p.WinPath(filepath.Join(w.dir, script))}, args...)...)
	return w.run(c, env)
}

// exe runs bin\Runner.Listener.exe directly.
func (w winRunner) exe(env []string, args ...string) (string, int) {
	w.t.Helper()
	return w.run(w.p.Command(w.ctx, filepath.Join(w.dir, "bin", "Runner.Listener.exe"), args...), env)
}

func (w winRunner) run(c *exec.Cmd, env []string) (string, int) {
	w.t.Helper()
	c.Dir = w.dir
	c.Env = append(c.Env, env...)
	out, err := c.CombinedOutput()
	if w.ctx.Err() != nil {
		w.t.Fatalf("%s timed out: %s", c.Args, out)
	}
	return strings.ReplaceAll(string(out), "\r\n", "\n"), exitCode(err)
}

// workersLeft lists the Wine processes still running a Runner.Worker.exe
// of dir (worker or step: the same program), from /proc.
func workersLeft(dir string) []string {
	var left []string
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, _ := os.ReadFile(p)
		s := string(bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
		if strings.Contains(s, strings.ReplaceAll(dir, "/", `\`)+`\bin\Runner.Worker.exe`) {
			left = append(left, s)
		}
	}
	return left
}

// unzip extracts the package into dir (archive/zip: the unzip tool is
// one more package to install) and returns its files, sorted.
func unzip(t *testing.T, pkg, dir string) []string {
	t.Helper()
	zr, err := zip.OpenReader(pkg)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var files []string
	for _, f := range zr.File {
		if !filepath.IsLocal(f.Name) {
			t.Fatalf("zip entry %q outside the root", f.Name)
		}
		target := filepath.Join(dir, filepath.FromSlash(f.Name))
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(target, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		files = append(files, f.Name)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(target, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(files)
	return files
}

// buildWin builds the Windows package, checks its name and entries, and
// unzips it into a new directory. It skips without the zip tool (fails
// under CI, which installs it).
func buildWin(t *testing.T, ctx context.Context) (runnertest.Package, string) {
	t.Helper()
	if _, err := exec.LookPath("zip"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("no zip tool (CI installs zip)")
		}
		t.Skip("skipped: no zip tool to pack the Windows package")
	}
	pkg, err := runnertest.Build(ctx, t.TempDir(), runnertest.Options{GOOS: "windows", GOARCH: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	if pkg.Filename != "actions-runner-win-x64-2.336.0.zip" {
		t.Errorf("package name %s", pkg.Filename)
	}
	dir := t.TempDir()
	files := unzip(t, pkg.Path, dir)
	want := []string{"bin/Runner.Listener.exe", "bin/Runner.Worker.exe", "config.cmd", "externals/node20/node.exe", "run-helper.cmd.template", "run.cmd"}
	if !slices.Equal(files, want) {
		t.Errorf("zip entries %q, want %q", files, want)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "config.cmd")); !bytes.Contains(b, []byte("\r\n")) || regexp.MustCompile(`(?im)^\s*powershell`).Match(b) {
		t.Errorf("config.cmd: want CRLF lines and no powershell command:\n%s", b)
	}
	return pkg, dir
}

// The Windows package's layout, and what it refuses, without Wine.
func TestFakeWindowsPackageLayout(t *testing.T) {
	pkg, dir := buildWin(t, context.Background())
	if err := runnertest.RequestUpdate(dir, runnertest.Package{Version: "2.336.1"}); err == nil || !strings.Contains(err.Error(), "Windows") {
		t.Errorf("RequestUpdate in a Windows runner directory: %v", err)
	}
	if err := runnertest.RequestUpdate(t.TempDir(), pkg); err == nil {
		t.Error("RequestUpdate accepted the Windows package")
	}
	for _, o := range []runnertest.Options{{GOOS: "windows", GOARCH: "arm"}, {GOOS: "windows", GOARCH: "amd64", MissingLibs: []string{"libicu"}}} {
		if _, err := runnertest.Build(context.Background(), t.TempDir(), o); err == nil {
			t.Errorf("Build(%+v) made a package", o)
		}
	}
}

// The Windows package under Wine: zipped like the real one, configured
// through config.cmd against the fake GHES (prompts without --unattended,
// the token only in the environment), .env read by the listener itself,
// online while Runner.Listener.exe runs, a Ctrl-C during a job cancels it
// through the Runner.Worker.exe child and the listener exits 0; remove is
// refused while .service names a service (strict about that name), and
// works without it; run.cmd hides the exit code.
func TestFakeWindowsPackageUnderWine(t *testing.T) {
	start := time.Now()
	p := winetest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	_, dir := buildWin(t, ctx)
	t.Logf("prefix and package: %v", time.Since(start).Round(10*time.Millisecond))
	srv := githubtest.New()
	t.Cleanup(srv.Close)
	srv.SetHeartbeat(100 * time.Millisecond)
	w := winRunner{t: t, ctx: ctx, p: p, dir: dir}
	url := srv.URL + "/acme/app"
	tokenEnv := "ACTIONS_RUNNER_INPUT_TOKEN=" + mint(t, srv, "registration")

	// Without --unattended the token is asked for, and cannot be read
	// from a stdin that is not a console.
	out, code := w.cmd(nil, "config.cmd", "--url", url)
	if code != 1 || !strings.Contains(out, "What is your runner register token?") || !strings.Contains(out, "console input has been redirected") {
		t.Fatalf("config.cmd without a token: %d %q", code, out)
	}
	step := time.Now()
	out, code = w.cmd([]string{tokenEnv}, "config.cmd", "--unattended", "--url", url, "--name", "win-1", "--labels", "gpu,,big")
	if code != 0 {
		t.Fatalf("config.cmd: %d\n%s", code, out)
	}
	t.Logf("config.cmd: %v", time.Since(step).Round(time.Millisecond))
	b, err := os.ReadFile(filepath.Join(dir, ".runner"))
	if err != nil || !bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}) {
		t.Fatalf(".runner without BOM: %q %v", b, err)
	}
	var st struct{ AgentName string }
	if err := json.Unmarshal(b[3:], &st); err != nil || st.AgentName != "win-1" {
		t.Fatalf(".runner: %s %v", b, err)
	}
	for _, f := range []string{".path", ".env"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s written: the Windows package has no env.sh", f)
		}
	}
	if r := waitStatus(t, srv, "win-1", "offline"); strings.Join(r.Labels, "|") != "gpu|big" {
		t.Errorf("labels %q", r.Labels)
	}
	if out, code := w.cmd([]string{tokenEnv}, "config.cmd", "--unattended", "--url", url); code != 1 || !strings.Contains(out, "already configured") {
		t.Fatalf("second configure: %d %q", code, out)
	}

	// .env is read by the listener itself, untrimmed.
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(" SPACED=1\r\nKEEP= v \r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runnertest.SetKnob(dir, runnertest.DumpEnvFile, " SPACED\nKEEP\n"); err != nil {
		t.Fatal(err)
	}
	if out, code := w.exe(nil, "warmup"); code != 0 {
		t.Fatalf("warmup: %d %s", code, out)
	}
	dump, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(runnertest.EnvDumpFile)))
	for _, want := range []string{`" SPACED" set=true value="1"`, `"KEEP" set=true value=" v "`} {
		if !strings.Contains(string(dump), want) {
			t.Errorf("environment after .env: want %s in\n%s", want, dump)
		}
	}

	// Ctrl-C during a job, as the service's stop sends it: the worker
	// cancels the job (taking the cancel time), the listener exits 0.
	const cancelTime = 1500 * time.Millisecond
	if err := runnertest.SetKnob(dir, runnertest.JobSecondsFile, "600"); err != nil {
		t.Fatal(err)
	}
	if err := runnertest.SetKnob(dir, runnertest.CancelSecondsFile, "1.5"); err != nil {
		t.Fatal(err)
	}
	step = time.Now()
	c := p.Console(t, ctx, filepath.Join(dir, "bin", "Runner.Listener.exe"), "run", "--startuptype", "service")
	c.Dir = dir
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, srv, "win-1", "online")
	t.Logf("listener online: %v", time.Since(step).Round(time.Millisecond))
	srv.QueueJob("repos/acme/app", "win-1")
	waitGlob(t, filepath.Join(dir, "_diag", "Worker_*.log"))
	if len(workersLeft(dir)) < 2 {
		t.Errorf("want Runner.Worker.exe as worker and step, running: %q", workersLeft(dir))
	}
	sent := time.Now()
	if err := c.CtrlC(); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(c.Wait()); code != 0 {
		t.Fatalf("listener exit %d after Ctrl-C\n%s", code, c.Output())
	}
	took := time.Since(sent)
	t.Logf("Ctrl-C to listener exit: %v", took.Round(time.Millisecond))
	if took < cancelTime || took > 15*time.Second {
		t.Errorf("the stop took %v, want the worker's cancel time %v and a few seconds at most\n%s", took, cancelTime, c.Output())
	}
	if !strings.Contains(c.Output(), "completed with result: Cancelled") {
		t.Errorf("the job was not cancelled:\n%s", c.Output())
	}
	for deadline := time.Now().Add(5 * time.Second); len(workersLeft(dir)) > 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if left := workersLeft(dir); len(left) > 0 {
		t.Errorf("Runner.Worker.exe still running after the listener exited: %q", left)
	}
	for _, r := range srv.Runners("repos/acme/app") {
		if r.Name == "win-1" && r.Busy {
			t.Errorf("the cancelled job was not reported: %+v", r)
		}
	}
	waitStatus(t, srv, "win-1", "offline")

	// remove: refused while .service names a service, and .service is
	// the bare name: a newline would be part of the name.
	rmEnv := []string{"ACTIONS_RUNNER_INPUT_TOKEN=" + mint(t, srv, "remove")}
	svc := filepath.Join(dir, ".service")
	if err := os.WriteFile(svc, []byte("actions.runner.acme-app.win-1\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := w.cmd(rmEnv, "config.cmd", "remove"); code != 1 || !strings.Contains(out, `.service holds "actions.runner.acme-app.win-1\r\n"`) {
		t.Fatalf("remove with a newline in .service: %d %q", code, out)
	}
	if err := os.WriteFile(svc, []byte("actions.runner.acme-app.win-1"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := w.cmd(rmEnv, "config.cmd", "remove"); code != 1 || !strings.Contains(out, `uninstall the Windows service "actions.runner.acme-app.win-1"`) {
		t.Fatalf("remove with .service: %d %q", code, out)
	}
	if err := os.Remove(svc); err != nil {
		t.Fatal(err)
	}
	if out, code := w.cmd(rmEnv, "config.cmd", "remove"); code != 0 {
		t.Fatalf("remove: %d %q", code, out)
	}
	if rs := srv.Runners("repos/acme/app"); len(rs) != 0 {
		t.Errorf("runner still on the server: %+v", rs)
	}
	if _, err := os.Stat(filepath.Join(dir, ".runner")); err == nil {
		t.Error(".runner left after remove")
	}

	// run.cmd hides the exit code: unconfigured, the listener exits 1 and
	// run-helper.cmd maps that to 0.
	out, code = w.cmd(nil, "run.cmd")
	if strings.Contains(out, "Can't recognize") {
		// Seen once in many runs on a loaded machine: Wine's cmd.exe
		// reports any CreateProcess failure so (errorlevel 9009), and the
		// same line worked in every other run. Once more, then judge.
		t.Logf("run.cmd: Wine's cmd.exe could not start the listener; again:\n%s", out)
		out, code = w.cmd(nil, "run.cmd")
	}
	if code != 0 || !strings.Contains(out, "Runner listener exit with terminated error") {
		t.Errorf("run.cmd unconfigured: %d %q", code, out)
	}
	t.Logf("whole test: %v", time.Since(start).Round(10*time.Millisecond))
}
