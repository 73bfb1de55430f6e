package service

import (
	"encoding/xml"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/runnerctl/runnerctl/platform"
)

// stopTimeoutSec bounds a service stop (systemd TimeoutStopSec=, launchd
// ExitTimeOut, the init script's wait), as the official unit's 5min: the
// supervisor gives the listener 30 s to cancel a running job (its own
// bound on SIGTERM) and kills it, then waits up to 30 s for a self-update
// to finish and 5 s for what the listener left: all well within.
const stopTimeoutSec = 300

// ExitNoRestart is the exit status of `runnerctl run` that asks the
// service manager not to restart it: the listener stopped for good
// (not configured, session conflict). It is runnerctl's exit code for a
// runner configuration failure.
const ExitNoRestart = 6

// ExitEphemeralDone is the exit status of `runnerctl run --on-ephemeral-exit
// reregister|shutdown` once an ephemeral runner's listener exited 0 after
// its job (ErrEphemeralDone): the service manager, which alone can run
// something as root around the supervisor, takes it from there
// (ServiceSpec.PreStart, AfterExit).
const ExitEphemeralDone = 10

// Every value of a ServiceSpec reaches a definition through the renderers
// below, each with the escaping of its format; what a format cannot carry
// is refused with an error, never mangled. Common to all: valid UTF-8 and
// no control character (checkSpec). And kardianos v1.3.0 parses the text
// it is given (SystemdScript, SysvScript, LaunchdConfig) as a template of
// its own: "{{" anywhere would be an action, which could splice a raw,
// unescaped value (e.g. {{Description}} in a shell word) into the
// definition. The renderers write '{' so that no "{{" is ever in their
// output (\x7b in an ExecStart= word, {'' in a shell word, &#123; in
// XML) and refuse it where the format has no escape (Description=,
// WorkingDirectory=, User=).

// specError is a spec value a renderer cannot carry.
func specError(format, field, v, why string) error {
	return fmt.Errorf("service definition (%s): %s %q: %s", format, field, v, why)
}

// checkSpec refuses what no format carries: invalid UTF-8, a control
// character, a service name outside the one Name makes (it is used as a
// file name), a user name starting with '-' (an option to every tool).
func checkSpec(s platform.ServiceSpec) error {
	for _, f := range []struct{ field, v string }{{"name", s.Name}, {"display name", s.DisplayName}, {"description", s.Description},
		{"executable", s.Executable}, {"user", s.User}, {"directory", s.Dir}} {
		if err := checkText(f.field, f.v); err != nil {
			return err
		}
	}
	for _, a := range slices.Concat(s.Args, s.PreStart, s.AfterExit) {
		if err := checkText("argument", a); err != nil {
			return err
		}
	}
	if _, err := StatusDir(s.Name); err != nil {
		return fmt.Errorf("service definition: %w", err)
	}
	if strings.HasPrefix(s.User, "-") {
		return specError("all", "user", s.User, "a user name cannot start with '-'")
	}
	if _, err := parseLaunchdKind(string(s.Launchd), true); err != nil {
		return fmt.Errorf("service definition: %w", err)
	}
	if s.Launchd == LaunchAgent && s.User == "" {
		return specError("launchd", "user", "root", "a LaunchAgent runs in a user's GUI session: give --user, not --allow-root")
	}
	return nil
}

func checkText(field, v string) error {
	if !utf8.ValidString(v) {
		return specError("all", field, v, "not valid UTF-8")
	}
	// bootstrap/runner.CheckText refuses the same for the flags; the
	// renderers check again: no caller can hand them a newline.
	if strings.ContainsFunc(v, platform.ControlRune) {
		return specError("all", field, v, "a control character cannot be in a service definition")
	}
	return nil
}

// CheckSpec reports whether s can be installed as a service on this host
// (the definition of the manager in use renders): the error names the
// value and why. Install checks it too, before anything is written.
func CheckSpec(s platform.ServiceSpec) error {
	if err := checkSpec(s); err != nil {
		return err
	}
	if _, err := ParseLaunchdKind(string(s.Launchd)); err != nil {
		return fmt.Errorf("service definition: %w", err)
	}
	return checkDefinition(s)
}

// Check is CheckSpec, for the pipeline (which sees the service package
// through its ServiceManager interface only): a spec made from the
// flags is checked before anything is registered.
func (m *Manager) Check(s platform.ServiceSpec) error { return CheckSpec(s) }

