package service

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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

// hostile is printable text that a flag can carry into a definition
// (bootstrap/runner.CheckText lets it through): quotes, shell and systemd
// syntax, specifiers, backslashes, prefixes, kardianos template actions,
// unicode. Every renderer must keep each inert: parsed back, it is the
// same string, or the renderer refuses it with an error.
var hostile = []string{
	"a b", "  blanks  ", `a"b`, `"`, `""`, "a'b", "'", "''", "a$b", "$", "$$", "${HOME}", "$HOME", "$(id)", "a`id`b", "`",
	"a%hb", "%", "%%", "%n", `a\b`, `ab\`, `\`, `\\`, `a\"b`, `a\\"b`, `\x41`, `\n`, "a;b", ";", `\;`, "*", "?", "[a]", "&", "|", "<>",
	"#x", "!x", "~", "~root", "-x", "--", "@x", ":x", "+x", "=", "ünï€ 雪", "🙂", "\u00a0", "\ufeff",
	"{{Path}}", "{{x}}", "{", "{{", "a{", "}}", "{{.}}", "{{Description}}", "{{- Path -}}",
}

// controls are what every renderer refuses in every field, even when no
// flag check ran before: one of each class, and invalid UTF-8.
var controls = []string{"a\nb", "a\rb", "a\tb", "a\x00b", "a\x1bb", "a\x7fb", "a\u0085b", "a\u2028b", "a\u2029b", "a\xffb"}

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

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
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
	unit := must[string](t)(SystemdUnit(spec()))
	golden(t, "systemd.service.golden", unit)
	for _, want := range []string{"After=network-online.target", "KillMode=mixed", "TimeoutStopSec=300", "Restart=on-failure", "RestartPreventExitStatus=6", "User=runner",
		`ExecStart=/usr/local/bin/runnerctl run --dir "/opt/actions runner" --service actions.runner.acme-app.ci_1`,
		"RuntimeDirectory=runnerctl/actions.runner.acme-app.ci_1", "RuntimeDirectoryPreserve=yes"} {
		if !strings.Contains(unit, want+"\n") {
			t.Errorf("unit lacks %q", want)
		}
	}
	needSystemdAnalyze(t)
	dir := t.TempDir()
	s := spec()
	wd := filepath.Join(dir, "actions runner")
	s.Executable, s.Dir, s.Args, s.User = fakeExecutable(t, dir), wd, []string{"run", "--dir", wd}, "root"
	got := systemdLoad(t, dir, s)
	if got.Description != s.DisplayName || got.WorkingDirectory != wd || got.User != "root" || !slices.Equal(got.Argv, append([]string{s.Executable}, s.Args...)) {
		t.Errorf("systemd loaded %+v", got)
	}
}

// needSystemdAnalyze skips the test without systemd-analyze, unless CI is
// set: then it must run.
func needSystemdAnalyze(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set and systemd-analyze is not installed: the units cannot be checked by systemd")
		}
		t.Skip("skipped: systemd-analyze is not installed, the unit is checked against the golden file only")
	}
}

// fakeExecutable is an executable file in dir (systemd-analyze verify
// wants ExecStart='s to exist).
func fakeExecutable(t *testing.T, dir string) string {
	exe := filepath.Join(dir, "runnerctl")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return exe
}

// loadedUnit is what systemd made of a unit: its settings after
// specifiers and unquoting, ExecStart='s argv after the $ rules.
type loadedUnit struct {
	Description, WorkingDirectory, User string
	Argv                                []string
}

// systemdLoad renders s into dir, has systemd-analyze verify load it (it
// fails the test on any complaint about the file), and reads back what
// systemd loaded from the dump verify prints at debug level.
func systemdLoad(t *testing.T, dir string, s platform.ServiceSpec) loadedUnit {
	t.Helper()
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	unit := must[string](t)(SystemdUnit(s))
	path := filepath.Join(dir, s.Name+".service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("systemd-analyze", "verify", path)
	cmd.Env = append(os.Environ(), "SYSTEMD_LOG_LEVEL=debug")
	out, err := cmd.CombinedOutput()
	// A complaint names the file and line ("PATH:12: Unknown key ...").
	if err != nil || strings.Contains(string(out), path+":") || strings.Contains(string(out), "bad unit file setting") {
		var complaints []string
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, filepath.Base(path)) && !strings.Contains(l, " job ") {
				complaints = append(complaints, l)
			}
		}
		t.Fatalf("systemd-analyze verify: %v\n%s\n%s", err, strings.Join(complaints, "\n"), unit)
	}
	var u loadedUnit
	in, exec := false, false
	for _, line := range strings.Split(string(out), "\n") {
		l := strings.TrimLeft(line, "\t")
		switch {
		case strings.HasPrefix(l, "-> Unit "):
			in = l == "-> Unit "+filepath.Base(path)+":"
		case !in:
		case strings.HasPrefix(l, "Description: "):
			u.Description = strings.TrimPrefix(l, "Description: ")
		case strings.HasPrefix(l, "WorkingDirectory: "):
			u.WorkingDirectory = strings.TrimPrefix(l, "WorkingDirectory: ")
		case strings.HasPrefix(l, "User: "):
			u.User = strings.TrimPrefix(l, "User: ")
		case l == "-> ExecStart:":
			exec = true
		case exec && strings.HasPrefix(l, "Command Line: "):
			u.Argv, err = execArgv(strings.TrimPrefix(l, "Command Line: "))
			if err != nil {
				t.Fatalf("%v\n%s", err, unit)
			}
			exec = false
		}
	}
	if u.Argv == nil {
		t.Fatalf("no dump of %s in systemd-analyze's output:\n%s", path, out)
	}
	return u
}

// execArgv reads the command line of systemd's dump (words quoted as
// shell_maybe_quote does: bare, or in double quotes with \ before " \ `
// $) and applies what systemd does to ExecStart= at exec time: $$ is one
// $; any other $ (a variable) fails, a renderer must not leave one.
func execArgv(line string) ([]string, error) {
	var argv []string
	for line != "" {
		if line[0] == ' ' {
			line = line[1:]
			continue
		}
		var w strings.Builder
		if line[0] != '"' {
			i := strings.IndexByte(line, ' ')
			if i < 0 {
				i = len(line)
			}
			w.WriteString(line[:i])
			line = line[i:]
		} else {
			i := 1
			for ; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) {
					i++
				}
				w.WriteByte(line[i])
			}
			if i == len(line) {
				return nil, fmt.Errorf("unbalanced quote in systemd's command line %q", line)
			}
			line = line[i+1:]
		}
		word := w.String()
		if strings.Contains(strings.ReplaceAll(word, "$$", ""), "$") {
			return nil, fmt.Errorf("systemd would expand a variable in %q", word)
		}
		argv = append(argv, strings.ReplaceAll(word, "$$", "$"))
	}
	return argv, nil
}

