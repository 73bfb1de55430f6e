//go:build !windows

package platform

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// identity is a user's uid and groups; a user that does not exist yet is
// taken as one that owns nothing and is in no group, as useradd --system
// --user-group makes it.
type identity struct {
	uid    int
	groups []int
}

func lookupIdentity(name string) identity {
	a, err := LookupAccount(name)
	if err != nil {
		// Unknown (not made yet), or an id that does not parse: owns
		// nothing, in no group. Never uid 0, which passes every check.
		return identity{uid: -1}
	}
	id := identity{uid: int(a.UID), groups: []int{int(a.GID)}}
	for _, g := range a.Groups {
		id.groups = append(id.groups, int(g))
	}
	return id
}

// can reports whether id has the permission bit (1 execute/search) on fi.
func (id identity) can(fi fs.FileInfo, bit fs.FileMode) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || id.uid == 0 {
		return true
	}
	perm := fi.Mode().Perm()
	switch {
	case int(st.Uid) == id.uid:
		return perm&(bit<<6) != 0
	case slices.Contains(id.groups, int(st.Gid)):
		return perm&(bit<<3) != 0
	}
	return perm&bit != 0
}

func owner(fi fs.FileInfo) string {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if u, err := user.LookupId(strconv.Itoa(int(st.Uid))); err == nil {
			return u.Username
		}
		return strconv.Itoa(int(st.Uid))
	}
	return "?"
}

// CheckReachable returns an *AccessError when user name cannot enter every
// existing directory above path (the ones install will create are made
// 0755). path must be absolute.
func CheckReachable(path, name string) error {
	id := lookupIdentity(name)
	parent := filepath.Dir(filepath.Clean(path))
	dirs := []string{}
	for d := parent; ; d = filepath.Dir(d) {
		dirs = append([]string{d}, dirs...)
		if d == filepath.Dir(d) {
			break
		}
	}
	for _, d := range dirs {
		fi, err := os.Stat(d)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if !id.can(fi, 1) {
			return &AccessError{User: name, Path: d, Mode: fi.Mode(), Owner: owner(fi), Want: "enter"}
		}
	}
	return nil
}

// CheckExecutable returns an *AccessError when user name cannot reach and
// execute the file at path.
func CheckExecutable(path, name string) error {
	if err := CheckReachable(path, name); err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if id := lookupIdentity(name); !id.can(fi, 1) {
		return &AccessError{User: name, Path: path, Mode: fi.Mode(), Owner: owner(fi), Want: "execute"}
	}
	return nil
}

// transientDirs are emptied at boot (/tmp, /run) or closed to other users
// (home directories).
func transientDirs() []string {
	out := []string{"/tmp", "/var/tmp", "/dev/shm", "/run", "/var/run", "/root", "/home", "/Users", "/private/tmp", "/private/var/folders", "/var/folders", os.TempDir()}
	if h := os.Getenv("HOME"); h != "" && h != "/" {
		out = append(out, h)
	}
	return out
}

// Temporary reports whether path is in a temporary or home directory, or
// on a memory file system (emptied at boot).
func Temporary(path string) bool {
	path = filepath.Clean(path)
	for _, t := range transientDirs() {
		t = filepath.Clean(t)
		if path == t || strings.HasPrefix(path, t+"/") {
			return true
		}
	}
	for d := path; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			return onMemoryFS(d)
		}
		if d == filepath.Dir(d) {
			return false
		}
	}
}

// StableExecutable reports whether the executable at path (links
// resolved) can be what a service runs as it is: not Temporary, in
// directories that only root can change and that every user can enter,
// owned by root, runnable by all.
func StableExecutable(path string) bool {
	path = filepath.Clean(path)
	return !Temporary(path) && rootOnlyAndOpen(path)
}

