//go:build !windows

package platform

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"
)

// Privileged reports whether this process runs as root.
func Privileged() bool { return os.Geteuid() == 0 }

// RunsAsUser reports whether a runner runs as a user account of its own,
// which owns the runner's files and runs config.sh and the listener: on
// every OS but Windows (there the account is the service's, set on the
// service, and files are shared by ACL).
func RunsAsUser() bool { return true }

// LookupAccount looks up the local account name. A uid, gid or group id
// that is not a decimal number of 32 bits is an error, never uid 0; so
// is an empty name. When the supplementary groups cannot be listed (an
// account known only to a directory service the pure-Go lookup cannot
// query), Groups holds the primary group only: fewer rights, never more.
func LookupAccount(name string) (Account, error) {
	if name == "" {
		return Account{}, errors.New("look up user: the user name is empty")
	}
	u, err := user.Lookup(name)
	if err != nil {
		return Account{}, fmt.Errorf("look up user %s: %w", name, err)
	}
	return accountOf(u, u.GroupIds)
}

// accountOf turns a looked-up user into an Account, strictly.
func accountOf(u *user.User, groupIDs func() ([]string, error)) (Account, error) {
	uid, err := parseID(u.Uid)
	if err != nil {
		return Account{}, fmt.Errorf("look up user %s: uid: %w", u.Username, err)
	}
	gid, err := parseID(u.Gid)
	if err != nil {
		return Account{}, fmt.Errorf("look up user %s: gid: %w", u.Username, err)
	}
	a := Account{Name: u.Username, Home: u.HomeDir, UID: uid, GID: gid, Groups: []uint32{gid}}
	ids, err := groupIDs()
	if err != nil {
		return a, nil
	}
	for _, s := range ids {
		g, err := parseID(s)
		if err != nil {
			return Account{}, fmt.Errorf("look up user %s: group: %w", u.Username, err)
		}
		if g != gid {
			a.Groups = append(a.Groups, g)
		}
	}
	return a, nil
}

// parseID parses a uid or gid: decimal digits only (no sign, no space),
// at most 32 bits.
func parseID(s string) (uint32, error) {
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a numeric id", s)
		}
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not a numeric id: %w", s, err)
	}
	return uint32(n), nil
}

// RunAs makes cmd run as user name: its uid, primary and supplementary
// groups (LookupAccount: an id that does not parse is an error), and
// HOME, USER and LOGNAME in its environment (ChildEnv's when cmd.Env is
// nil).
func RunAs(cmd *exec.Cmd, name string) error {
	a, err := LookupAccount(name)
	if err != nil {
		return fmt.Errorf("run as %s: %w", name, err)
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	if uint64(os.Geteuid()) != uint64(a.UID) {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: a.UID, Gid: a.GID, Groups: a.Groups}
	}
	if cmd.Env == nil {
		cmd.Env = ChildEnv()
	}
	cmd.Env = append(cmd.Env, "HOME="+a.Home, "USER="+a.Name, "LOGNAME="+a.Name)
	return nil
}
