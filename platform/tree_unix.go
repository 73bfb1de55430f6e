//go:build !windows

package platform

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// maxTreeDepth bounds the directories a walk descends (an open descriptor each).
const maxTreeDepth = 256

// openDirNoFollow opens dir as a directory, refusing a symbolic link in
// its last element (the ones above it are trusted).
func openDirNoFollow(dir string) (*os.File, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: noFollowErr(err)}
	}
	return os.NewFile(uintptr(fd), dir), nil
}

// openDirAt opens the directory name in d, refusing a symbolic link.
func openDirAt(d *os.File, name string) (*os.File, error) {
	p := filepath.Join(d.Name(), name)
	fd, err := unix.Openat(int(d.Fd()), name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: p, Err: noFollowErr(err)}
	}
	return os.NewFile(uintptr(fd), p), nil
}

// noFollowErr names what O_NOFOLLOW refused (ELOOP; some BSDs say EMLINK).
func noFollowErr(err error) error {
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.EMLINK) {
		return fmt.Errorf("a symbolic link, not followed: %w", err)
	}
	return err
}

func fstat(f *os.File) (unix.Stat_t, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return st, &os.PathError{Op: "fstat", Path: f.Name(), Err: err}
	}
	return st, nil
}

func isDir(st *unix.Stat_t) bool  { return uint32(st.Mode)&unix.S_IFMT == unix.S_IFDIR }
func isReg(st *unix.Stat_t) bool  { return uint32(st.Mode)&unix.S_IFMT == unix.S_IFREG }
func isLink(st *unix.Stat_t) bool { return uint32(st.Mode)&unix.S_IFMT == unix.S_IFLNK }

func sameInode(a, b *unix.Stat_t) bool { return uint64(a.Dev) == uint64(b.Dev) && a.Ino == b.Ino }

// walkTree calls visit for every entry below the open directory d,
// children before their directory, never following a symbolic link:
// each directory is opened relative to its parent's descriptor with
// O_NOFOLLOW and must be the inode fstatat saw; sub is that directory,
// open, for a directory entry (nil for others). d itself is not visited.
func walkTree(d *os.File, depth int, visit func(parent *os.File, name string, st *unix.Stat_t, sub *os.File) error) error {
	if depth > maxTreeDepth {
		return fmt.Errorf("%s: more than %d directories deep", d.Name(), maxTreeDepth)
	}
	names, err := d.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("read %s: %w", d.Name(), err)
	}
	for _, name := range names {
		var st unix.Stat_t
		if err := unix.Fstatat(int(d.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return &os.PathError{Op: "lstat", Path: filepath.Join(d.Name(), name), Err: err}
		}
		if !isDir(&st) {
			if err := visit(d, name, &st, nil); err != nil {
				return err
			}
			continue
		}
		if err := walkSub(d, name, &st, depth, visit); err != nil {
			return err
		}
	}
	return nil
}

func walkSub(d *os.File, name string, st *unix.Stat_t, depth int, visit func(*os.File, string, *unix.Stat_t, *os.File) error) error {
	sub, err := openDirAt(d, name)
	if err != nil {
		return err
	}
	defer sub.Close()
	now, err := fstat(sub)
	if err != nil {
		return err
	}
	if !sameInode(st, &now) {
		return fmt.Errorf("%s: replaced while it was walked", sub.Name())
	}
	if err := walkTree(sub, depth+1, visit); err != nil {
		return err
	}
	return visit(d, name, st, sub)
}

