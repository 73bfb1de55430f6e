package service

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"

	"github.com/runnerctl/runnerctl/platform"
)

// definition is the LaunchDaemon plist runnerctl renders for s: kardianos'
// option that carries it, the file where launchd keeps it, its text, and
// why s cannot be rendered.
func definition(s platform.ServiceSpec) (option, file, text string, err error) {
	text, err = LaunchdPlist(s)
	return "LaunchdConfig", "/Library/LaunchDaemons/" + s.Name + ".plist", text, err
}

// checkDefinition reports why s does not render as a plist: a
// LaunchDaemon's, or (--launchd agent) a LaunchAgent's for s.User's home.
func checkDefinition(s platform.ServiceSpec) error {
	if s.Launchd != platform.LaunchAgent {
		_, err := LaunchdPlist(s)
		return err
	}
	a, err := newLaunchAgent(s.Name, s.User, nil)
	if err == nil {
		_, err = LaunchAgentPlist(s, a.home)
	}
	return err
}

// prepareStatusDir refuses a spec that does not render (CheckSpec) and
// makes the supervisor's status directory, which launchd does not: the
// supervisor runs as s.User and cannot make it in platform.RunDir(). The
// directory is given to the user, not what is in it (a walk would follow
// what the user planted there).
func prepareStatusDir(s platform.ServiceSpec) error {
	if err := CheckSpec(s); err != nil {
		return err
	}
	if s.User == "" {
		return nil
	}
	u, err := user.Lookup(s.User)
	if err != nil {
		return err
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return fmt.Errorf("user %s: uid %q: %w", s.User, u.Uid, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return fmt.Errorf("user %s: gid %q: %w", s.User, u.Gid, err)
	}
	d, err := StatusDir(s.Name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(d), 0o755); err != nil {
		return err
	}
	if fi, err := os.Lstat(d); err == nil && !fi.IsDir() {
		if err := os.Remove(d); err != nil {
			return err
		}
	}
	if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	if err := os.Lchown(d, uid, gid); err != nil {
		return err
	}
	return os.Chmod(d, 0o755)
}