// noTemplate refuses a rendered definition that kardianos' template
// engine would change (see above): the renderers' own text has no "{{",
// so this only finds a value with "{{" in a field without an escape.
func noTemplate(format, text string) error {
	if strings.Contains(text, "{{") {
		return fmt.Errorf("service definition (%s): a value holds \"{{\", which kardianos would take for a template action and the format cannot escape", format)
	}
	return nil
}

// checkUnix is checkSpec for a Unix format, which also wants an absolute
// executable and directory: systemd takes a leading -@:+! of ExecStart=
// for a prefix and ~ in WorkingDirectory= for the home directory, and the
// init script would run a relative one from the runner directory.
func checkUnix(format string, s platform.ServiceSpec) error {
	if err := checkSpec(s); err != nil {
		return err
	}
	for _, f := range [][2]string{{"executable", s.Executable}, {"directory", s.Dir}} {
		if !strings.HasPrefix(f[1], "/") {
			return specError(format, f[0], f[1], "not an absolute path")
		}
	}
	return nil
}

// systemdWord quotes a word of ExecStart= (systemd.service(5), "Command
// lines"): bare when it holds nothing systemd or kardianos reads, else in
// double quotes with \ and " escaped by a backslash, $ as $$ (no variable
// expansion), % as %% (no specifier) and { as \x7b (no "{{").
func systemdWord(s string) string {
	if s != "" && !strings.ContainsAny(s, " \"'\\$%;{") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `$$`, `%`, `%%`, `{`, `\x7b`)
	return `"` + r.Replace(s) + `"`
}

