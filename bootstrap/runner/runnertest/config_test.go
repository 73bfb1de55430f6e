//go:build !windows

package runnertest_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/runner/runnertest"
	"github.com/runnerctl/runnerctl/platform/platformtest"
)

// Without --unattended config.sh asks: a required value missing at end of
// input is asked again forever, the token (a secret) cannot be read from a
// stdin that is not a terminal, and values with defaults take them.
func TestFakeConfigPrompts(t *testing.T) {
	srv, dir := setup(t)
	url := srv.URL + "/acme/app"
	allow := []string{"RUNNER_ALLOW_RUNASROOT=1"}

	// No token: the secret prompt throws on a redirected stdin.
	out, code := script(dir, allow, "config.sh", "--url", url)
	if code != 1 || !strings.Contains(out, "What is your runner register token?") || !strings.Contains(out, "console input has been redirected") {
		t.Fatalf("no token, stdin not a terminal: %d %q", code, out)
	}

	// No URL: asked again and again; config.sh never ends on its own.
	cmd := exec.Command(filepath.Join(dir, "config.sh"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), allow...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	buf := &platformtest.Buffer{}
	cmd.Stdout, cmd.Stderr = buf, buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(20 * time.Second)
	for strings.Count(buf.String(), "What is the URL of your repository?") < 3 {
		select {
		case err := <-exited:
			t.Fatalf("config.sh without --url ended (%v) instead of asking again:\n%s", err, buf)
		case <-deadline:
			t.Fatalf("config.sh did not ask for the URL:\n%s", buf)
		case <-time.After(50 * time.Millisecond):
		}
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-exited

	// URL and token given: the rest is asked, and lines read from stdin
	// are trimmed as a whole (labels inside are not).
	c := exec.Command(filepath.Join(dir, "config.sh"), "--url", url)
	c.Dir = dir
	c.Env = append(os.Environ(), append(allow, "ACTIONS_RUNNER_INPUT_TOKEN="+mint(t, srv, "registration"))...)
	c.Stdin = strings.NewReader("\n  asked-1  \ngpu, big\n")
	b, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("configure from stdin: %v\n%s", err, b)
	}
	for _, q := range []string{"Enter the name of the runner group to add this runner to: [press Enter for Default]", "Enter the name of runner:", "Enter any additional labels", "Enter name of work folder: [press Enter for _work]"} {
		if !strings.Contains(string(b), q) {
			t.Errorf("not asked %q:\n%s", q, b)
		}
	}
	r := waitStatus(t, srv, "asked-1", "offline")
	if strings.Join(r.Labels, "|") != "gpu| big" {
		t.Errorf("labels read from stdin: %q", r.Labels)
	}
}

// Labels and .env are taken as written: no trimming.
func TestFakeNoTrimming(t *testing.T) {
	srv, dir := setup(t)
	env := []string{"RUNNER_ALLOW_RUNASROOT=1", "ACTIONS_RUNNER_INPUT_TOKEN=" + mint(t, srv, "registration")}
	if out, code := script(dir, env, "config.sh", "--unattended", "--url", srv.URL+"/acme/app", "--name", "trim", "--labels", "gpu, big ,,GPU, "); code != 0 {
		t.Fatalf("configure: %d %s", code, out)
	}
	r := waitStatus(t, srv, "trim", "offline")
	if got := strings.Join(r.Labels, "|"); got != "gpu| big | " {
		t.Errorf("labels %q, want gpu, \" big \", \" \" (untrimmed, GPU a duplicate)", got)
	}
	dotenv := "LANG=C.UTF-8\n SPACED=1\nKEEP= v \nEMPTY=\n=nokey\nCRLF=x\r\n"
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(dotenv), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runnertest.SetKnob(dir, runnertest.DumpEnvFile, " SPACED\nSPACED\nKEEP\nEMPTY\nCRLF\n"); err != nil {
		t.Fatal(err)
	}
	if out, code := script(dir, append(env, "EMPTY=was-set"), "bin/Runner.Listener", "warmup"); code != 0 {
		t.Fatalf("warmup: %d %s", code, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(runnertest.EnvDumpFile)))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`" SPACED" set=true value="1"`, `"SPACED" set=false`, `"KEEP" set=true value=" v "`, `"EMPTY" set=false`, `"CRLF" set=true value="x"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("environment after .env: want %s in\n%s", want, b)
		}
	}
}

// config.sh's dependency check refuses before registering and names
// bin/installdependencies.sh, which fixes it (as root).
func TestFakeConfigDependencyCheck(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("skipped: no go tool to build the fake listener")
	}
	pkg, err := runnertest.Build(context.Background(), t.TempDir(), runnertest.Options{MissingLibs: []string{"libicu"}})
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := setup(t)
	dir := extract(t, pkg)
	env := []string{"RUNNER_ALLOW_RUNASROOT=1", "ACTIONS_RUNNER_INPUT_TOKEN=" + mint(t, srv, "registration")}
	args := []string{"config.sh", "--unattended", "--url", srv.URL + "/acme/app", "--name", "deps"}
	const advice = "Execute sudo ./bin/installdependencies.sh to install any missing Dotnet Core 6.0 dependencies."
	out, code := script(dir, env, args...)
	if code != 1 || !strings.Contains(out, "Libicu's dependencies is missing for Dotnet Core 6.0\n"+advice) {
		t.Fatalf("libicu missing: %d %q", code, out)
	}
	if len(srv.Runners("repos/acme/app")) != 0 {
		t.Fatal("registered although the dependency check failed")
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", ".fake-missing-libs"), []byte("liblttng-ust.so.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = script(dir, env, args...)
	if code != 1 || !strings.Contains(out, "liblttng-ust.so.0 => not found\nDependencies is missing for Dotnet Core 6.0\n"+advice) {
		t.Fatalf("library missing: %d %q", code, out)
	}
	if os.Geteuid() != 0 {
		t.Skip("installdependencies.sh needs root")
	}
	if out, code := script(dir, nil, "bin/installdependencies.sh"); code != 0 || !strings.Contains(out, "Finish Install Dependencies") {
		t.Fatalf("installdependencies.sh: %d %q", code, out)
	}
	if out, code := script(dir, env, args...); code != 0 {
		t.Fatalf("configure after installdependencies.sh: %d %q", code, out)
	}
}
