// Package runner drives an extracted actions/runner package: it runs
// config.sh (config.cmd on Windows) the way runner-contract.md requires
// (--unattended, "--name value" pairs, the token only in
// ACTIONS_RUNNER_INPUT_TOKEN, cwd = the runner directory, as the runner
// user), reads the .runner file (with its UTF-8 BOM) and maintains the
// runner's .env.
package runner
