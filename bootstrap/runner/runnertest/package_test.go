package runnertest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/bootstrap/runner/runnertest"
)

// mint asks the fake for a registration or remove token with the PAT.
func mint(t *testing.T, srv *githubtest.Server, kind string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.APIURL()+"/repos/acme/app/actions/runners/"+kind+"-token", nil)
	req.Header.Set("Authorization", "Bearer "+githubtest.Token)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", githubtest.SupportedAPIVersion)
	resp, err := srv.Client().Do(req) // trusts the fake's certificate when it serves TLS
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.Token == "" {
		t.Fatalf("mint %s token: HTTP %d, %v", kind, resp.StatusCode, err)
	}
	return tok.Token
}

// extract unpacks the package with the real tar.
func extract(t *testing.T, pkg runnertest.Package) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("tar", "-xzf", pkg.Path, "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	return dir
}

// script runs a script of the package with cwd = dir and extra env.
func script(dir string, env []string, args ...string) (string, int) {
	cmd := exec.Command(filepath.Join(dir, args[0]), args[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		code = -1
	}
	return string(out), code
}

func waitStatus(t *testing.T, srv *githubtest.Server, name, want string) githubtest.Runner {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, r := range srv.Runners("repos/acme/app") {
			if r.Name == name && r.Status == want {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("runner %s never became %s: %+v", name, want, srv.Runners("repos/acme/app"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// setup builds the package, starts a fake GHES (100 ms heartbeats) and
// extracts the package into a fresh directory.
func setup(t *testing.T) (*githubtest.Server, string) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("skipped: the go tool is not on PATH, so the fake listener cannot be built")
	}
	pkg, err := runnertest.Build(context.Background(), t.TempDir(), runnertest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := githubtest.New()
	t.Cleanup(srv.Close)
	srv.SetHeartbeat(100 * time.Millisecond)
	return srv, extract(t, pkg)
}

func TestFakePackageLifecycle(t *testing.T) {
	srv, dir := setup(t)
	url := srv.URL + "/acme/app"
	root := os.Geteuid() == 0
	allow := []string{}
	if root {
		out, code := script(dir, nil, "config.sh", "--unattended", "--url", url)
		if code != 1 || !strings.Contains(out, "Must not run with sudo") {
			t.Fatalf("config.sh as root: code %d, %q", code, out)
		}
		allow = []string{"RUNNER_ALLOW_RUNASROOT=1"}
	}
	// --name=value is not understood, the token comes from the environment.
	env := append(allow, "ACTIONS_RUNNER_INPUT_TOKEN="+mint(t, srv, "registration"), "ACTIONS_RUNNER_INPUT_REPLACE=1", "LANG=C.UTF-8")
	out, code := script(dir, env, "config.sh", "--unattended", "--url", url, "--name", "ci-1", "--labels", "gpu,,big", "--name=ignored")
	if code != 0 {
		t.Fatalf("configure: %d\n%s", code, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, ".runner"))
	if err != nil || !bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}) {
		t.Fatalf(".runner without BOM: %q %v", b, err)
	}
	var st struct {
		AgentID   int64  `json:"agentId"`
		AgentName string `json:"agentName"`
	}
	if err := json.Unmarshal(b[3:], &st); err != nil || st.AgentName != "ci-1" {
		t.Fatalf(".runner: %s %v", b, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, ".credentials_rsaparams")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf(".credentials_rsaparams: %v %v", fi, err)
	}
	if envFile, _ := os.ReadFile(filepath.Join(dir, ".env")); !strings.Contains(string(envFile), "LANG=C.UTF-8") {
		t.Errorf(".env from env.sh: %q", envFile)
	}
	if p, _ := os.ReadFile(filepath.Join(dir, ".path")); len(p) == 0 {
		t.Error("env.sh wrote no .path")
	}
	r := waitStatus(t, srv, "ci-1", "offline")
	if len(r.Labels) != 2 || r.Labels[0] != "gpu" || r.Labels[1] != "big" {
		t.Errorf("labels %v", r.Labels)
	}
	// Configure again: already configured.
	if out, code := script(dir, env, "config.sh", "--unattended", "--url", url); code != 1 || !strings.Contains(out, "already configured") {
		t.Fatalf("second configure: %d %q", code, out)
	}

	// The listener heartbeats: online while it runs, exits 0 on SIGTERM.
	listener := exec.Command(filepath.Join(dir, "bin", "Runner.Listener"), "run", "--startuptype", "service")
	listener.Dir = dir
	var lout bytes.Buffer
	listener.Stdout, listener.Stderr = &lout, &lout
	if err := listener.Start(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, srv, "ci-1", "online")
	_ = listener.Process.Signal(syscall.SIGTERM)
	if err := listener.Wait(); err != nil {
		t.Fatalf("listener after SIGTERM: %v\n%s", err, lout.String())
	}
	waitStatus(t, srv, "ci-1", "offline")

	// The server asks for exit code 3 (self-update): the real exit code, and update.finished.
	listener = exec.Command(filepath.Join(dir, "bin", "Runner.Listener"), "run")
	listener.Dir = dir
	if err := listener.Start(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, srv, "ci-1", "online")
	srv.ExitNext("repos/acme/app", "ci-1", 3)
	if err := listener.Wait(); err == nil || err.(*exec.ExitError).ExitCode() != 3 {
		t.Fatalf("want exit 3, got %v", err)
	}
	// _update.sh swaps bin once the listener is gone, then touches update.finished.
	waitFile(t, filepath.Join(dir, "update.finished"))
	if v, code := script(dir, nil, "bin/Runner.Listener", "--version"); code != 0 || strings.TrimSpace(v) != "2.336.1" {
		t.Errorf("after the update the listener reports %q (%d), want 2.336.1", v, code)
	}

	// remove is refused while a service is installed.
	rmEnv := append(allow, "ACTIONS_RUNNER_INPUT_TOKEN="+mint(t, srv, "remove"))
	if err := os.WriteFile(filepath.Join(dir, ".service"), []byte("actions.runner.acme-app.ci-1.service"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := script(dir, rmEnv, "config.sh", "remove"); code != 1 || !strings.Contains(out, "Uninstall service first") {
		t.Fatalf("remove with .service: %d %q", code, out)
	}
	os.Remove(filepath.Join(dir, ".service"))
	if out, code := script(dir, rmEnv, "config.sh", "remove"); code != 0 {
		t.Fatalf("remove: %d %q", code, out)
	}
	if len(srv.Runners("repos/acme/app")) != 0 {
		t.Errorf("runner still on the server: %+v", srv.Runners("repos/acme/app"))
	}
	if _, err := os.Stat(filepath.Join(dir, ".runner")); err == nil {
		t.Error(".runner left after remove")
	}
	if _, err := os.Stat(filepath.Join(dir, ".env")); err != nil {
		t.Error("remove deleted .env (the real one leaves it)")
	}

	// run.sh hides the exit code: a listener that is not configured exits 1, run.sh 0.
	if out, code := script(dir, allow, "run.sh"); code != 0 || !strings.Contains(out, "terminated error") {
		t.Errorf("run.sh unconfigured: %d %q", code, out)
	}
}

func TestFakeEphemeralOneJob(t *testing.T) {
	srv, dir := setup(t)
	env := []string{"RUNNER_ALLOW_RUNASROOT=1", "ACTIONS_RUNNER_INPUT_TOKEN=" + mint(t, srv, "registration")}
	if out, code := script(dir, env, "config.sh", "--unattended", "--ephemeral", "--url", srv.URL+"/acme/app", "--name", "eph"); code != 0 {
		t.Fatalf("configure: %d %s", code, out)
	}
	if id := srv.QueueJob("repos/acme/app", "eph"); id == 0 {
		t.Fatal("no runner to give a job to")
	}
	out, code := script(dir, []string{"RUNNER_ALLOW_RUNASROOT=1"}, "bin/Runner.Listener", "run")
	if code != 0 || !strings.Contains(out, "completed with result: Succeeded") {
		t.Fatalf("ephemeral run: %d %s", code, out)
	}
	for _, f := range []string{".runner", ".credentials", ".credentials_rsaparams"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s left after the ephemeral job", f)
		}
	}
	if rs := srv.Runners("repos/acme/app"); len(rs) != 0 {
		t.Errorf("ephemeral runner still registered: %+v", rs)
	}
}
