package service

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/runnerctl/runnerctl/platform"
)

// Supervisor states, as the supervisor reports them in its status file.
const (
	SupStarting    = "starting"    // the listener is starting
	SupListening   = "listening"   // the listener said "Listening for Jobs"
	SupRelaunching = "relaunching" // the listener exited; it is started again after a pause
	SupStopped     = "stopped"     // the supervisor is done (see Message)
)

// SupervisorStatus is what `runnerctl run` says about itself, written to
// its status file at every change: the local signal that the listener is
// listening (install waits for it before asking the API), and the last
// exit of the listener and of the supervisor itself (status shows them).
// It is informational: written by the supervisor, which runs as the runner
// user under systemd and launchd, it decides nothing as root.
type SupervisorStatus struct {
	PID   int       `json:"pid"` // runnerctl run
	State string    `json:"state"`
	Since time.Time `json:"since"`
	// Started is when the supervisor started; ListenerStarted when the
	// current listener did (its uptime).
	Started         time.Time `json:"started,omitzero"`
	ListenerPID     int       `json:"listener_pid,omitempty"`
	ListenerStarted time.Time `json:"listener_started,omitzero"`
	LastExit        string    `json:"last_exit,omitempty"` // "exit 2 (retryable)", "killed by a signal"
	// LastExitCode is the listener's last exit status (-1: killed by a
	// signal); nil before its first exit.
	LastExitCode *int   `json:"last_exit_code,omitempty"`
	Restarts     int    `json:"restarts"`
	Message      string `json:"message,omitempty"`
	// JobsRun counts the jobs the listener said it finished ("Job X
	// completed with result: Y") since the supervisor started; CurrentJob
	// is the one it said it runs ("Running job: X"), "" when idle.
	JobsRun    int    `json:"jobs_run"`
	CurrentJob string `json:"current_job,omitempty"`
	// LastError is the last error line of the listener's output ("An
	// error occurred: ...") or the supervisor's own last error.
	LastError string `json:"last_error,omitempty"`
	// RunnerVersion is the version the listener last said it runs
	// ("Current runner version: '2.336.9'"): after a self-update it is no
	// longer the installed package's.
	RunnerVersion string `json:"runner_version,omitempty"`
}

// String describes the status for people: "listening since
// 2026-11-25T10:02:03Z (pid 42, listener 43), 2 restarts, last listener
// exit: exit 2". The file is written by the supervisor, which runs as the
// runner user under systemd and launchd: its text fields are shown with
// control characters replaced and cut to a sane length.
func (s *SupervisorStatus) String() string {
	if s == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s since %s (pid %d", printable(s.State, 20), s.Since.UTC().Format(time.RFC3339), s.PID)
	if s.ListenerPID != 0 {
		fmt.Fprintf(&b, ", listener %d", s.ListenerPID)
		if !s.ListenerStarted.IsZero() {
			fmt.Fprintf(&b, " up %s", time.Since(s.ListenerStarted).Round(time.Second))
		}
	}
	b.WriteString(")")
	if s.RunnerVersion != "" {
		fmt.Fprintf(&b, ", runner %s", printable(s.RunnerVersion, 40))
	}
	if s.Restarts > 0 {
		fmt.Fprintf(&b, ", %d restarts", s.Restarts)
	}
	if s.LastExit != "" {
		fmt.Fprintf(&b, ", last listener exit: %s", printable(s.LastExit, 60))
	}
	fmt.Fprintf(&b, ", %d jobs run", s.JobsRun)
	if s.CurrentJob != "" {
		fmt.Fprintf(&b, ", running job %s", printable(s.CurrentJob, 100))
	}
	if s.LastError != "" {
		fmt.Fprintf(&b, ", last error: %s", printable(s.LastError, 300))
	}
	if s.Message != "" {
		fmt.Fprintf(&b, ": %s", printable(s.Message, 300))
	}
	return b.String()
}

// view is what status shows of s; current: s is the running
// supervisor's (else the listener's pid and uptime are not shown).
func (s *SupervisorStatus) view(current bool) *platform.SupervisorView {
	v := &platform.SupervisorView{State: printable(s.State, 20), Current: current, Restarts: s.Restarts,
		LastExit: printable(s.LastExit, 60), JobsRun: s.JobsRun, CurrentJob: printable(s.CurrentJob, 100), LastError: printable(s.LastError, 300)}
	if s.LastExitCode != nil {
		c := *s.LastExitCode
		v.LastExitCode = &c
	}
	if current && s.ListenerPID != 0 {
		v.ListenerPID, v.ListenerStarted = s.ListenerPID, s.ListenerStarted
		if !s.ListenerStarted.IsZero() {
			v.UptimeSeconds = int64(time.Since(s.ListenerStarted).Seconds())
		}
	}
	if !current {
		v.CurrentJob = ""
	}
	return v
}

// printable replaces control characters (a terminal escape) with '?' and
// cuts s to max runes.
func printable(s string, max int) string {
	r := []rune(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return '?'
		}
		return r
	}, s))
	if len(r) > max {
		return string(r[:max]) + "..."
	}
	return string(r)
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// StatusDir is the directory of service name's supervisor status file
// (platform.RunDir()/NAME; systemd's RuntimeDirectory= creates it for the
// service user). name must be a service name as Name makes them.
func StatusDir(name string) (string, error) {
	if !validName.MatchString(name) || len(name) > 255 {
		return "", fmt.Errorf("service name %q: not a runnerctl service name", name)
	}
	return filepath.Join(platform.RunDir(), name), nil
}