// rootOnlyAndOpen: path is root's, writable by no one else, readable and
// runnable by all, in directories root's, writable by no one else and
// enterable by all.
func rootOnlyAndOpen(path string) bool {
	fi, err := os.Stat(path)
	if err != nil || !rootOnly(fi) || fi.Mode().Perm()&0o005 != 0o005 {
		return false
	}
	for d := filepath.Dir(path); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || !rootOnly(fi) || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

// CheckRootOnly returns an error naming the first directory of dir's
// chain (the existing part, links resolved) that a user other than root
// can change: one not owned by root, or writable by its group or others.
// A sticky world-writable directory (/tmp) is refused too: a directory
// below it that goes away (at boot) can be made again by anyone.
func CheckRootOnly(dir string) error { return checkChain(dir, false) }

// CheckNoOtherWriter is CheckRootOnly that lets a sticky directory (/tmp)
// through: there no other user can rename or remove root's entries, so
// a directory root made below it stays root's while it exists. It guards
// what root writes now (a runner directory, the trusted store), not what
// must still be there after a reboot.
func CheckNoOtherWriter(dir string) error { return checkChain(dir, true) }

// CheckNoOtherLink refuses a path (as given, before links are resolved)
// with a symbolic link among its components that a user other than root
// made or can replace: a link not owned by root, or one in a directory
// another user can change (a root's link in a sticky /tmp is fine).
// CheckNoOtherWriter checks the resolved chain; this checks the links
// that lead there.
func CheckNoOtherLink(path string) error { return checkLinks(path, 0) }

// checkLinks is CheckNoOtherLink, following each link's target (which
// may hold links of its own) up to 40 links deep, as the kernel does.
func checkLinks(path string, depth int) error {
	if depth > 40 {
		return fmt.Errorf("%s: too many levels of symbolic links", path)
	}
	p := filepath.Clean(path)
	var prefixes []string
	for q := p; ; q = filepath.Dir(q) {
		prefixes = append(prefixes, q)
		if q == filepath.Dir(q) {
			break
		}
	}
	for i := len(prefixes) - 1; i >= 0; i-- {
		q := prefixes[i]
		fi, err := os.Lstat(q)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); !ok || st.Uid != 0 {
			return fmt.Errorf("%s is a symbolic link owned by %s, not by root", q, owner(fi))
		}
		if err := checkChain(filepath.Dir(q), true); err != nil {
			return fmt.Errorf("%s is a symbolic link in a directory another user can change: %w", q, err)
		}
		target, err := os.Readlink(q)
		if err != nil {
			return err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(q), target)
		}
		if err := checkLinks(target, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func checkChain(dir string, stickyOK bool) error {
	// The deepest existing directory, links resolved: what is missing
	// below it install makes, root's and 0755.
	d := filepath.Clean(dir)
	for {
		if real, err := filepath.EvalSymlinks(d); err == nil {
			d = real
			break
		}
		if d == filepath.Dir(d) {
			break
		}
		d = filepath.Dir(d)
	}
	for ; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		sticky := stickyOK && fi.Mode()&fs.ModeSticky != 0
		if !ok || st.Uid != 0 || (fi.Mode().Perm()&0o022 != 0 && !sticky) {
			return fmt.Errorf("%s (mode %s, owner %s) can be changed by a user other than root", d, fi.Mode(), owner(fi))
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// CheckRootFile refuses a file that a user other than root can change:
// one not owned by root or writable by its group or others, one reached
// through a link another user controls, or one in a directory another
// user can change.
func CheckRootFile(path string) error {
	if err := CheckNoOtherLink(path); err != nil {
		return err
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	if err := CheckNoOtherWriter(filepath.Dir(real)); err != nil {
		return err
	}
	fi, err := os.Stat(real)
	if err != nil {
		return err
	}
	if !rootOnly(fi) {
		return fmt.Errorf("%s (mode %s, owner %s) can be changed by a user other than root", path, fi.Mode(), owner(fi))
	}
	return nil
}

// rootOnly: owned by root and writable by nobody else.
func rootOnly(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Uid == 0 && fi.Mode().Perm()&0o022 == 0
}

// OwnedByUs reports whether fi belongs to this process's user.
func OwnedByUs(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}
