// Package runnertest builds a fake actions/runner package for tests and
// the demo. Its config.sh, env.sh, run.sh and run-helper.sh.template are
// shell scripts that behave like the real ones, and bin/Runner.Listener is
// the fakelistener program, built with `go build` for the asked platform:
// it parses arguments and ACTIONS_RUNNER_INPUT_* like the real listener,
// registers with the fake GHES of bootstrap/github/githubtest, writes
// .runner and .credentials with a UTF-8 BOM, heartbeats while it runs and
// exits with the real exit codes. The package is packed by the real tar,
// flat with ./ entries, like the release packages.
//
// It is a test double and is never linked into runnerctl.
package runnertest
