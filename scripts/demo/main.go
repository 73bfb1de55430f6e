// Command demo walks through runnerctl's whole lifecycle against the
// built-in simulated GitHub (bootstrap/github/githubtest) and the fake
// runner package (bootstrap/runner/runnertest), in temporary directories,
// with no network and no root: `make demo`. It narrates each step and
// shows the commands it runs.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/bootstrap/runner/runnertest"
	"github.com/runnerctl/runnerctl/platform"
)

func main() {
	bin := flag.String("runnerctl", "./runnerctl", "the runnerctl binary")
	flag.Parse()
	if err := demo(*bin); err != nil {
		fmt.Fprintln(os.Stderr, "demo: FAILED:", err)
		os.Exit(1)
	}
}

type env struct {
	bin, url, work string
	srv            *githubtest.Server
}

func say(format string, args ...any) { fmt.Printf("\n\033[1m== "+format+"\033[0m\n", args...) }

// runnerctl runs the binary, echoing the command and its output.
func (e env) runnerctl(args ...string) (string, error) {
	fmt.Printf("$ runnerctl %s\n", strings.Join(args, " "))
	cmd := exec.Command(e.bin, args...)
	cmd.Env = e.environ()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	for _, l := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		if !strings.Contains(l, "msg=downloading ") { // progress lines
			fmt.Println("  " + l)
		}
	}
	return out.String(), err
}

func (e env) environ() []string {
	return append(os.Environ(),
		"RUNNERCTL_ACCESS_TOKEN="+githubtest.Token,
		"RUNNERCTL_CACHE_DIR="+filepath.Join(e.work, "cache"),
		"RUNNERCTL_STATE_DIR="+filepath.Join(e.work, "state"),
		"RUNNERCTL_LOG_FORMAT=text")
}

func (e env) waitStatus(name, want string) (time.Duration, error) {
	return e.waitFor(name, want, func(githubtest.Runner) bool { return true })
}

