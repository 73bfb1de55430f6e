// Package runnertest builds a fake actions/runner package for tests and
// the demo. Its config.sh, env.sh, run.sh, run-helper.sh.template and
// bin/update.sh.template are shell scripts that behave like the real ones,
// and bin/Runner.Listener (also installed as bin/Runner.Worker) is the
// fakelistener program, built with `go build` for the asked platform: it
// parses arguments and ACTIONS_RUNNER_INPUT_* like the real listener,
// prompts when --unattended is missing, registers with the fake GHES of
// bootstrap/github/githubtest over TLS verified with the OS trust store
// only, writes .runner and .credentials with a UTF-8 BOM, loads .env
// untrimmed, heartbeats while it runs, runs jobs in a Runner.Worker child
// with a step process, cancels them on a graceful stop (SIGINT/SIGTERM,
// taking CancelSecondsFile), updates itself the real way (RequestUpdate:
// bin.<version> staged, _work/_update.sh swapping bin/externals after the
// listener exits 3) and exits with the real exit codes. config.sh runs the
// real dependency check (Options.MissingLibs, bin/installdependencies.sh).
// The package is packed by the real tar, flat with ./ entries, like the
// release packages.
//
// The Windows package (Options.GOOS "windows") is a .zip packed by the
// zip tool: config.cmd, run.cmd and run-helper.cmd.template (the real
// ones without the powershell Unblock-File step, which Wine cannot run),
// bin\Runner.Listener.exe and bin\Runner.Worker.exe. There the listener
// reads .env itself (no env.sh, no .path), stops gracefully on Ctrl-C or
// Ctrl-Break, refuses remove while .service names a service (the real one
// uninstalls it, elevated) and never updates itself (RequestUpdate
// refuses). Its tests run it under Wine (platform/platformtest/winetest).
//
// Knobs a test sets in the runner directory: UpdateRequestFile (through
// RequestUpdate), UpdatePauseFile, JobSecondsFile, CancelSecondsFile,
// DumpEnvFile (SetKnob).
//
// It is a test double and is never linked into runnerctl.
package runnertest
