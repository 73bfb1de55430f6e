// Package service puts runnerctl under the host's service manager and is
// the only importer of github.com/kardianos/service. It renders the
// service definitions itself (a systemd unit, a SysV init script, a
// launchd LaunchDaemon plist, Windows SCM settings), so that what gets
// installed is known, testable on any OS and free of kardianos' template
// quirks, and it works around kardianos v1.3.0's SysV bugs (rc?.d links
// left dangling by Uninstall, a stopped service reported as an error).
//
// It also holds the supervisor behind `runnerctl run`: it starts
// bin/Runner.Listener in its own process group as the runner user and
// restarts it by its exit code, as the runner's own service wrapper does.
package service
