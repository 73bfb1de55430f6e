package service

import (
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"howett.net/plist"

	"github.com/runnerctl/runnerctl/platform"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func spec() platform.ServiceSpec {
	return platform.ServiceSpec{
		Name: nameFor("acme-app", "ci 1", linuxRule()), DisplayName: DisplayName("acme-app", "ci 1"),
		Description: "GitHub Actions self-hosted runner ci 1, supervised by runnerctl",
		Executable:  "/usr/local/bin/runnerctl", Args: []string{"run", "--dir", "/opt/actions runner", "--service", nameFor("acme-app", "ci 1", linuxRule())},
		User: "runner", Dir: "/opt/actions runner",
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./service -run Render -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file:\n%s", name, got)
	}
}

func TestName(t *testing.T) {
	rules := map[string]nameRule{"linux": linuxRule(), "darwin": darwinRule(), "windows": windowsRule()}
	for _, c := range []struct{ scope, runner, goos, want string }{
		{"acme-app", "ci-1", "linux", "actions.runner.acme-app.ci-1"},
		{"acme", "ci 1", "darwin", "actions.runner.acme.ci_1"},
		{"enterprises-big", "a/b", "windows", "actions.runner.enterprises-big.a-b"},
	} {
		if got := nameFor(c.scope, c.runner, rules[c.goos]); got != c.want {
			t.Errorf("Name(%q, %q) on %s = %q, want %q", c.scope, c.runner, c.goos, got, c.want)
		}
	}
	long := strings.Repeat("r", 120)
	scope := strings.Repeat("o", 90)
	for goos, limit := range map[string]int{"linux": 150 - len(".service"), "darwin": 150, "windows": 80} {
		got := nameFor(scope, long, rules[goos])
		if len(got) > limit {
			t.Errorf("%s: %d characters > %d: %s", goos, len(got), limit, got)
		}
		if got != nameFor(scope, long, rules[goos]) {
			t.Errorf("%s: the truncated name is not stable", goos)
		}
		parts := strings.SplitN(strings.TrimPrefix(got, "actions.runner."), ".", 2)
		if len(parts) != 2 || len(parts[0]) > rules[goos].ScopeMax || !regexp.MustCompile(`-[0-9]{4}$`).MatchString(parts[1]) {
			t.Errorf("%s: want scope ≤ %d and a -NNNN suffix: %s", goos, rules[goos].ScopeMax, got)
		}
	}
	if Name("acme-app", "ci-1") != nameFor("acme-app", "ci-1", hostRule()) {
		t.Error("Name does not use this OS's rule")
	}
}

func TestRenderSystemd(t *testing.T) {
	unit := SystemdUnit(spec())
	golden(t, "systemd.service.golden", unit)
	for _, want := range []string{"After=network-online.target", "KillMode=mixed", "TimeoutStopSec=300", "Restart=on-failure", "RestartPreventExitStatus=6", "User=runner",
		`ExecStart=/usr/local/bin/runnerctl run --dir "/opt/actions runner" --service actions.runner.acme-app.ci_1`,
		"RuntimeDirectory=runnerctl/actions.runner.acme-app.ci_1", "RuntimeDirectoryPreserve=yes"} {
		if !strings.Contains(unit, want+"\n") {
			t.Errorf("unit lacks %q", want)
		}
	}
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("skipped: systemd-analyze is not installed, the unit is checked against the golden file only")
	}
	// systemd-analyze verify needs the executable and the user to exist.
	dir := t.TempDir()
	exe := filepath.Join(dir, "runnerctl")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := spec()
	wd := filepath.Join(dir, "actions runner")
	if err := os.Mkdir(wd, 0o755); err != nil {
		t.Fatal(err)
	}
	s.Executable, s.Dir, s.Args, s.User = exe, wd, []string{"run", "--dir", wd}, "root"
	path := filepath.Join(dir, s.Name+".service")
	if err := os.WriteFile(path, []byte(SystemdUnit(s)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemd-analyze", "verify", path).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, filepath.Base(path)) {
			t.Errorf("systemd-analyze verify: %s", line)
		}
	}
}

func TestRenderSysV(t *testing.T) {
	script := SysVScript(spec())
	golden(t, "sysv.init.golden", script)
	if out, err := exec.Command("sh", "-n", "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("sh -n: %v\n%s", err, out)
	}
	if !strings.Contains(script, "# Provides:          actions.runner.acme-app.ci_1\n") {
		t.Error("LSB Provides is not the service name")
	}
}

func TestRenderLaunchd(t *testing.T) {
	s := spec()
	s.Name = nameFor("acme-app", "ci 1", darwinRule())
	xml := LaunchdPlist(s)
	golden(t, "launchd.plist.golden", xml)
	var got struct {
		Label            string
		ProgramArguments []string
		UserName         string
		WorkingDirectory string
		RunAtLoad        bool
		KeepAlive        map[string]bool
		ExitTimeOut      int
	}
	if _, err := plist.Unmarshal([]byte(xml), &got); err != nil {
		t.Fatalf("plist: %v", err)
	}
	if got.Label != s.Name || got.UserName != "runner" || !got.RunAtLoad || got.KeepAlive["SuccessfulExit"] ||
		strings.Join(got.ProgramArguments, "|") != "/usr/local/bin/runnerctl|run|--dir|/opt/actions runner|--service|"+s.Name || got.ExitTimeOut != 300 {
		t.Errorf("plist parsed as %+v", got)
	}
}

func TestRenderWindows(t *testing.T) {
	s := spec()
	s.Name, s.User = nameFor("acme-app", "ci 1", windowsRule()), ""
	s.Executable, s.Args, s.Dir = `C:\Program Files\runnerctl\runnerctl.exe`, []string{"run", "--dir", `C:\actions-runner`}, `C:\actions-runner`
	b, err := json.MarshalIndent(Windows(s), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "windows.json.golden", string(b)+"\n")
	w := Windows(s)
	if w.Account != `NT AUTHORITY\NETWORK SERVICE` || !w.DelayedAutoStart || w.OnFailure != "restart" {
		t.Errorf("windows settings %+v", w)
	}
}
