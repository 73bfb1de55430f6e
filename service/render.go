package service

import (
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/runnerctl/runnerctl/platform"
)

// StopTimeout bounds a service stop: the supervisor gives the listener 30 s
// to cancel a running job (its own bound on SIGTERM) and then kills it.
const stopTimeoutSec = 300

// ExitNoRestart is the exit status of `runnerctl run` that asks the
// service manager not to restart it: the listener stopped for good
// (not configured, session conflict). It is runnerctl's exit code for a
// runner configuration failure.
const ExitNoRestart = 6

// systemdQuote quotes a word for ExecStart= when it needs it.
func systemdQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"'\\$%;") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `$$`, `%`, `%%`)
	return `"` + r.Replace(s) + `"`
}

// SystemdUnit renders the unit: after the network is up, restarted when
// runnerctl run fails (not when the listener stopped for good), SIGTERM
// to runnerctl run only (KillMode=mixed: it turns it into the listener's
// graceful SIGINT) and SIGKILL to the whole cgroup if it is not done in
// TimeoutStopSec.
func SystemdUnit(s platform.ServiceSpec) string {
	var b strings.Builder
	cmd := []string{systemdQuote(s.Executable)}
	for _, a := range s.Args {
		cmd = append(cmd, systemdQuote(a))
	}
	fmt.Fprintf(&b, "[Unit]\nDescription=%s\nDocumentation=https://github.com/runnerctl/runnerctl\n", s.DisplayName)
	b.WriteString("After=network-online.target\nWants=network-online.target\nStartLimitIntervalSec=0\n\n")
	// WorkingDirectory= takes a plain path: only % (specifiers) is escaped.
	fmt.Fprintf(&b, "[Service]\nType=simple\nExecStart=%s\nWorkingDirectory=%s\n", strings.Join(cmd, " "), strings.ReplaceAll(s.Dir, "%", "%%"))
	if s.User != "" {
		fmt.Fprintf(&b, "User=%s\n", s.User)
	}
	// The supervisor's status file (StatusDir), made for User= and kept
	// after a stop so that status can say how it ended.
	fmt.Fprintf(&b, "RuntimeDirectory=runnerctl/%s\nRuntimeDirectoryPreserve=yes\n", s.Name)
	fmt.Fprintf(&b, "KillMode=mixed\nKillSignal=SIGTERM\nTimeoutStopSec=%d\n", stopTimeoutSec)
	fmt.Fprintf(&b, "Restart=on-failure\nRestartSec=15\nRestartPreventExitStatus=%d\n", ExitNoRestart)
	b.WriteString("\n[Install]\nWantedBy=multi-user.target\n")
	return b.String()
}

// shQuote quotes a word for sh.
func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// SysVScript renders an LSB init script. Unlike kardianos' template it
// says Provides: NAME (not a path), answers status with the LSB codes (0
// running, 3 stopped) and gives the supervisor time to stop the listener
// gracefully before it kills it.
func SysVScript(s platform.ServiceSpec) string {
	cmd := []string{shQuote(s.Executable)}
	for _, a := range s.Args {
		cmd = append(cmd, shQuote(a))
	}
	return fmt.Sprintf(`#!/bin/sh
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

name=%[1]s
pid_file="/var/run/$name.pid"
stdout_log="/var/log/$name.log"
stderr_log="/var/log/$name.err"

is_running() {
    [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

case "$1" in
    start)
        if is_running; then
            echo "Already started"
            exit 0
        fi
        echo "Starting $name"
        cd %[4]s || exit 1
        %[5]s >> "$stdout_log" 2>> "$stderr_log" &
        echo $! > "$pid_file"
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
            i=0
            while kill -0 "$pid" 2>/dev/null && [ $i -lt 400 ]; do
                sleep 0.1
                i=$((i+1))
            done
            if kill -0 "$pid" 2>/dev/null; then
                echo "Not stopped after 40 s: killing $pid"
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
`, s.Name, s.DisplayName, s.Description, shQuote(s.Dir), strings.Join(cmd, " "))
}

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// LaunchdPlist renders a LaunchDaemon (system-wide, runs without a login,
// unlike the official svc.sh's LaunchAgent): UserName, RunAtLoad and
// KeepAlive so a failed runnerctl run is started again.
func LaunchdPlist(s platform.ServiceSpec) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
`)
	fmt.Fprintf(&b, "\t<key>Label</key>\n\t<string>%s</string>\n", xmlText(s.Name))
	b.WriteString("\t<key>ProgramArguments</key>\n\t<array>\n")
	for _, a := range append([]string{s.Executable}, s.Args...) {
		fmt.Fprintf(&b, "\t\t<string>%s</string>\n", xmlText(a))
	}
	b.WriteString("\t</array>\n")
	if s.User != "" {
		fmt.Fprintf(&b, "\t<key>UserName</key>\n\t<string>%s</string>\n", xmlText(s.User))
	}
	fmt.Fprintf(&b, "\t<key>WorkingDirectory</key>\n\t<string>%s</string>\n", xmlText(s.Dir))
	b.WriteString("\t<key>RunAtLoad</key>\n\t<true/>\n")
	b.WriteString("\t<key>KeepAlive</key>\n\t<dict>\n\t\t<key>SuccessfulExit</key>\n\t\t<false/>\n\t</dict>\n")
	fmt.Fprintf(&b, "\t<key>ExitTimeOut</key>\n\t<integer>%d</integer>\n", stopTimeoutSec)
	fmt.Fprintf(&b, "\t<key>StandardOutPath</key>\n\t<string>/var/log/%s.log</string>\n", xmlText(s.Name))
	fmt.Fprintf(&b, "\t<key>StandardErrorPath</key>\n\t<string>/var/log/%s.log</string>\n", xmlText(s.Name))
	b.WriteString("</dict>\n</plist>\n")
	return b.String()
}

// WindowsAccount is the default service account, as config.cmd's.
const WindowsAccount = `NT AUTHORITY\NETWORK SERVICE`

// WindowsSettings is what is asked of the SCM on Windows.
type WindowsSettings struct {
	Name, DisplayName, Description string
	BinaryPath                     string
	Args                           []string
	Account                        string
	StartType                      string // "automatic"
	DelayedAutoStart               bool
	// OnFailure restarts the service after RestartDelay when runnerctl run
	// fails; the failure count resets after ResetPeriodSec.
	OnFailure      string
	RestartDelay   string
	ResetPeriodSec int
}

// Windows returns the SCM settings for s.
func Windows(s platform.ServiceSpec) WindowsSettings {
	acct := s.User
	if acct == "" {
		acct = WindowsAccount
	}
	return WindowsSettings{Name: s.Name, DisplayName: s.DisplayName, Description: s.Description,
		BinaryPath: s.Executable, Args: s.Args, Account: acct, StartType: "automatic", DelayedAutoStart: true,
		OnFailure: "restart", RestartDelay: "10s", ResetPeriodSec: 86400}
}
