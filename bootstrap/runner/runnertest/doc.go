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
// Knobs a test sets in the runner directory: UpdateRequestFile (through
// RequestUpdate), UpdatePauseFile, JobSecondsFile, CancelSecondsFile,
// DumpEnvFile (SetKnob).
//
// It is a test double and is never linked into runnerctl.
package runnertest
