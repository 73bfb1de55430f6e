//go:build !windows

package service

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/runnerctl/runnerctl/platform"
)

// The agent's files are in the runner user's home, which that user and
// every job own: a link planted anywhere below it (~/Library ->
// /Library, the plist -> /etc/sudoers) must never lead root's writes
// elsewhere. So the home directory is opened without following a link
// and must be the user's own, and every directory below it is opened
// relative to the one above with O_NOFOLLOW (platform.OpenDirsAt); the
// plist is written as platform.WriteInDir writes (a new file renamed
// over the name: a link there is replaced, never followed), read
// without following a link or blocking on a FIFO, and removed with
// unlinkat (which removes a link, not its target). Built on every Unix
// so that the tests run it here.

// agentDir opens home/elems, made for the user (0755) when mkdir.
func agentDir(a *launchAgent, elems []string, mkdir bool) (*os.File, error) {
	h, err := platform.OpenDirNoFollow(a.home)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err != nil {
		return nil, err
	}
	if int(st.Uid) != a.uid {
		return nil, fmt.Errorf("home directory %s of %s is owned by uid %d, not by %s: a LaunchAgent needs a user with a home of their own", a.home, a.user, st.Uid, a.user)
	}
	return platform.OpenDirsAt(h, elems, mkdir, 0o755, a.uid, a.gid)
}

// writeAgentFiles writes the agent's plist (the user's, 0644, as svc.sh
// leaves it) and makes its log directory ~/Library/Logs/NAME, which
// launchd does not make.
func writeAgentFiles(a *launchAgent, plist []byte) error {
	logs, err := agentDir(a, append(agentLogsDir, a.name), true)
	if err != nil {
		return fmt.Errorf("make the agent's log directory: %w", err)
	}
	logs.Close()
	d, err := agentDir(a, agentPlistDir, true)
	if err != nil {
		return fmt.Errorf("write %s: %w", a.plistPath(), err)
	}
	defer d.Close()
	return platform.WriteInOpenDir(d, a.name+".plist", plist, 0o644, a.uid, a.gid)
}

// readAgentPlist reads the agent's plist (at most 64 KiB): found is false
// when it is not there. A link or anything but a regular file there is an
// error.
func readAgentPlist(a *launchAgent) (data []byte, found bool, err error) {
	d, err := agentDir(a, agentPlistDir, false)
	if errors.Is(err, unix.ENOENT) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer d.Close()
	return platform.ReadInOpenDir(d, a.name+".plist", 64<<10)
}

// removeAgentFiles removes the agent's plist, its two logs and their
// directory (kept, with a warning, when the user put more there).
func removeAgentFiles(a *launchAgent) error {
	if err := removeIn(a, agentPlistDir, a.name+".plist"); err != nil {
		return err
	}
	for _, f := range []string{"stdout.log", "stderr.log"} {
		if err := removeIn(a, append(agentLogsDir, a.name), f); err != nil {
			return err
		}
	}
	err := removeIn(a, agentLogsDir, a.name)
	if errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST) {
		a.log.Warn("the agent's log directory holds more than its logs: kept", "dir", filepath.Join(a.home, "Library/Logs", a.name))
		return nil
	}
	return err
}

// removeIn removes name (a file, a link, an empty directory: never
// followed) from home/elems; a missing one is not an error.
func removeIn(a *launchAgent, elems []string, name string) error {
	d, err := agentDir(a, elems, false)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return err
	}
	defer d.Close()
	var st unix.Stat_t
	if err := unix.Fstatat(int(d.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW); errors.Is(err, unix.ENOENT) {
		return nil
	} else if err != nil {
		return &os.PathError{Op: "remove", Path: filepath.Join(d.Name(), name), Err: err}
	}
	flags := 0
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		flags = unix.AT_REMOVEDIR
	}
	if err := unix.Unlinkat(int(d.Fd()), name, flags); err != nil && !errors.Is(err, unix.ENOENT) {
		return &os.PathError{Op: "remove", Path: filepath.Join(d.Name(), name), Err: err}
	}
	return nil
}

// agentLogs returns the last n lines of the agent's stderr.log (where
// runnerctl run logs), read as readAgentPlist reads: no link followed, a
// FIFO does not block, a file with another hard link is refused.
func agentLogs(a *launchAgent, n int) []string {
	d, err := agentDir(a, append(agentLogsDir, a.name), false)
	if err != nil {
		return nil
	}
	defer d.Close()
	fd, err := unix.Openat(int(d.Fd()), "stderr.log", unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	f := os.NewFile(uintptr(fd), filepath.Join(d.Name(), "stderr.log"))
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Nlink != 1 {
		return nil
	}
	return tailOpen(f, n)
}