// StatusFile is the supervisor status file of service name.
func StatusFile(name string) (string, error) {
	d, err := StatusDir(name)
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "status.json"), nil
}

// ReadSupervisorStatus reads the status file of service name: nil when
// there is none. It does not follow a link in the file's place and reads
// at most 64 KiB.
func ReadSupervisorStatus(name string) (*SupervisorStatus, error) {
	p, err := StatusFile(name)
	if err != nil {
		return nil, err
	}
	return readStatusFile(p)
}

func readStatusFile(p string) (*SupervisorStatus, error) {
	var s SupervisorStatus
	found, err := platform.ReadUntrustedJSON(p, 64<<10, &s)
	if err != nil {
		return nil, fmt.Errorf("read supervisor status: %w", err)
	}
	if !found {
		return nil, nil
	}
	return &s, nil
}

// statusWriter keeps the supervisor's status (for the metrics endpoint)
// and its status file; a nil one keeps nothing, one with no path writes
// no file.
type statusWriter struct {
	path string
	mu   sync.Mutex
	s    SupervisorStatus
}

// update changes the status with f and writes it (temporary file and
// rename, in a directory only the supervisor's user writes). A failure is
// returned for logging: the supervisor goes on without its status file.
func (w *statusWriter) update(f func(*SupervisorStatus)) error {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	prev := w.s.State
	f(&w.s)
	w.s.PID = os.Getpid()
	if w.s.State != prev || w.s.Since.IsZero() {
		w.s.Since = time.Now().UTC()
	}
	if w.path == "" {
		return nil
	}
	b, err := json.Marshal(w.s)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(w.path), 0o755); err != nil {
		return fmt.Errorf("write supervisor status: %w", err)
	}
	if err := platform.WriteBytesAtomic(w.path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write supervisor status: %w", err)
	}
	return nil
}

// snapshot is a copy of the current status.
func (w *statusWriter) snapshot() SupervisorStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.s
	if s.LastExitCode != nil {
		c := *s.LastExitCode
		s.LastExitCode = &c
	}
	return s
}

// ExitMeaning says what the listener's exit status code means (the
// runner's Constants.ReturnCode, and the official service's handling):
// the words the supervisor logs, its status file and `status` show.
func ExitMeaning(code int) string {
	switch code {
	case 0:
		return "stopped"
	case 1:
		return "terminated: not configured, removed from the server, or too old"
	case 2:
		return "retryable"
	case 3:
		return "self-update"
	case 4:
		return "self-update after a run-once job"
	case 5:
		return "session conflict: another listener runs with these credentials"
	case 7:
		return "runner version deprecated"
	case -1:
		return "killed by a signal"
	}
	return "unknown code"
}

// describeExit is the LastExit text of exit code (-1: a signal).
func describeExit(code int) string {
	if code == -1 {
		return ExitMeaning(code)
	}
	return fmt.Sprintf("exit %d (%s)", code, ExitMeaning(code))
}

// tailFile returns the last n lines of the file at path, reading at most
// its last 64 KiB; nil when it cannot be read.
func tailFile(path string, n int) []string {
	f, err := platform.OpenNoFollow(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	return tailOpen(f, n)
}

// tailOpen is tailFile of the open regular file f.
func tailOpen(f *os.File, n int) []string {
	if fi, err := f.Stat(); err == nil && fi.Size() > 64<<10 {
		if _, err := f.Seek(-64<<10, io.SeekEnd); err != nil {
			return nil
		}
	}
	b, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil
	}
	return lastLines(b, n)
}

// lastLines splits b into lines and keeps the last n non-empty ones,
// with control characters (a terminal escape in a listener's output)
// shown as '?'.
func lastLines(b []byte, n int) []string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		l = printable(strings.ReplaceAll(strings.TrimRight(l, "\r"), "\t", " "), 500)
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return out
}
