package service

import (
	"bufio"
	"bytes"
	"fmt"
	"log/slog"
	"path"
	"strconv"
	"strings"

	"github.com/runnerctl/runnerctl/platform"
)

// launchAgent is a runner's LaunchAgent (--launchd agent) in its user's
// GUI session, driven as the official svc.sh drives its agent but with
// the launchctl verbs of macOS 10.11 and later, which root may use for
// another user's session: bootstrap (svc.sh's load), bootout (unload),
// kickstart -k (restart) and print (status). kardianos is not used: it
// knows the system domain and the invoking user's agents only.
//
// The plist and the log directory are in the user's home, which the user
// (and every job) owns: root makes and writes them through descriptors,
// never following a link the user planted (agentFiles, per OS).
type launchAgent struct {
	name, user, home string
	uid, gid         int
	log              *slog.Logger
	// launchctl runs /bin/launchctl with args (a fake in tests).
	launchctl func(args ...string) ([]byte, error)
}

// newLaunchAgent is service name's agent in user's GUI session.
func newLaunchAgent(name, user string, log *slog.Logger) (*launchAgent, error) {
	if user == "" {
		return nil, fmt.Errorf("service %s: a LaunchAgent runs in a user's GUI session: it has no user", name)
	}
	a, err := platform.LookupAccount(user)
	if err != nil {
		return nil, fmt.Errorf("service %s: %w", name, err)
	}
	if !strings.HasPrefix(a.Home, "/") || path.Clean(a.Home) != a.Home || a.Home == "/" {
		return nil, fmt.Errorf("service %s: user %s's home directory %q cannot hold a LaunchAgent", name, user, a.Home)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &launchAgent{name: name, user: user, home: a.Home, uid: int(a.UID), gid: int(a.GID), log: log, launchctl: runLaunchctl}, nil
}

func runLaunchctl(args ...string) ([]byte, error) {
	out, err := platform.SystemCommand("launchctl", args...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("launchctl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return out, nil
}

// domain is the user's GUI session; target the agent in it.
func (a *launchAgent) domain() string { return "gui/" + strconv.Itoa(a.uid) }
func (a *launchAgent) target() string { return a.domain() + "/" + a.name }

// plistPath is the agent's plist, in ~/Library/LaunchAgents.
func (a *launchAgent) plistPath() string { return LaunchdPlistPath(LaunchAgent, a.name, a.home) }

// Where the agent's files are, below the home directory.
var (
	agentPlistDir = []string{"Library", "LaunchAgents"}
	agentLogsDir  = []string{"Library", "Logs"}
)

// argv is launchctl's command line for an action on the agent:
// session (is the user logged in to the desktop?), load, unload,
// restart, print; nil for another.
func (a *launchAgent) argv(action string) []string {
	return map[string][]string{
		"session": {"print", a.domain()},
		"load":    {"bootstrap", a.domain(), a.plistPath()},
		"unload":  {"bootout", a.target()},
		"restart": {"kickstart", "-k", a.target()},
		"print":   {"print", a.target()},
	}[action]
}

func (a *launchAgent) run(action string) ([]byte, error) { return a.launchctl(a.argv(action)...) }

// loggedIn reports whether the user has a GUI session to load the agent in.
func (a *launchAgent) loggedIn() bool {
	_, err := a.run("session")
	return err == nil
}

// printedJob is what `launchctl print gui/UID/NAME` says of a loaded job.
type printedJob struct {
	state    string // "running", "not running", "spawn scheduled", ...
	pid      int
	lastExit string // "0", "1", "(never exited)"
}

// parsePrint reads the job's top-level "key = value" lines of `launchctl
// print` (the nested blocks, indented deeper, are skipped).
func parsePrint(out []byte) printedJob {
	var j printedJob
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "\t\t") {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimSpace(line), " = ")
		if !ok {
			continue
		}
		switch k {
		case "state":
			j.state = v
		case "pid":
			j.pid, _ = strconv.Atoi(v)
		case "last exit code":
			j.lastExit = v
		}
	}
	return j
}

// jobState maps a loaded job to a state: running, or not running and
// (KeepAlive{SuccessfulExit=false}) relaunched after a failed exit, or
// stopped after a successful one (runnerctl run exits 0 when the runner
// stopped for good: Run).
func jobState(j printedJob) (platform.ServiceState, string, int) {
	switch {
	case j.state == "running":
		return platform.ServiceRunning, "running (launchd agent)", j.pid
	case j.lastExit == "" || j.lastExit == "0" || strings.HasPrefix(j.lastExit, "("):
		return platform.ServiceStopped, fmt.Sprintf("loaded, %s, last exit code %s", j.state, j.lastExit), 0
	}
	return platform.ServiceRestarting, fmt.Sprintf("loaded, %s, last exit code %s: launchd relaunches it", j.state, j.lastExit), 0
}

// state is the agent's state, its detail and its pid (0 when unknown).
func (a *launchAgent) state() (platform.ServiceState, string, int, error) {
	if out, err := a.run("print"); err == nil {
		st, detail, pid := jobState(parsePrint(out))
		return st, detail, pid, nil
	}
	_, found, err := readAgentPlist(a)
	switch {
	case err != nil:
		return platform.ServiceUnknown, "", 0, fmt.Errorf("service %s: %w", a.name, err)
	case !found:
		return platform.ServiceNotInstalled, "not installed", 0, nil
	case !a.loggedIn():
		return platform.ServiceAwaitingLogin, fmt.Sprintf("%s has no GUI session: launchd starts the agent at their next login", a.user), 0, nil
	}
	return platform.ServiceStopped, "not loaded in " + a.domain(), 0, nil
}

// loaded reports whether the job is in the user's session.
func (a *launchAgent) loaded() bool {
	_, err := a.run("print")
	return err == nil
}

// start loads the agent in the user's session (it runs at load); one
// loaded already is started (kickstart without -k). Without a session it
// is left for the user's next login, with a warning.
func (a *launchAgent) start() error {
	if !a.loggedIn() {
		a.log.Warn("the runner user has no GUI session: the launchd agent starts at their next login to the desktop", "service", a.name, "user", a.user)
		return nil
	}
	if a.loaded() {
		_, err := a.launchctl("kickstart", a.target())
		return err
	}
	_, err := a.run("load")
	return err
}

// stop unloads the agent, as svc.sh's stop does: launchd sends SIGTERM and
// waits ExitTimeOut.
func (a *launchAgent) stop() error {
	if !a.loaded() {
		return nil
	}
	_, err := a.run("unload")
	return err
}

// restart stops the running agent and starts it again (kickstart -k);
// one not loaded is started.
func (a *launchAgent) restart() error {
	if !a.loaded() {
		return a.start()
	}
	_, err := a.run("restart")
	return err
}

// install writes the agent's plist for s (and its log directory) unless
// it holds that already; it reports whether it wrote it.
func (a *launchAgent) install(s platform.ServiceSpec) (bool, error) {
	text, err := LaunchAgentPlist(s, a.home)
	if err != nil {
		return false, err
	}
	old, found, err := readAgentPlist(a)
	if err != nil {
		return false, fmt.Errorf("service %s: %w", a.name, err)
	}
	if found && string(old) == text {
		return false, nil
	}
	if found && a.loaded() {
		// launchd keeps the definition it loaded: unload the old one.
		if err := a.stop(); err != nil {
			return false, err
		}
	}
	if err := writeAgentFiles(a, []byte(text)); err != nil {
		return false, fmt.Errorf("service %s: %w", a.name, err)
	}
	return true, nil
}

// uninstall unloads the agent and removes its plist and logs.
func (a *launchAgent) uninstall() error {
	if err := a.stop(); err != nil {
		return err
	}
	if err := removeAgentFiles(a); err != nil {
		return fmt.Errorf("service %s: %w", a.name, err)
	}
	return nil
}