// Hostile values in ExecStart= come back from systemd as the same argv;
// in Description= and WorkingDirectory= they come back the same or are
// refused, and only where systemd has no escape: blanks at either end, a
// final backslash, "{{".
func TestRenderSystemdHostile(t *testing.T) {
	needSystemdAnalyze(t)
	dir := t.TempDir()
	exe := fakeExecutable(t, dir)
	for i, v := range hostile {
		s := spec()
		s.Name = fmt.Sprintf("actions.runner.acme-app.h%d", i)
		s.Executable, s.User, s.Dir = exe, "root", filepath.Join(dir, fmt.Sprintf("d%d", i))
		s.Args = []string{"run", "--dir", s.Dir, v, "x" + v + "y", ""}
		got := systemdLoad(t, dir, s)
		if want := append([]string{exe}, s.Args...); !slices.Equal(got.Argv, want) {
			t.Errorf("%q: ExecStart= loaded as %q, want %q", v, got.Argv, want)
		}
		// In the directory and the display name (Description=).
		s.Dir = filepath.Join(dir, fmt.Sprintf("d%d-", i)+v)
		s.DisplayName = v
		_, err := SystemdUnit(s)
		refuse := strings.TrimSpace(v) != v || strings.HasSuffix(v, `\`) || strings.Contains(v, "{{")
		if refuse {
			if err == nil {
				t.Errorf("%q: rendered in WorkingDirectory= and Description=, want an error (systemd cannot carry it)", v)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", v, err)
			continue
		}
		got = systemdLoad(t, dir, s)
		if got.WorkingDirectory != s.Dir || got.Description != v {
			t.Errorf("%q: WorkingDirectory= and Description= loaded as %q and %q", v, got.WorkingDirectory, got.Description)
		}
	}
}

func TestRenderSysV(t *testing.T) {
	script := must[string](t)(SysVScript(spec()))
	golden(t, "sysv.init.golden", script)
	if out, err := exec.Command("sh", "-n", "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("sh -n: %v\n%s", err, out)
	}
	for _, want := range []string{"# Provides:          actions.runner.acme-app.ci_1\n", "\nuser='runner'\n", "\nstatus_dir='/run/runnerctl/actions.runner.acme-app.ci_1'\n",
		`--reuid="$uid" --regid="$gid" --init-groups --`, `env -i PATH="$PATH" LANG=C.UTF-8 HOME="$home" USER="$login" LOGNAME="$login"`} {
		if !strings.Contains(script, want) {
			t.Errorf("the script lacks %q", want)
		}
	}
}

// shWords is what sh makes of the words of a script line: the script
// `printf '%s\0' WORDS` run by sh, split at NUL.
func shWords(t *testing.T, words string) []string {
	t.Helper()
	out, err := exec.Command("sh", "-c", `printf '%s\0' `+words).Output()
	if err != nil {
		t.Fatalf("sh: %v (%s)", err, words)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
}

// sysvHostile renders s (holding the hostile value v) as an init script
// that sh parses and that holds no "{{"; ok is false after an error.
func sysvHostile(t *testing.T, v string, s platform.ServiceSpec) (string, bool) {
	t.Helper()
	script, err := SysVScript(s)
	if err != nil {
		t.Errorf("%q: %v", v, err)
		return "", false
	}
	if out, err := exec.Command("sh", "-n", "-c", script).CombinedOutput(); err != nil {
		t.Errorf("%q: sh -n: %v\n%s", v, err, out)
		return "", false
	}
	if strings.Contains(script, "{{") {
		t.Errorf("%q: the script holds \"{{\" (a kardianos template action)", v)
	}
	return script, true
}

// Every value of the init script is one quoted word, the header comments
// too: sh reads each back as it was. (The start path runs with hostile
// arguments in TestSysVHostileStart, as root.)
func TestRenderSysVHostile(t *testing.T) {
	for _, v := range hostile {
		s := spec()
		s.DisplayName, s.Description, s.User, s.Dir, s.Executable = v, v, "u"+v, "/opt/"+v, "/usr/bin/"+v
		s.Args = []string{v, "x" + v + "y", ""}
		script, ok := sysvHostile(t, v, s)
		if !ok {
			continue
		}
		lines := strings.Split(script, "\n")
		field := func(prefix string) string {
			for _, l := range lines {
				if w, ok := strings.CutPrefix(l, prefix); ok {
					return strings.TrimSpace(w)
				}
			}
			t.Fatalf("%q: no line %q", v, prefix)
			return ""
		}
		for _, c := range []struct{ prefix, want string }{
			{"# Installed by runnerctl: ", s.DisplayName}, {"# Short-Description: ", s.DisplayName}, {"# Description:       ", s.Description},
			{"user=", s.User}, {"        cd ", s.Dir},
		} {
			if got := shWords(t, strings.TrimSuffix(field(c.prefix), " || exit 1")); !slices.Equal(got, []string{c.want}) {
				t.Errorf("%q: %s reads back as %q", v, c.prefix, got)
			}
		}
		cmd := strings.TrimSuffix(field(`            "$@" `), `>> "$stdout_log" 2>> "$stderr_log" &`)
		if got, want := shWords(t, cmd), append([]string{s.Executable}, s.Args...); !slices.Equal(got, want) {
			t.Errorf("%q: the command reads back as %q, want %q", v, got, want)
		}
	}
}

func TestRenderLaunchd(t *testing.T) {
	s := spec()
	s.Name = nameFor("acme-app", "ci 1", darwinRule())
	xml := must[string](t)(LaunchdPlist(s))
	golden(t, "launchd.plist.golden", xml)
	got := parsePlist(t, xml)
	if got.Label != s.Name || got.UserName != "runner" || !got.RunAtLoad || got.KeepAlive["SuccessfulExit"] ||
		strings.Join(got.ProgramArguments, "|") != "/usr/local/bin/runnerctl|run|--dir|/opt/actions runner|--service|"+s.Name || got.ExitTimeOut != 300 {
		t.Errorf("plist parsed as %+v", got)
	}
}

type launchdJob struct {
	Label            string
	ProgramArguments []string
	UserName         string
	WorkingDirectory string
	RunAtLoad        bool
	KeepAlive        map[string]bool
	ExitTimeOut      int
}

func parsePlist(t *testing.T, xml string) launchdJob {
	t.Helper()
	var got launchdJob
	if _, err := plist.Unmarshal([]byte(xml), &got); err != nil {
		t.Fatalf("plist: %v\n%s", err, xml)
	}
	return got
}

// The plist parses back to the same strings, and holds no "{{".
func TestRenderLaunchdHostile(t *testing.T) {
	for _, v := range hostile {
		s := spec()
		s.User, s.Dir, s.Executable, s.Args = "u"+v, "/opt/"+v, "/usr/bin/"+v, []string{v, "x" + v + "y", ""}
		xml, err := LaunchdPlist(s)
		if err != nil {
			t.Errorf("%q: %v", v, err)
			continue
		}
		if strings.Contains(xml, "{{") {
			t.Errorf("%q: the plist holds \"{{\" (a kardianos template action)", v)
		}
		got := parsePlist(t, xml)
		if got.UserName != s.User || got.WorkingDirectory != s.Dir || !slices.Equal(got.ProgramArguments, append([]string{s.Executable}, s.Args...)) {
			t.Errorf("%q: parsed back as %+v", v, got)
		}
	}
	s := spec()
	s.Args = []string{"a\uFFFEb"}
	if _, err := LaunchdPlist(s); err == nil {
		t.Error("U+FFFE (not an XML character) was rendered")
	}
}

func TestRenderWindows(t *testing.T) {
	s := spec()
	s.Name, s.User = nameFor("acme-app", "ci 1", windowsRule()), ""
	s.Executable, s.Args, s.Dir = `C:\Program Files\runnerctl\runnerctl.exe`, []string{"run", "--dir", `C:\actions-runner`}, `C:\actions-runner`
	w := must[WindowsSettings](t)(Windows(s))
	b, err := json.MarshalIndent(w, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "windows.json.golden", string(b)+"\n")
	if w.Account != `NT AUTHORITY\NETWORK SERVICE` || !w.DelayedAutoStart || w.OnFailure != "restart" ||
		w.CommandLine != `"C:\Program Files\runnerctl\runnerctl.exe" run --dir C:\actions-runner` {
		t.Errorf("windows settings %+v", w)
	}
}

// commandLineToArgvW splits a command line as CommandLineToArgvW (and the
// C runtime) do: the program name up to the next blank, or between
// quotes, with no backslash rule; then words separated by blanks, where
// 2n backslashes and a quote are n backslashes and a quote that opens or
// closes, 2n+1 backslashes and a quote are n backslashes and a literal
// quote, and other backslashes are literal.
func commandLineToArgvW(line string) []string {
	var argv []string
	if strings.HasPrefix(line, `"`) {
		end := strings.IndexByte(line[1:], '"')
		if end < 0 {
			return []string{line[1:]}
		}
		argv, line = append(argv, line[1:1+end]), line[2+end:]
	} else {
		end := strings.IndexAny(line, " \t")
		if end < 0 {
			return []string{line}
		}
		argv, line = append(argv, line[:end]), line[end:]
	}
	for {
		line = strings.TrimLeft(line, " \t")
		if line == "" {
			return argv
		}
		var w strings.Builder
		quoted := false
		for line != "" && (quoted || (line[0] != ' ' && line[0] != '\t')) {
			n := len(line) - len(strings.TrimLeft(line, `\`))
			if n < len(line) && line[n] == '"' {
				w.WriteString(strings.Repeat(`\`, n/2))
				if n%2 == 1 {
					w.WriteByte('"')
				} else if quoted && strings.HasPrefix(line[n+1:], `"`) {
					w.WriteByte('"') // "" in quotes: a literal quote
					line = line[1:]
				} else {
					quoted = !quoted
				}
				line = line[n+1:]
				continue
			}
			if n > 0 {
				w.WriteString(line[:n])
				line = line[n:]
				continue
			}
			w.WriteByte(line[0])
			line = line[1:]
		}
		argv = append(argv, w.String())
	}
}

// The command line the SCM keeps splits back into the same argv, for
// every hostile value without a %; a % (expanded by the SCM) and a program
// name that cannot round-trip are refused.
func TestRenderWindowsHostile(t *testing.T) {
	extra := []string{`C:\a b\`, `C:\a b\\`, `\\server\share\x`, `a\\\"b`, `"a b"`, ` `, `\ "`, `a"b c\`}
	for _, v := range append(slices.Clone(hostile), extra...) {
		s := spec()
		s.Executable, s.Args = `C:\Program Files\x `+strings.NewReplacer(`"`, "", `\`, "").Replace(v)+`.exe`, []string{v, "x" + v + "y", "", `C:\dir with space\`}
		w, err := Windows(s)
		if strings.Contains(v, "%") {
			if err == nil {
				t.Errorf("%q: rendered with a %% the SCM would expand", v)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", v, err)
			continue
		}
		if got, want := commandLineToArgvW(w.CommandLine), append([]string{s.Executable}, s.Args...); !slices.Equal(got, want) {
			t.Errorf("%q: %s splits back as %q, want %q", v, w.CommandLine, got, want)
		}
	}
	for _, exe := range []string{`C:\a"b.exe`, `C:\x y\`} {
		s := spec()
		s.Executable = exe
		if _, err := Windows(s); err == nil {
			t.Errorf("program name %q rendered: it cannot round-trip", exe)
		}
	}
}

// Every renderer refuses a control character or invalid UTF-8 in every
// field, and a service name that is not one Name makes.
func TestRenderRefusesControlCharacters(t *testing.T) {
	renderers := map[string]func(platform.ServiceSpec) error{
		"systemd": func(s platform.ServiceSpec) error { _, err := SystemdUnit(s); return err },
		"SysV":    func(s platform.ServiceSpec) error { _, err := SysVScript(s); return err },
		"launchd": func(s platform.ServiceSpec) error { _, err := LaunchdPlist(s); return err },
		"Windows": func(s platform.ServiceSpec) error { _, err := Windows(s); return err },
	}
	fields := map[string]func(*platform.ServiceSpec, string){
		"name":         func(s *platform.ServiceSpec, v string) { s.Name += v },
		"display name": func(s *platform.ServiceSpec, v string) { s.DisplayName += v },
		"description":  func(s *platform.ServiceSpec, v string) { s.Description += v },
		"executable":   func(s *platform.ServiceSpec, v string) { s.Executable += v },
		"argument":     func(s *platform.ServiceSpec, v string) { s.Args = append(s.Args, v) },
		"user":         func(s *platform.ServiceSpec, v string) { s.User += v },
		"directory":    func(s *platform.ServiceSpec, v string) { s.Dir += v },
	}
	for format, render := range renderers {
		if err := render(spec()); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		for field, set := range fields {
			for _, v := range append(slices.Clone(controls), "/../x") {
				if v == "/../x" && field != "name" {
					continue
				}
				s := spec()
				set(&s, v)
				if err := render(s); err == nil {
					t.Errorf("%s: %q in the %s was rendered", format, v, field)
				}
			}
		}
	}
}

// HostileValues is hostile, for the tests that install a service with
// them (package service_test).
var HostileValues = hostile

// The root steps of an ephemeral runner (--on-ephemeral-exit): systemd
// ExecStartPre=+ / ExecStopPost=+ with the restart rules of the
// ephemeral-done exit, the SysV root loop; every value quoted as in
// ExecStart= and the supervisor's command; launchd and Windows refuse
// them.
func TestRenderEphemeralSteps(t *testing.T) {
	s := spec()
	s.PreStart = []string{"reregister", "--dir", "/opt/actions runner"}
	unit := must[string](t)(SystemdUnit(s))
	for _, want := range []string{`ExecStartPre=+/usr/local/bin/runnerctl reregister --dir "/opt/actions runner"`, "TimeoutStartSec=infinity", "RestartSec=1", "RestartPreventExitStatus=6"} {
		if !strings.Contains(unit, want+"\n") {
			t.Errorf("reregister unit lacks %q:\n%s", want, unit)
		}
	}
	script := must[string](t)(SysVScript(s))
	if !strings.Contains(script, `[ "$code" -eq 10 ] || break`) || !strings.Contains(script, `supervise "$@") &`) {
		t.Errorf("reregister script restarts no exit 10:\n%s", script)
	}
	s.PreStart, s.AfterExit = nil, []string{"ephemeral-exit", "--dir", "/opt/actions runner"}
	unit = must[string](t)(SystemdUnit(s))
	for _, want := range []string{`ExecStopPost=+/usr/local/bin/runnerctl ephemeral-exit --dir "/opt/actions runner"`, "SuccessExitStatus=10", "RestartPreventExitStatus=6 10", "RestartSec=15"} {
		if !strings.Contains(unit, want+"\n") {
			t.Errorf("shutdown unit lacks %q:\n%s", want, unit)
		}
	}
	if strings.Contains(unit, "ExecStartPre") {
		t.Errorf("shutdown unit re-registers:\n%s", unit)
	}
	script = must[string](t)(SysVScript(s))
	if !strings.Contains(script, `'ephemeral-exit' '--dir' '/opt/actions runner' --exit-status "$code"`) || !strings.Contains(script, `&& false || break`) {
		t.Errorf("shutdown script:\n%s", script)
	}
	if _, err := LaunchdPlist(s); err == nil {
		t.Error("launchd: rendered a root step")
	}
	if _, err := Windows(s); err == nil {
		t.Error("Windows: rendered a root step")
	}

	needSystemdAnalyze(t)
	dir := t.TempDir()
	exe := fakeExecutable(t, dir)
	for i, v := range hostile {
		s := spec()
		s.Name = fmt.Sprintf("actions.runner.acme-app.e%d", i)
		s.Executable, s.User, s.Dir = exe, "root", filepath.Join(dir, fmt.Sprintf("e%d", i))
		s.Args = []string{"run", "--dir", s.Dir}
		s.PreStart, s.AfterExit = []string{"reregister", v, "x" + v + "y"}, []string{"ephemeral-exit", v, ""}
		systemdLoad(t, dir, s) // no complaint from systemd-analyze verify
		unit := must[string](t)(SystemdUnit(s))
		for _, c := range []struct{ prefix string }{{"ExecStartPre=+"}, {"ExecStopPost=+"}} {
			for _, l := range strings.Split(unit, "\n") {
				if w, ok := strings.CutPrefix(l, c.prefix); ok {
					// ExecStart='s words round-trip (TestRenderSystemdHostile): the same quoting.
					want := []string{systemdWord(exe)}
					args := s.PreStart
					if c.prefix == "ExecStopPost=+" {
						args = s.AfterExit
					}
					for _, a := range args {
						want = append(want, systemdWord(a))
					}
					if w != strings.Join(want, " ") {
						t.Errorf("%q: %s%s", v, c.prefix, w)
					}
				}
			}
		}
		s.Executable = "/usr/bin/" + v
		script, ok := sysvHostile(t, v, s)
		if !ok {
			continue
		}
		steps := 0
		for _, l := range strings.Split(script, "\n") {
			l = strings.TrimSpace(l)
			var want []string
			switch {
			case strings.HasSuffix(l, ` &`) && strings.Contains(l, "'reregister'"):
				l, want = strings.TrimSuffix(l, " &"), append([]string{s.Executable}, s.PreStart...)
			case strings.HasSuffix(l, ` --exit-status "$code"`):
				l, want = strings.TrimSuffix(l, ` --exit-status "$code"`), append([]string{s.Executable}, s.AfterExit...)
			default:
				continue
			}
			steps++
			if got := shWords(t, l); !slices.Equal(got, want) {
				t.Errorf("%q: a root step reads back as %q, want %q", v, got, want)
			}
		}
		if steps != 2 {
			t.Errorf("%q: %d root step lines in the script, want 2", v, steps)
		}
	}
}

// install --metrics-addr: the service's run gets it, in every format.
func TestRenderMetricsAddr(t *testing.T) {
	s := spec()
	s.Args = append(s.Args, "--metrics-addr", "[::1]:9252")
	if u := must[string](t)(SystemdUnit(s)); !strings.Contains(u, " --metrics-addr [::1]:9252\n") {
		t.Errorf("systemd unit lacks --metrics-addr:\n%s", u)
	}
	if sc := must[string](t)(SysVScript(s)); !strings.Contains(sc, `'--metrics-addr' '[::1]:9252'`) {
		t.Errorf("SysV script lacks --metrics-addr:\n%s", sc)
	}
	if p := must[string](t)(LaunchdPlist(s)); !strings.Contains(p, "<string>--metrics-addr</string>") || !strings.Contains(p, "<string>[::1]:9252</string>") {
		t.Errorf("launchd plist lacks --metrics-addr:\n%s", p)
	}
	if w := must[WindowsSettings](t)(Windows(s)); !slices.Contains(w.Args, "--metrics-addr") || !strings.Contains(w.CommandLine, "--metrics-addr [::1]:9252") {
		t.Errorf("Windows settings lack --metrics-addr: %+v", w)
	}
}