// systemdValue escapes a setting that takes its value as it is
// (Description=, WorkingDirectory=, User=): specifiers are expanded (%
// becomes %%), and nothing else can be escaped, so what systemd would
// change is refused: blanks at either end (trimmed), a final backslash
// (it joins the next line), "{{" (kardianos).
func systemdValue(field, v string) (string, error) {
	switch {
	case strings.TrimSpace(v) != v:
		return "", specError("systemd", field, v, "systemd trims blanks at either end of a value")
	case strings.HasSuffix(v, `\`):
		return "", specError("systemd", field, v, "a final backslash continues a systemd line")
	case strings.Contains(v, "{{"):
		return "", specError("systemd", field, v, `"{{" would be a kardianos template action`)
	}
	return strings.ReplaceAll(v, "%", "%%"), nil
}

// SystemdUnit renders the unit: after the network is up, restarted when
// runnerctl run fails (not when the listener stopped for good: exit
// ExitNoRestart), SIGTERM to runnerctl run only.
//
// KillMode=mixed, not the official unit's KillMode=process: SIGTERM goes
// to runnerctl run alone (which turns it into the listener's graceful
// SIGINT), and once runnerctl run has exited systemd SIGKILLs whatever is
// left in the unit's cgroup, so that a job's background processes, even
// those that left the listener's process group (setsid, daemons), never
// outlive the service (with KillMode=process they stay until the next
// boot). What this would kill half-way is a self-update's _update.sh,
// which the listener starts in its group and which swaps bin/ after the
// listener exits: runnerctl run therefore never exits while one is in
// progress; on a stop it waits for update.finished (Supervisor.Run,
// bounded by its UpdateWait, well within TimeoutStopSec) and only then
// ends the listener's group and exits. The remaining risk is runnerctl
// run itself dying (SIGKILL, a crash) in the seconds an update takes.
func SystemdUnit(s platform.ServiceSpec) (string, error) {
	if err := checkUnix("systemd", s); err != nil {
		return "", err
	}
	if path.Clean(s.Dir) != s.Dir {
		return "", specError("systemd", "directory", s.Dir, "not a clean path (systemd would simplify it)")
	}
	desc, err := systemdValue("display name", s.DisplayName)
	if err != nil {
		return "", err
	}
	dir, err := systemdValue("directory", s.Dir)
	if err != nil {
		return "", err
	}
	user, err := systemdValue("user", s.User)
	if err != nil {
		return "", err
	}
	line := func(args []string) string {
		cmd := []string{systemdWord(s.Executable)}
		for _, a := range args {
			cmd = append(cmd, systemdWord(a))
		}
		return strings.Join(cmd, " ")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[Unit]\nDescription=%s\nDocumentation=https://github.com/runnerctl/runnerctl\n", desc)
	b.WriteString("After=network-online.target\nWants=network-online.target\nStartLimitIntervalSec=0\n\n")
	fmt.Fprintf(&b, "[Service]\nType=simple\nExecStart=%s\nWorkingDirectory=%s\n", line(s.Args), dir)
	// The root steps around the supervisor ("+": full privileges, not
	// User=): a re-registration before every start, which waits and
	// retries as long as the server refuses (no start timeout), and the
	// step after the supervisor exited, which reads $EXIT_STATUS.
	restartSec, noRestart := 15, fmt.Sprint(ExitNoRestart)
	if len(s.PreStart) > 0 {
		fmt.Fprintf(&b, "ExecStartPre=+%s\nTimeoutStartSec=infinity\n", line(s.PreStart))
		restartSec = 1 // the ephemeral-done exit: the next registration at once
	}
	if len(s.AfterExit) > 0 {
		fmt.Fprintf(&b, "ExecStopPost=+%s\nSuccessExitStatus=%d\n", line(s.AfterExit), ExitEphemeralDone)
		noRestart += fmt.Sprintf(" %d", ExitEphemeralDone)
	}
	if user != "" {
		fmt.Fprintf(&b, "User=%s\n", user)
	}
	// The supervisor's status file (StatusDir), made for User= and kept
	// after a stop so that status can say how it ended.
	fmt.Fprintf(&b, "RuntimeDirectory=runnerctl/%s\nRuntimeDirectoryPreserve=yes\n", s.Name)
	fmt.Fprintf(&b, "KillMode=mixed\nKillSignal=SIGTERM\nTimeoutStopSec=%d\n", stopTimeoutSec)
	fmt.Fprintf(&b, "Restart=on-failure\nRestartSec=%d\nRestartPreventExitStatus=%s\n", restartSec, noRestart)
	b.WriteString("\n[Install]\nWantedBy=multi-user.target\n")
	return b.String(), noTemplate("systemd", b.String())
}

// shQuote quotes a word for sh: in single quotes, where a quote closes
// them, stands escaped and opens them again, and a { is followed by an
// empty quoted string (two quotes), so that no "{{" is left for kardianos.
func shQuote(s string) string {
	return "'" + strings.NewReplacer("'", `'\''`, "{", "{''").Replace(s) + "'"
}

// sysvPath is the init script's PATH and the supervisor's: the system
// directories, whatever the caller's PATH.
const sysvPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// SysVScript renders an LSB init script. Unlike kardianos' template it
// says Provides: NAME (not a path), answers status with the LSB codes (0
// running, 3 stopped) and gives the supervisor time to stop the listener
// gracefully before it kills it. Every value is a quoted shell word, in
// the header comments too.
//
// The supervisor runs as s.User, as systemd's User= runs it: the root
// shell opens the logs (root's), makes the supervisor's status directory
// (the user's, as RuntimeDirectory=), and setpriv (util-linux) takes the
// user's uid, gid and groups and execs runnerctl, so the pid file holds
// the supervisor's pid; the environment is a clean one (env -i). Without
// setpriv the service does not start (su and runuser stay as a root
// parent that turns SIGTERM into SIGKILL, and start-stop-daemon is
// Debian's, which has setpriv). With s.User "" (--allow-root) it runs as
// root.
func SysVScript(s platform.ServiceSpec) (string, error) {
	if err := checkUnix("SysV", s); err != nil {
		return "", err
	}
	statusDir, err := StatusDir(s.Name)
	if err != nil {
		return "", err
	}
	line := func(args []string) string {
		cmd := []string{shQuote(s.Executable)}
		for _, a := range args {
			cmd = append(cmd, shQuote(a))
		}
		return strings.Join(cmd, " ")
	}
	cmd := []string{line(s.Args)}
	launch, loop := sysvLaunch(cmd[0]), ""
	if len(s.PreStart) > 0 || len(s.AfterExit) > 0 {
		launch, loop = sysvLoopLaunch, sysvLoop(cmd[0], line(s.PreStart), line(s.AfterExit), len(s.PreStart) > 0, len(s.AfterExit) > 0)
	}
	text := fmt.Sprintf(`#!/bin/sh
# Installed by runnerctl: %[2]s
### BEGIN INIT INFO
# Provides:          %[1]s
# Required-Start:    $network $remote_fs
# Required-Stop:     $network $remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: %[2]s
# Description:       %[3]s
### END INIT INFO

PATH=%[9]s
export PATH
name=%[4]s
user=%[5]s
run_dir=%[6]s
status_dir=%[7]s
pid_file="/var/run/$name.pid"
stdout_log="/var/log/$name.log"
stderr_log="/var/log/$name.err"

is_running() {
    [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}
%[14]s
case "$1" in
    start)
        if is_running; then
            echo "Already started"
            exit 0
        fi
        echo "Starting $name"
        cd %[8]s || exit 1
        uid=0 gid=0 home=/root login=root
        set --
        if [ -n "$user" ]; then
            if ! setpriv=$(command -v setpriv); then
                echo "Unable to start: setpriv (util-linux) is not installed, and $name runs as $user"
                exit 1
            fi
            IFS=: read -r login x uid gid x home x <<EOF
$(getent passwd "$user")
EOF
            if [ "$login" != "$user" ] || [ -z "$uid" ] || [ -z "$gid" ]; then
                echo "Unable to start: no user $user"
                exit 1
            fi
            set -- "$setpriv" --reuid="$uid" --regid="$gid" --init-groups --
        fi
        # The supervisor's status directory, as systemd's RuntimeDirectory=
        # makes it: its user's, in root's $run_dir.
        mkdir -p -m 0755 "$run_dir" || exit 1
        if [ -L "$status_dir" ]; then
            rm -f "$status_dir"
        fi
        if [ ! -d "$status_dir" ]; then
            mkdir -m 0755 "$status_dir" || exit 1
        fi
        chown "$uid:$gid" "$status_dir" && chmod 0755 "$status_dir" || exit 1
%[13]s
        sleep 0.2
        if ! is_running; then
            echo "Unable to start, see $stdout_log and $stderr_log"
            rm -f "$pid_file"
            exit 1
        fi
        ;;
    stop)
        if is_running; then
            pid=$(cat "$pid_file")
            echo "Stopping $name"
            kill -TERM "$pid"
            # The supervisor stops the listener (SIGINT to its pid, as
            # the official wrapper), waits for a self-update in progress
            # to finish and ends what the listener left in its process
            # group: give it the same time as systemd's TimeoutStopSec.
            # Only the supervisor is ever killed here, never its group:
            # an _update.sh is not cut short.
            i=0
            while kill -0 "$pid" 2>/dev/null && [ $i -lt %[11]d ]; do
                sleep 0.1
                i=$((i+1))
            done
            if kill -0 "$pid" 2>/dev/null; then
                echo "Not stopped after %[12]d s: killing $pid"
                kill -KILL "$pid"
            fi
        fi
        rm -f "$pid_file"
        echo "Stopped"
        ;;
    restart)
        "$0" stop
        "$0" start
        ;;
    status)
        if is_running; then
            echo "Running"
            exit 0
        fi
        echo "Stopped"
        exit 3
        ;;
    *)
        echo "Usage: $0 {start|stop|restart|status}"
        exit 2
        ;;
