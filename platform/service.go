package platform

import "time"

// ServiceSpec describes the OS service of one runner: it runs Executable
// Args (runnerctl run --dir DIR --service NAME) as User in Dir. One
// definition for the pipeline (bootstrap) and the service manager
// (service), which do not import each other.
type ServiceSpec struct {
	Name        string // actions.runner.<scope>.<runner>
	DisplayName string
	Description string
	Executable  string
	Args        []string
	// User runs the service (systemd User=, launchd UserName, the Windows
	// account); "" means the manager's default (root, LocalSystem).
	User string
	// Dir is the working directory (the runner directory).
	Dir string
	// Launchd is how macOS runs it: a LaunchDaemon ("" or LaunchDaemon,
	// at boot) or a LaunchAgent in User's GUI session. Unused elsewhere.
	Launchd LaunchdKind
	// PreStart, when set, are arguments of Executable that the manager
	// runs as root before every start of the supervisor (systemd
	// ExecStartPre=+, the SysV script before it drops privileges), for
	// as long as it takes (a re-registration with back-off). With it the
	// supervisor's ephemeral-done exit is started again.
	PreStart []string
	// AfterExit, when set, are arguments of Executable that the manager
	// runs as root after the supervisor exited, given its exit status
	// (systemd ExecStopPost=+ with $EXIT_STATUS; the SysV script adds
	// --exit-status N). With it the ephemeral-done exit ends the service
	// as a success.
	AfterExit []string
}

// LaunchdKind is how runnerctl runs under macOS launchd: a LaunchDaemon
// (the default: system-wide, started at boot with no one logged in) or a
// LaunchAgent in the runner user's GUI session (as the official svc.sh
// installs it: for jobs that need the user's keychain, the simulator or a
// window server; it runs only while that user is logged in).
type LaunchdKind string

// The launchd kinds; "" is LaunchDaemon (records made before the choice).
const (
	LaunchDaemon LaunchdKind = "daemon"
	LaunchAgent  LaunchdKind = "agent"
)

// ServiceState is a service's state as its manager reports it. Only
// ServiceRunning means the service's process is up.
type ServiceState string

// Service states. Restarting is systemd's "activating (auto-restart)": the
// process exited and is started again after RestartSec.
const (
	ServiceNotInstalled ServiceState = "not-installed"
	ServiceStopped      ServiceState = "stopped"
	ServiceRunning      ServiceState = "running"
	ServiceStarting     ServiceState = "starting"
	ServiceRestarting   ServiceState = "restarting"
	ServiceStopping     ServiceState = "stopping"
	ServiceFailed       ServiceState = "failed"
	ServiceUnknown      ServiceState = "unknown"
	// ServiceAwaitingLogin: a launchd agent whose user has no GUI session
	// now: launchd starts it at that user's next login.
	ServiceAwaitingLogin ServiceState = "awaiting-login"
)

// ServiceStatus is a service's state as its manager and its supervisor
// (`runnerctl run`) report it.
type ServiceStatus struct {
	State ServiceState
	// Detail is the manager's own account ("activating (auto-restart),
	// last exit status=203/EXEC"); Supervisor the supervisor's ("listening
	// since ...", "last run: stopped: ..."). Both for people.
	Detail, Supervisor string
	// Supervised: the running supervisor keeps a status file, so
	// Listening is the local signal that the listener listens.
	Supervised, Listening bool
	// Watch is the supervisor's view of its listener from its status
	// file (of the running supervisor when Supervised, else of its last
	// run); nil without one.
	Watch *SupervisorView
}

// SupervisorView is what `status` shows of the supervisor's view of its
// listener (text fields made printable: the runner user writes them).
type SupervisorView struct {
	State           string    `json:"state"`
	Current         bool      `json:"current"` // of the running supervisor (else of its last run)
	ListenerPID     int       `json:"listener_pid,omitempty"`
	ListenerStarted time.Time `json:"listener_started,omitzero"`
	// UptimeSeconds is the listener's, when it runs.
	UptimeSeconds int64  `json:"listener_uptime_seconds,omitempty"`
	Restarts      int    `json:"restarts"`
	LastExitCode  *int   `json:"last_exit_code,omitempty"` // -1: killed by a signal
	LastExit      string `json:"last_exit,omitempty"`      // "exit 2 (retryable)"
	JobsRun       int    `json:"jobs_run"`
	CurrentJob    string `json:"current_job,omitempty"`
	LastError     string `json:"last_error,omitempty"`
}

// EphemeralExit is what happens after an ephemeral runner's one job
// (--on-ephemeral-exit).
type EphemeralExit string

// The ephemeral exits. Stop ("" too) ends the service: the supervisor
// exits 0, which no manager restarts. Reregister and Shutdown need root,
// which the supervisor (the runner user, the jobs' user) never is: it
// exits with the ephemeral-done code and the service manager runs a root
// step of runnerctl around it (ServiceSpec.PreStart, AfterExit).
const (
	EphemeralStop       EphemeralExit = "stop"
	EphemeralReregister EphemeralExit = "reregister"
	EphemeralShutdown   EphemeralExit = "shutdown"
)
