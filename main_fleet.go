package main

// The commands and flags of fleets (issue #12 items 3 and 7): drain, the
// ephemeral runner's --on-ephemeral-exit and the service's root steps.
// Flags → option structs → calls, as in main.go.

import (
	"github.com/urfave/cli/v2"

	"github.com/runnerctl/runnerctl/bootstrap"
	"github.com/runnerctl/runnerctl/platform"
)

// cmdFunc is newApp's cmd: a leaf command with the config file applied.
type cmdFunc func(name, usage, text string, flags []cli.Flag, action func(*cli.Context, bootstrap.Env) error, fromFlagsOnly ...string) *cli.Command

func fleetCommands(cmd cmdFunc) []*cli.Command {
	drain := cmd("drain", "let a running job finish, then take the runner out of service: registration deleted, service stopped",
		"runnerctl drain [--dir D | --all] [--timeout 30m]     (exit 8 when a job still runs at --timeout: the runner is left as it was)",
		lifecycleFlags(drainTimeoutFlag()), func(c *cli.Context, e bootstrap.Env) error {
			return bootstrap.RunDrain(c.Context, e, c.String("url"), c.Bool("all"), bootstrap.DrainOptions{Dir: c.String("dir"), Timeout: c.Duration("timeout")})
		})
	// The root steps the service manager runs around an ephemeral
	// runner's supervisor (systemd ExecStartPre=+ / ExecStopPost=+, the
	// SysV script's root loop): not for people, so hidden.
	stepFlags := func(extra ...cli.Flag) []cli.Flag {
		return append(append(extra, strFlag("dir", "the runner directory", platform.DefaultRunnerDir()),
			strFlag("service", "the service whose root step this is", "")), targetFlags()...)
	}
	rereg := cmd("reregister", "service step (root, before each start): register an ephemeral runner again when its registration is gone",
		"runnerctl reregister --dir D --service NAME --state-dir S", stepFlags(listFlag("env", "KEY=VALUE lines for the runner's .env (repeat)"),
			strFlag("cache-dir", "where verified packages are kept", platform.DefaultCacheDir())),
		func(c *cli.Context, e bootstrap.Env) error {
			return bootstrap.RunReregister(c.Context, e, c.String("dir"), c.String("service"), c.StringSlice("env"))
		})
	exit := cmd("ephemeral-exit", "service step (root, after the supervisor exited): run the shutdown command once an ephemeral runner's job is done",
		"runnerctl ephemeral-exit --dir D --service NAME --state-dir S [--exit-status N]     (default: $EXIT_STATUS, as systemd sets it)",
		stepFlags(strFlag("exit-status", "the supervisor's exit status", "")), func(c *cli.Context, e bootstrap.Env) error {
			return bootstrap.RunEphemeralExit(c.Context, e, c.String("dir"), c.String("service"), c.String("exit-status"))
		})
	rereg.Hidden, exit.Hidden = true, true
	return []*cli.Command{drain, rereg, exit}
}

func drainTimeoutFlag() cli.Flag {
	return durationFlag("timeout", "drain: how long to wait for a running job (0: as long as it runs)", 0)
}

// ephemeralFlags are install's.
func ephemeralFlags() []cli.Flag {
	return []cli.Flag{
		strFlag("on-ephemeral-exit", "after an --ephemeral runner's job: stop (the service ends; default), reregister (a fresh registration, forever) or shutdown (power the host off)", ""),
		strFlag("shutdown-command", "what --on-ephemeral-exit shutdown runs as root (default: "+platform.DefaultShutdownCommand+")", ""),
	}
}

// uninstallDrainFlags: uninstall --drain [--timeout D].
func uninstallDrainFlags() []cli.Flag {
	return []cli.Flag{boolFlag("drain", "first let a running job finish and take the runner out of service (as drain)"), drainTimeoutFlag()}
}

// ephemeralDone: the supervisor of a runner whose service re-registers it
// or powers the host off exits service.ExitEphemeralDone after its job.
func ephemeralDone(c *cli.Context) bool {
	m := platform.EphemeralExit(c.String("on-ephemeral-exit"))
	return m == platform.EphemeralReregister || m == platform.EphemeralShutdown
}

func uninstallOptions(c *cli.Context) bootstrap.UninstallOptions {
	return bootstrap.UninstallOptions{Dir: c.String("dir"), KeepFiles: c.Bool("keep-files"), Drain: c.Bool("drain"), DrainTimeout: c.Duration("timeout"),
		RemoveTokenFile: c.String("remove-token-file"), Force: c.Bool("force")}
}