esac
exit 0
`, s.Name, shQuote(s.DisplayName), shQuote(s.Description), shQuote(s.Name), shQuote(s.User), shQuote(filepath.Dir(statusDir)), shQuote(statusDir),
		shQuote(s.Dir), sysvPath, strings.Join(cmd, " "), stopTimeoutSec*10, stopTimeoutSec, launch, loop)
	return text, noTemplate("SysV", text)
}

// sysvLaunch starts the supervisor (cmd, a quoted command line) as the
// runner user; the pid file holds its pid.
func sysvLaunch(cmd string) string {
	return `        env -i PATH="$PATH" LANG=C.UTF-8 HOME="$home" USER="$login" LOGNAME="$login" \
            "$@" ` + cmd + ` >> "$stdout_log" 2>> "$stderr_log" &
        echo $! > "$pid_file"`
}

// sysvLoopLaunch starts the root loop of an ephemeral runner (sysvLoop);
// the pid file holds the loop's pid, which a stop signals.
// The redirections are exec's: the shell would keep the caller's output
// open in a saved descriptor around a function call, and the service
// manager waits for it to close.
const sysvLoopLaunch = `        (exec >> "$stdout_log" 2>> "$stderr_log" < /dev/null; supervise "$@") &
        echo $! > "$pid_file"`

// sysvLoop is the root loop of an ephemeral runner's init script: what
// systemd does with ExecStartPre=+, ExecStopPost=+ and Restart= for
// ExitEphemeralDone. The supervisor runs as the runner user (setpriv,
// "$@") and never holds a credential; the loop stays root and runs
// runnerctl's root steps around it: pre (the re-registration, before
// every start; a failure is tried again after 15 s) and after (given
// the supervisor's exit status). A stop (SIGTERM to the loop) goes on to
// the step or supervisor running and ends the loop. pre and after are
// quoted command lines, and so is cmd, the supervisor's.
func sysvLoop(cmd, pre, after string, hasPre, hasAfter bool) string {
	preBlock, afterBlock, again := "", "", "false"
	if hasPre {
		preBlock = `        ` + pre + ` &
        child=$!
        wait_child
        [ -z "$stopping" ] || break
        if [ "$code" -ne 0 ]; then
            sleep 15
            continue
        fi
