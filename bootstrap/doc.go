// Package bootstrap is runnerctl's pipeline: the operations behind the
// commands, written OS-neutrally against small interfaces (the GitHub API,
// the OS service manager) so that they can be tested with fakes. main
// parses flags into the option structs here and calls these functions.
package bootstrap