// chownEntry gives one entry to uid:gid: a directory through its open
// descriptor, anything else by name without following a link.
func chownEntry(parent *os.File, name string, uid, gid int, sub *os.File) error {
	var err error
	if sub != nil {
		err = unix.Fchown(int(sub.Fd()), uid, gid)
	} else {
		err = unix.Fchownat(int(parent.Fd()), name, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
	}
	if err != nil {
		return &os.PathError{Op: "chown", Path: filepath.Join(parent.Name(), name), Err: err}
	}
	return nil
}

// chownOpenTree gives d and everything in it to uid:gid, children first.
func chownOpenTree(d *os.File, uid, gid int) error {
	err := walkTree(d, 0, func(parent *os.File, name string, _ *unix.Stat_t, sub *os.File) error {
		return chownEntry(parent, name, uid, gid, sub)
	})
	if err != nil {
		return err
	}
	if err := unix.Fchown(int(d.Fd()), uid, gid); err != nil {
		return &os.PathError{Op: "chown", Path: d.Name(), Err: err}
	}
	return nil
}

// ChownNoFollow gives dir and everything in it to uid:gid, children
// before their directory, never following a symbolic link (links
// themselves are given, as lchown does): every directory is opened
// relative to its parent's descriptor with O_NOFOLLOW, so a directory
// swapped for a link is refused, not followed. dir itself must not be a
// link. Meant for a tree no one else can change while it runs (the
// extraction's root-only staging directory); a tree its new owner can
// already change is never walked by root.
func ChownNoFollow(dir string, uid, gid int) error {
	d, err := openDirNoFollow(dir)
	if err != nil {
		return fmt.Errorf("chown: %w", err)
	}
	defer d.Close()
	if err := chownOpenTree(d, uid, gid); err != nil {
		return fmt.Errorf("chown: %w", err)
	}
	return nil
}

// ChownPristine gives a tree that was prepared earlier and stayed root's
// (a golden image's runner directory) to uid:gid, as ChownNoFollow does,
// after checking all of it first: dir and every entry owned by root;
// no directory or file writable by group or others; no setuid or setgid
// file; nothing but directories, regular files and symbolic links; and
// no regular file hard-linked from outside the tree (its link count must
// be the number of its names in the tree). Otherwise it changes nothing
// and says which entry is at fault. dir must not be a link.
func ChownPristine(dir string, uid, gid int) error {
	d, err := openDirNoFollow(dir)
	if err != nil {
		return fmt.Errorf("hand over %s: %w", dir, err)
	}
	defer d.Close()
	if err := checkPristine(d); err != nil {
		return fmt.Errorf("hand over %s: %w", dir, err)
	}
	// Again from the top, through a new descriptor of the same directory
	// (the first one's directory stream is read to its end).
	again, err := openDirAt(d, ".")
	if err != nil {
		return fmt.Errorf("hand over %s: %w", dir, err)
	}
	defer again.Close()
	if err := chownOpenTree(again, uid, gid); err != nil {
		return fmt.Errorf("hand over %s: %w", dir, err)
	}
	return nil
}

// CheckPristine is ChownPristine's check alone: dir's tree is root's
// and only root's to change, as prepare left it (or as root has just
// added to it).
func CheckPristine(dir string) error {
	d, err := openDirNoFollow(dir)
	if err != nil {
		return fmt.Errorf("check %s: %w", dir, err)
	}
	defer d.Close()
	if err := checkPristine(d); err != nil {
		return fmt.Errorf("check %s: %w", dir, err)
	}
	return nil
}

type inodeKey struct{ dev, ino uint64 }

// checkPristine checks the tree open as d for ChownPristine.
func checkPristine(d *os.File) error {
	top, err := fstat(d)
	if err != nil {
		return err
	}
	if err := pristineEntry(d.Name(), &top); err != nil {
		return err
	}
	type linked struct {
		path  string
		nlink uint64
		names uint64
	}
	links := map[inodeKey]*linked{}
	err = walkTree(d, 0, func(parent *os.File, name string, st *unix.Stat_t, _ *os.File) error {
		p := filepath.Join(parent.Name(), name)
		if err := pristineEntry(p, st); err != nil {
			return err
		}
		if isReg(st) && uint64(st.Nlink) > 1 {
			k := inodeKey{uint64(st.Dev), st.Ino}
			if links[k] == nil {
				links[k] = &linked{path: p, nlink: uint64(st.Nlink)}
			}
			links[k].names++
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, l := range links {
		if l.names != l.nlink {
			return fmt.Errorf("%s has %d hard links, %d of them in the tree: a name outside it would change owner too", l.path, l.nlink, l.names)
		}
	}
	return nil
}

// pristineEntry checks one entry: root's, not writable by others, an
// ordinary type.
func pristineEntry(p string, st *unix.Stat_t) error {
	mode := fs.FileMode(uint32(st.Mode) & 0o7777)
	switch {
	case st.Uid != 0:
		return fmt.Errorf("%s is owned by uid %d, not root: the tree was changed after it was prepared", p, st.Uid)
	case isLink(st):
		return nil
	case !isDir(st) && !isReg(st):
		return fmt.Errorf("%s is not a file, directory or link (mode %#o)", p, uint32(st.Mode))
	case mode&0o022 != 0:
		return fmt.Errorf("%s (mode %#o) is writable by group or others", p, mode)
	case isReg(st) && mode&(unix.S_ISUID|unix.S_ISGID) != 0:
		return fmt.Errorf("%s (mode %#o) is setuid or setgid", p, mode)
	}
	return nil
}

// RemoveTree removes path and what it holds (os.RemoveAll, which does not
// follow links).
func RemoveTree(path string) error { return os.RemoveAll(path) }

// OpenDirNoFollow opens dir as a directory, refusing a symbolic link in
// its last element (the directories above it are trusted).
func OpenDirNoFollow(dir string) (*os.File, error) { return openDirNoFollow(dir) }

// OpenDirsAt opens the directory d/elems[0]/.../elems[n-1] one element at
// a time, each relative to the one before with O_NOFOLLOW: in a tree a
// less trusted user owns (a home directory), no link that user planted
// anywhere on the way is followed. With mkdir, a missing element is made
// with mode perm (exactly, whatever the umask) and given to uid:gid (-1:
// unchanged), through its descriptor. The caller closes the result (d
// itself when elems is empty: a new descriptor of it).
func OpenDirsAt(d *os.File, elems []string, mkdir bool, perm os.FileMode, uid, gid int) (*os.File, error) {
	cur, err := openDirAt(d, ".")
	if err != nil {
		return nil, err
	}
	for _, e := range elems {
		if err := checkBaseName(e); err != nil {
			cur.Close()
			return nil, fmt.Errorf("open %s: %w", cur.Name(), err)
		}
		made := false
		if mkdir {
			err := unix.Mkdirat(int(cur.Fd()), e, uint32(perm.Perm()))
			if err != nil && !errors.Is(err, unix.EEXIST) {
				cur.Close()
				return nil, &os.PathError{Op: "mkdir", Path: filepath.Join(cur.Name(), e), Err: err}
			}
			made = err == nil
		}
		next, err := openDirAt(cur, e)
		cur.Close()
		if err != nil {
			return nil, err
		}
		cur = next
		if made {
			err := madeByUs(cur)
			if err == nil {
				err = seal(cur, perm, uid, gid)
			}
			if err != nil {
				cur.Close()
				return nil, err
			}
		}
	}
	return cur, nil
}

// madeByUs refuses to seal a directory OpenDirsAt made that is not the one
// it opened: between mkdirat and openat, the user owning the tree may
// rename another directory of theirs (or one someone else left there) to
// that name, which seal would then give to uid:gid and chmod. What this
// process just made is its own and empty.
func madeByUs(d *os.File) error {
	var st unix.Stat_t
	if err := unix.Fstat(int(d.Fd()), &st); err != nil {
		return &os.PathError{Op: "stat", Path: d.Name(), Err: err}
	}
	if int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("open %s: it is owned by uid %d, not by this process: it was replaced as it was made", d.Name(), st.Uid)
	}
	names, err := d.Readdirnames(1)
	if _, serr := d.Seek(0, io.SeekStart); err == nil {
		err = serr
	}
	if len(names) > 0 {
		return fmt.Errorf("open %s: it holds %s: it was replaced as it was made", d.Name(), names[0])
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return &os.PathError{Op: "read", Path: d.Name(), Err: err}
	}
	return nil
}

// seal gives the open file or directory d to uid:gid (-1: unchanged) and
// sets its mode to exactly perm.
func seal(d *os.File, perm os.FileMode, uid, gid int) error {
	if uid != -1 || gid != -1 {
		if err := d.Chown(uid, gid); err != nil {
			return err
		}
	}
	return d.Chmod(perm)
}