`
		again = `[ "$code" -eq ` + fmt.Sprint(ExitEphemeralDone) + ` ]`
	}
	if hasAfter {
		afterBlock = `        ` + after + ` --exit-status "$code"
`
	}
	return `
# The root loop of an ephemeral runner (--on-ephemeral-exit): see sysvLoop.
child=
stopping=
code=0
wait_child() {
    while :; do
        wait "$child"
        code=$?
        kill -0 "$child" 2>/dev/null || return 0
    done
}
supervise() {
    trap 'stopping=1; kill -TERM "$child" 2>/dev/null' TERM
    while [ -z "$stopping" ]; do
` + preBlock + `        env -i PATH="$PATH" LANG=C.UTF-8 HOME="$home" USER="$login" LOGNAME="$login" \
            "$@" ` + cmd + ` &
        child=$!
        wait_child
` + afterBlock + `        [ -z "$stopping" ] && ` + again + ` || break
    done
}
`
}

// noRootSteps refuses root steps around the supervisor where the format
// has no place for them: a LaunchDaemon's UserName and the Windows
// service account apply to the whole service, and launchd and the SCM
// run nothing before or after it as another account. So
// --on-ephemeral-exit reregister and shutdown are systemd's and SysV's.
func noRootSteps(format string, s platform.ServiceSpec) error {
	if len(s.PreStart) > 0 || len(s.AfterExit) > 0 {
		return fmt.Errorf("service definition (%s): --on-ephemeral-exit reregister or shutdown needs a step run as root around the runner user's service, which %s cannot run: use stop", format, format)
	}
	return nil
}

// xmlText escapes s as XML character data, with { as &#123; (no "{{").
// XML 1.0 has no way to write most control characters (checkSpec refuses
// them) nor U+FFFE and U+FFFF: refused.
func xmlText(field, s string) (string, error) {
	if strings.ContainsAny(s, "\uFFFE\uFFFF") {
		return "", specError("launchd", field, s, "U+FFFE and U+FFFF cannot be in XML")
	}
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return strings.ReplaceAll(b.String(), "{", "&#123;"), nil
}

// LaunchdKind is platform.LaunchdKind, for the renderers here.
type LaunchdKind = platform.LaunchdKind

const (
	LaunchDaemon = platform.LaunchDaemon
	LaunchAgent  = platform.LaunchAgent
)

// ParseLaunchdKind reads the value of a --launchd flag: "daemon" (or
// "") or "agent", which only macOS has (launchAgentHost).
func ParseLaunchdKind(v string) (LaunchdKind, error) { return parseLaunchdKind(v, launchAgentHost) }

func parseLaunchdKind(v string, agents bool) (LaunchdKind, error) {
	switch LaunchdKind(v) {
	case "", LaunchDaemon:
		return LaunchDaemon, nil
	case LaunchAgent:
		if !agents {
			return "", errors.New("--launchd agent: a LaunchAgent is macOS's: this host has no launchd")
		}
		return LaunchAgent, nil
	}
	return "", fmt.Errorf("--launchd %q: want daemon or agent", v)
}

// LaunchdPlistPath is where the job's plist goes: /Library/LaunchDaemons
// for a daemon, the user's ~/Library/LaunchAgents for an agent (home is
// the runner user's home directory; unused for a daemon).
func LaunchdPlistPath(kind LaunchdKind, name, home string) string {
	if kind == LaunchAgent {
		return path.Join(home, "Library/LaunchAgents", name+".plist")
	}
	return "/Library/LaunchDaemons/" + name + ".plist"
}

// LaunchAgentLogDir is an agent's log directory, as svc.sh's:
// ~/Library/Logs/NAME, with stdout.log and stderr.log. launchd does not
// make it: the installer does, as the user, before the agent is loaded.
func LaunchAgentLogDir(name, home string) string { return path.Join(home, "Library/Logs", name) }

// LaunchdPlist renders a LaunchDaemon (system-wide, runs without a login,
// unlike the official svc.sh's LaunchAgent): UserName, RunAtLoad and
// KeepAlive{SuccessfulExit=false} so a failed runnerctl run is started
// again. launchd cannot exempt one exit status from KeepAlive, so
// runnerctl run exits 0, not ExitNoRestart, under launchd when the runner
// stopped for good (Run), and says why in its status file.
func LaunchdPlist(s platform.ServiceSpec) (string, error) { return launchdPlist(s, LaunchDaemon, "") }

// LaunchAgentPlist renders a LaunchAgent for s.User's GUI session, loaded
// from LaunchdPlistPath(LaunchAgent, s.Name, home) with `launchctl
// bootstrap gui/UID`: the keys of the official actions.runner.plist.template
// (no UserName: an agent runs as the session's user; ProcessType
// Interactive, SessionCreate, logs in LaunchAgentLogDir), with our
// RunAtLoad, KeepAlive and ExitTimeOut. home is s.User's home directory.
func LaunchAgentPlist(s platform.ServiceSpec, home string) (string, error) {
	if !strings.HasPrefix(home, "/") || path.Clean(home) != home {
		return "", specError("launchd", "home directory", home, "not a clean absolute path")
	}
	if err := checkText("home directory", home); err != nil {
		return "", err
	}
	return launchdPlist(s, LaunchAgent, home)
}

