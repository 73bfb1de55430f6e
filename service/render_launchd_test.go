package service

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"howett.net/plist"
)

type launchAgentJob struct {
	launchdJob
	StandardOutPath, StandardErrorPath string
	ProcessType                        string
	SessionCreate                      bool
	EnvironmentVariables               map[string]string
}

func parseAgent(t *testing.T, xml string) launchAgentJob {
	t.Helper()
	var got launchAgentJob
	if _, err := plist.Unmarshal([]byte(xml), &got); err != nil {
		t.Fatalf("plist: %v\n%s", err, xml)
	}
	if _, err := plist.Unmarshal([]byte(xml), &got.launchdJob); err != nil {
		t.Fatalf("plist: %v\n%s", err, xml)
	}
	return got
}

// plutilLint runs `plutil -lint` on the plist where macOS has it.
func plutilLint(t *testing.T, xml string) {
	t.Helper()
	tool, err := exec.LookPath("plutil")
	if err != nil {
		t.Skip("skipped: plutil (macOS) is not installed here; the plist was parsed back with howett.net/plist instead")
	}
	f := filepath.Join(t.TempDir(), "job.plist")
	if err := os.WriteFile(f, []byte(xml), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool, "-lint", f).CombinedOutput(); err != nil {
		t.Fatalf("plutil -lint: %v\n%s\n%s", err, out, xml)
	}
}

// The LaunchAgent (--launchd agent) has svc.sh's keys and our restart
// policy, no UserName, and logs in the user's ~/Library/Logs/NAME.
func TestRenderLaunchAgent(t *testing.T) {
	s := spec()
	s.Name = nameFor("acme-app", "ci 1", darwinRule())
	xml := must[string](t)(LaunchAgentPlist(s, "/Users/runner"))
	golden(t, "launchagent.plist.golden", xml)
	got := parseAgent(t, xml)
	if got.Label != s.Name || got.UserName != "" || !got.RunAtLoad || got.KeepAlive["SuccessfulExit"] || len(got.KeepAlive) != 1 ||
		!slices.Equal(got.ProgramArguments, append([]string{s.Executable}, s.Args...)) || got.ExitTimeOut != 300 ||
		got.WorkingDirectory != s.Dir || got.ProcessType != "Interactive" || !got.SessionCreate ||
		got.EnvironmentVariables["ACTIONS_RUNNER_SVC"] != "1" ||
		got.StandardOutPath != "/Users/runner/Library/Logs/"+s.Name+"/stdout.log" ||
		got.StandardErrorPath != "/Users/runner/Library/Logs/"+s.Name+"/stderr.log" {
		t.Errorf("agent plist parsed as %+v", got)
	}
	if p := LaunchdPlistPath(LaunchAgent, s.Name, "/Users/runner"); p != "/Users/runner/Library/LaunchAgents/"+s.Name+".plist" {
		t.Errorf("agent plist path %s", p)
	}
	if p := LaunchdPlistPath(LaunchDaemon, s.Name, "/Users/runner"); p != "/Library/LaunchDaemons/"+s.Name+".plist" {
		t.Errorf("daemon plist path %s", p)
	}
	for _, bad := range []string{"", "Users/runner", "/Users/runner/", "/Users/../runner", "/Users/a\nb"} {
		if _, err := LaunchAgentPlist(s, bad); err == nil {
			t.Errorf("home %q was accepted", bad)
		}
	}
	for _, v := range hostile {
		h := "/Users/" + v
		if filepath.Clean(h) != h {
			continue
		}
		x, err := LaunchAgentPlist(s, h)
		if err != nil {
			t.Errorf("home %q: %v", h, err)
			continue
		}
		if strings.Contains(x, "{{") {
			t.Errorf("home %q: the plist holds \"{{\"", h)
		}
		if got := parseAgent(t, x); got.StandardErrorPath != h+"/Library/Logs/"+s.Name+"/stderr.log" {
			t.Errorf("home %q: stderr parsed back as %q", h, got.StandardErrorPath)
		}
	}
}

func TestParseLaunchdKind(t *testing.T) {
	for in, want := range map[string]LaunchdKind{"": LaunchDaemon, "daemon": LaunchDaemon, "agent": LaunchAgent} {
		if got, err := parseLaunchdKind(in, true); err != nil || got != want {
			t.Errorf("%q: %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"Agent", "user", " agent", "daemon "} {
		if _, err := parseLaunchdKind(bad, true); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	// Without launchd (Linux, Windows) an agent is a usage error; a
	// daemon is the default everywhere, so --launchd daemon is accepted.
	if _, err := parseLaunchdKind("agent", false); err == nil || !strings.Contains(err.Error(), "macOS") {
		t.Errorf("agent without launchd: %v", err)
	}
	if k, err := parseLaunchdKind("daemon", false); err != nil || k != LaunchDaemon {
		t.Errorf("daemon without launchd: %q, %v", k, err)
	}
	_, err := ParseLaunchdKind("agent")
	if (err == nil) != launchAgentHost {
		t.Errorf("this host (launchd agents: %v): agent gives %v", launchAgentHost, err)
	}
	// CheckSpec: an agent needs a user (no GUI session for root), and an
	// unknown kind is refused; on this host as ParseLaunchdKind says.
	s := spec()
	s.Launchd = "user"
	if err := CheckSpec(s); err == nil {
		t.Errorf("launchd %q accepted", s.Launchd)
	}
	s.Launchd, s.User = LaunchAgent, ""
	if err := checkSpec(s); err == nil || !strings.Contains(err.Error(), "GUI session") {
		t.Errorf("an agent for root: %v", err)
	}
	s.User = "runner"
	if err := CheckSpec(s); !launchAgentHost && err == nil {
		t.Errorf("an agent on a host without launchd was accepted")
	}
}

// Both plists pass plutil -lint where it exists.
func TestLaunchdPlutilLint(t *testing.T) {
	s := spec()
	s.Name = nameFor("acme-app", "ci 1", darwinRule())
	t.Run("daemon", func(t *testing.T) { plutilLint(t, must[string](t)(LaunchdPlist(s))) })
	t.Run("agent", func(t *testing.T) { plutilLint(t, must[string](t)(LaunchAgentPlist(s, "/Users/runner"))) })
	t.Run("hostile", func(t *testing.T) {
		s.Args = hostile
		plutilLint(t, must[string](t)(LaunchAgentPlist(s, "/Users/a b&<>")))
	})
}