// waitFor waits (20 s) until the runner named name has status want and ok holds.
func (e env) waitFor(name, want string, ok func(githubtest.Runner) bool) (time.Duration, error) {
	start := time.Now()
	for time.Since(start) < 20*time.Second {
		for _, r := range e.srv.Runners("repos/acme/app") {
			if r.Name == name && r.Status == want && ok(r) {
				return time.Since(start), nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return 0, fmt.Errorf("runner %s did not become %s", name, want)
}

// expect fails the demo when out does not contain want.
func expect(step, out, want string) error {
	if !strings.Contains(out, want) {
		return fmt.Errorf("%s: the output does not say %q", step, want)
	}
	return nil
}

func demo(bin string) error {
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%s: build it first (make build): %w", bin, err)
	}
	bin, _ = filepath.Abs(bin)
	work, err := os.MkdirTemp("", "runnerctl-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	say("Setting up: the simulated GitHub (fake GHES on loopback) and a fake actions/runner package")
	pkg, err := runnertest.Build(context.Background(), work, runnertest.Options{})
	if err != nil {
		return err
	}
	data, err := os.ReadFile(pkg.Path)
	if err != nil {
		return err
	}
	srv := githubtest.New()
	defer srv.Close()
	srv.SetHeartbeat(250 * time.Millisecond)
	origin := githubtest.NewOrigin()
	defer origin.Close()
	osName, arch, err := platform.PackagePlatform("", "")
	if err != nil {
		return err
	}
	srv.SetDownloads([]githubtest.Download{origin.Publish(osName, arch, pkg.Filename, data, "tmp-download-token")})
	e := env{bin: bin, url: srv.URL + "/acme/app", work: work, srv: srv}
	fmt.Printf("fake GHES: %s (repository acme/app), package %s (%d KB, sha256 %.12s…)\n", srv.URL, pkg.Filename, len(data)/1024, pkg.SHA256)
	fmt.Println("the PAT is passed in RUNNERCTL_ACCESS_TOKEN, never as a flag; work dir", work)

	say("1. What the server offers")
	if _, err := e.runnerctl("downloads", "--url", e.url); err != nil {
		return err
	}

	dir := filepath.Join(work, "actions-runner")
	say("2. install: download + verify + extract, config.sh (token only in ACTIONS_RUNNER_INPUT_TOKEN), trusted record outside the runner directory")
	fmt.Println("(without root there is no OS service: --no-service, and `runnerctl run` below plays the service's part;")
	fmt.Println(" as root, install also installs and starts a systemd/SysV/launchd/Windows service that runs `runnerctl run`)")
	install := []string{"install", "--url", e.url, "--name", "demo-1", "--labels", "gpu,big", "--dir", dir, "--no-service", "--allow-root"}
	if _, err := e.runnerctl(install...); err != nil {
		return err
	}

	say("3. run: the supervisor starts bin/Runner.Listener in its own process group; the server shows it online")
	run := exec.Command(bin, "run", "--dir", dir)
	run.Env = e.environ()
	var runLog bytes.Buffer
	run.Stdout, run.Stderr = &runLog, &runLog
	fmt.Printf("$ runnerctl run --dir %s &\n", dir)
	if err := run.Start(); err != nil {
		return err
	}
	defer func() { _ = run.Process.Kill() }()
	took, err := e.waitStatus("demo-1", "online")
	if err != nil {
		return err
	}
	fmt.Printf("online %s after starting run\n", took.Round(time.Millisecond))
	if _, err := e.runnerctl("runners", "list", "--url", e.url); err != nil {
		return err
	}

	say("4. The same install again changes nothing")
	out, err := e.runnerctl(install...)
	if err != nil {
		return err
	}
	if err := expect("install again", out, "already installed runner demo-1"); err != nil {
		return err
	}
	if n := len(srv.Runners("repos/acme/app")); n != 1 {
		return fmt.Errorf("install again: %d runners on the server, want 1", n)
	}

	say("5. status: local state, package version and the server's view")
	if out, err = e.runnerctl("status", "--all"); err != nil {
		return err
	}
	for _, want := range []string{"demo-1", "online"} {
		if err := expect("status", out, want); err != nil {
			return err
		}
	}

	say("6. The listener dies (SIGKILL): the supervisor brings it back")
	if err := killListener(dir); err != nil {
		return err
	}
	if _, err := e.waitStatus("demo-1", "offline"); err != nil {
		return err
	}
	fmt.Println("server: demo-1 offline")
	if took, err = e.waitStatus("demo-1", "online"); err != nil {
		return err
	}
	fmt.Printf("server: demo-1 online again after %s\n", took.Round(time.Millisecond))

	say("7. A job arrives: the runner is busy, then idle again")
	srv.QueueJob("repos/acme/app", "demo-1")
	if _, err := e.waitFor("demo-1", "online", func(r githubtest.Runner) bool { return r.Busy }); err != nil {
		return fmt.Errorf("the job: %w", err)
	}
	fmt.Println("server: demo-1 online, busy")
	if _, err := e.waitFor("demo-1", "online", func(r githubtest.Runner) bool { return !r.Busy }); err != nil {
		return fmt.Errorf("the job did not finish: %w", err)
	}
	fmt.Println("server: demo-1 online, idle")

	say("8. uninstall: the registration deleted by its recorded id, directory, record; the listener sees it is gone and run exits 0")
	if _, err := e.runnerctl("uninstall", "--dir", dir); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- run.Wait() }()
	select {
	case err := <-done:
		fmt.Printf("runnerctl run exited: %v\n", errOrOK(err))
		if err != nil {
			return fmt.Errorf("runnerctl run: want exit 0 after uninstall, got %v", err)
		}
	case <-time.After(15 * time.Second):
		return fmt.Errorf("runnerctl run did not stop")
	}
	fmt.Println("--- what `runnerctl run` logged (the service's journal) ---")
	fmt.Print(indent(runLog.String()))
	if _, err := e.runnerctl("runners", "list", "--url", e.url); err != nil {
		return err
	}
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("%s is still there", dir)
	}
	if n := len(srv.Runners("repos/acme/app")); n != 0 {
		return fmt.Errorf("%d runners left on the server", n)
	}

	say("9. A failure rolls back: a name the server refuses → exit 6, nothing left")
	srv.RefuseName("bad-name", "reserved by policy")
	_, err = e.runnerctl("install", "--url", e.url, "--name", "bad-name", "--dir", dir, "--no-service", "--allow-root")
	var ee *exec.ExitError
	if err == nil || !asExit(err, &ee) || ee.ExitCode() != 6 {
		return fmt.Errorf("refused name: want exit 6, got %v", err)
	}
	left, runners := exists(dir), len(srv.Runners("repos/acme/app"))
	fmt.Printf("exit %d; directory left: %v; runners on the server: %d\n", ee.ExitCode(), left, runners)
	if left || runners != 0 {
		return fmt.Errorf("the rollback left the directory (%v) or %d runners on the server", left, runners)
	}

	say("Done: the whole lifecycle ran against the simulated GitHub, with no network and no root")
	return nil
}

func asExit(err error, ee **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	*ee = e
	return ok
}

func errOrOK(err error) string {
	if err == nil {
		return "exit 0"
	}
	return err.Error()
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if strings.TrimSpace(l) != "" {
			b.WriteString("  " + l + "\n")
		}
	}
	return b.String()
}

// killListener SIGKILLs the listener of dir, found through /proc.
func killListener(dir string) error {
	want := filepath.Join(dir, "bin", "Runner.Listener")
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil || exe != want {
			continue
		}
		var pid int
		fmt.Sscan(e.Name(), &pid)
		fmt.Printf("$ kill -9 %d   # bin/Runner.Listener\n", pid)
		p, err := os.FindProcess(pid)
		if err != nil {
			return err
		}
		return p.Kill()
	}
	return fmt.Errorf("no listener process found for %s (the demo finds it through /proc, Linux only)", dir)
}