func launchdPlist(s platform.ServiceSpec, kind LaunchdKind, home string) (string, error) {
	if err := checkUnix("launchd", s); err != nil {
		return "", err
	}
	if err := noRootSteps("launchd", s); err != nil {
		return "", err
	}
	var b strings.Builder
	var err error
	str := func(field, v string) string {
		x, e := xmlText(field, v)
		if err == nil {
			err = e
		}
		return "<string>" + x + "</string>"
	}
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
`)
	fmt.Fprintf(&b, "\t<key>Label</key>\n\t%s\n", str("name", s.Name))
	b.WriteString("\t<key>ProgramArguments</key>\n\t<array>\n")
	fmt.Fprintf(&b, "\t\t%s\n", str("executable", s.Executable))
	for _, a := range s.Args {
		fmt.Fprintf(&b, "\t\t%s\n", str("argument", a))
	}
	b.WriteString("\t</array>\n")
	if s.User != "" && kind == LaunchDaemon {
		fmt.Fprintf(&b, "\t<key>UserName</key>\n\t%s\n", str("user", s.User))
	}
	fmt.Fprintf(&b, "\t<key>WorkingDirectory</key>\n\t%s\n", str("directory", s.Dir))
	b.WriteString("\t<key>RunAtLoad</key>\n\t<true/>\n")
	b.WriteString("\t<key>KeepAlive</key>\n\t<dict>\n\t\t<key>SuccessfulExit</key>\n\t\t<false/>\n\t</dict>\n")
	fmt.Fprintf(&b, "\t<key>ExitTimeOut</key>\n\t<integer>%d</integer>\n", stopTimeoutSec)
	if kind == LaunchAgent {
		logs := LaunchAgentLogDir(s.Name, home)
		fmt.Fprintf(&b, "\t<key>StandardOutPath</key>\n\t%s\n", str("home directory", logs+"/stdout.log"))
		fmt.Fprintf(&b, "\t<key>StandardErrorPath</key>\n\t%s\n", str("home directory", logs+"/stderr.log"))
		b.WriteString("\t<key>EnvironmentVariables</key>\n\t<dict>\n\t\t<key>ACTIONS_RUNNER_SVC</key>\n\t\t<string>1</string>\n\t</dict>\n")
		b.WriteString("\t<key>ProcessType</key>\n\t<string>Interactive</string>\n")
		b.WriteString("\t<key>SessionCreate</key>\n\t<true/>\n")
	} else {
		fmt.Fprintf(&b, "\t<key>StandardOutPath</key>\n\t<string>/var/log/%s.log</string>\n", s.Name)
		fmt.Fprintf(&b, "\t<key>StandardErrorPath</key>\n\t<string>/var/log/%s.log</string>\n", s.Name)
	}
	b.WriteString("</dict>\n</plist>\n")
	if err != nil {
		return "", err
	}
	return b.String(), noTemplate("launchd", b.String())
}

// WindowsAccount is the default service account, as config.cmd's.
const WindowsAccount = platform.WindowsServiceAccount

// WindowsSettings is what is asked of the SCM on Windows.
type WindowsSettings struct {
	Name, DisplayName, Description string
	BinaryPath                     string
	Args                           []string
	// CommandLine is the service's command line as the SCM keeps it
	// (BinaryPathName): BinaryPath and Args quoted as the Windows
	// x/sys/windows/svc/mgr.CreateService quotes them (windowsArg).
	CommandLine      string
	Account          string
	StartType        string // "automatic"
	DelayedAutoStart bool
	// OnFailure restarts the service after RestartDelay when runnerctl run
	// fails; the failure count resets after ResetPeriodSec.
	OnFailure      string
	RestartDelay   string
	ResetPeriodSec int
}

// windowsArg quotes a command-line word as syscall.EscapeArg does (which
// mgr.CreateService applies to kardianos' Arguments), by the rules of
// CommandLineToArgvW and the C runtime: in double quotes when it holds a
// blank or is empty; a " as \", and the backslashes before a " or before
// the closing quote doubled. Written out here so that it is the same on
// every OS (tests) and the installed command line can be compared.
func windowsArg(s string) string {
	if s == "" {
		return `""`
	}
	if !strings.ContainsAny(s, "\" \t\\") {
		return s
	}
	quote := strings.ContainsAny(s, " \t")
	var b strings.Builder
	if quote {
		b.WriteByte('"')
	}
	slashes := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, slashes+1))
			slashes = 0
		default:
			slashes = 0
		}
		b.WriteByte(s[i])
	}
	if quote {
		b.WriteString(strings.Repeat(`\`, slashes) + `"`)
	}
	return b.String()
}

