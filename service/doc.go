// Package service puts runnerctl under the host's service manager and is
// the only importer of github.com/kardianos/service. It renders the
// service definitions itself (a systemd unit, a SysV init script, a
// launchd LaunchDaemon plist or a LaunchAgent one, Windows SCM settings), so that what gets
// installed is known, testable on any OS and free of kardianos' template
// quirks, and it works around kardianos v1.3.0's SysV bugs (rc?.d links
// left dangling by Uninstall, a stopped service reported as an error).
//
// It also holds the supervisor behind `runnerctl run`: it starts
// bin/Runner.Listener in its own process group as the runner user and
// restarts it by its exit code, as the runner's own service wrapper does;
// it stops it with SIGINT to its pid, never cuts a self-update's
// _update.sh short, and then ends what the listener left in its group.
//
// What differs per OS is chosen by file name only, never by runtime.GOOS:
// options_*.go (the kardianos options and definition file for the
// manager in use, the status directory), fix_*.go (state, logs and
// leftovers beyond what kardianos reports), definition_*.go (is the
// installed definition ours), name_*.go, procgroup_*.go, run_*.go; with
// _unix.go for every OS but Windows, _nolinux.go for every OS but Linux
// and _other.go the fallback for the OSes without a file of their own.
// Within the Linux files, the manager in use (systemd, SysV, ...) is
// chosen by kardianos' Platform().
package service