// windowsCommandLine is the command line the SCM keeps for s. The SCM
// keeps it as REG_EXPAND_SZ and expands %NAME% when it starts the
// service, and nothing escapes a %: refused. The program name (argv[0])
// is read up to the next quote, without backslash rules: a " in it, or a
// final backslash when it is quoted, cannot round-trip: refused.
func windowsCommandLine(s platform.ServiceSpec) (string, error) {
	exe := windowsArg(s.Executable)
	if strings.Contains(s.Executable, `"`) || (strings.HasPrefix(exe, `"`) && strings.HasSuffix(s.Executable, `\`)) {
		return "", specError("Windows", "executable", s.Executable, `a " or a final backslash cannot be in the program name`)
	}
	words := []string{exe}
	for _, a := range s.Args {
		words = append(words, windowsArg(a))
	}
	for _, w := range words {
		if strings.Contains(w, "%") {
			return "", specError("Windows", "command line", w, "the service manager expands %NAME% in a command line and has no escape for %")
		}
	}
	return strings.Join(words, " "), nil
}

// Windows returns the SCM settings for s.
func Windows(s platform.ServiceSpec) (WindowsSettings, error) {
	if err := checkSpec(s); err != nil {
		return WindowsSettings{}, err
	}
	if err := noRootSteps("Windows", s); err != nil {
		return WindowsSettings{}, err
	}
	line, err := windowsCommandLine(s)
	if err != nil {
		return WindowsSettings{}, err
	}
	w := windowsSCM(s)
	w.CommandLine = line
	return w, nil
}

// windowsSCM is Windows without the command line: the account, start
// type and recovery actions, for any spec (a name-only one too).
func windowsSCM(s platform.ServiceSpec) WindowsSettings {
	acct := s.User
	if acct == "" {
		acct = WindowsAccount
	}
	return WindowsSettings{Name: s.Name, DisplayName: s.DisplayName, Description: s.Description,
		BinaryPath: s.Executable, Args: s.Args, Account: acct, StartType: "automatic", DelayedAutoStart: true,
		OnFailure: "restart", RestartDelay: "10s", ResetPeriodSec: 86400}
}
