//go:build !windows

package platform

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// WriteInDir puts data in dir/name as a regular file with mode perm,
// owned by uid:gid (-1 leaves either as it is: root's), in a directory
// that a less trusted user may own, without following any link there:
// dir is opened with O_NOFOLLOW (the directories above it are trusted); a
// new file with a random name is created in it with O_CREAT|O_EXCL|
// O_NOFOLLOW relative to that descriptor, written, fchown'd, fchmod'ed
// (exactly perm, whatever the umask) and fsync'ed, then renamed onto
// name (renameat replaces a link, never follows it) and the directory
// fsync'ed. An existing name that is not a regular file (a link, FIFO,
// directory) is refused; if name is found to be another file after the
// rename (the directory's owner swapped it in), that is an error too.
// On error the temporary file is removed.
func WriteInDir(dir, name string, data []byte, perm os.FileMode, uid, gid int) error {
	p := filepath.Join(dir, name)
	if err := checkBaseName(name); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	d, err := openDirNoFollow(dir)
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	defer d.Close()
	return writeAt(d, p, name, data, perm, uid, gid)
}

// WriteInOpenDir is WriteInDir in the directory d, already open (by
// OpenDirsAt: no link followed on the way).
func WriteInOpenDir(d *os.File, name string, data []byte, perm os.FileMode, uid, gid int) error {
	p := filepath.Join(d.Name(), name)
	if err := checkBaseName(name); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return writeAt(d, p, name, data, perm, uid, gid)
}

// writeAt is WriteInDir's work in the open directory d (p: for errors).
func writeAt(d *os.File, p, name string, data []byte, perm os.FileMode, uid, gid int) error {
	dfd := int(d.Fd())
	if err := regularOrAbsent(dfd, name); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	f, tmp, err := createTempAt(d, name)
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	defer f.Close()
	committed := false
	defer func() {
		if !committed {
			_ = unix.Unlinkat(dfd, tmp, 0)
		}
	}()
	if err := fillAndSeal(f, data, perm, uid, gid); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	mine, err := fstat(f)
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	// Checked again just before the rename: the directory's owner may
	// have put something else there meanwhile (the rename would replace
	// it without following it, but a non-file is refused as before).
	if err := regularOrAbsent(dfd, name); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := unix.Renameat(dfd, tmp, dfd, name); err != nil {
		return fmt.Errorf("write %s: rename: %w", p, err)
	}
	committed = true
	var now unix.Stat_t
	if err := unix.Fstatat(dfd, name, &now, unix.AT_SYMLINK_NOFOLLOW); err != nil || !sameInode(&now, &mine) {
		return fmt.Errorf("write %s: it was replaced by another file as it was put there", p)
	}
	if err := unix.Fsync(dfd); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOTSUP) {
		return fmt.Errorf("write %s: sync %s: %w", p, d.Name(), err)
	}
	return nil
}

// regularOrAbsent refuses a name in the directory dfd that exists and is
// not a regular file (not followed if it is a link).
func regularOrAbsent(dfd int, name string) error {
	var st unix.Stat_t
	err := unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return err
	}
	if !isReg(&st) {
		return fmt.Errorf("it exists and is %w (mode %#o): refused", ErrNotRegular, uint32(st.Mode)&unix.S_IFMT)
	}
	return nil
}

// createTempAt creates a new file with a random name in d: O_EXCL, so
// nothing that was there already (a link, a file someone else holds
// open) is used.
func createTempAt(d *os.File, name string) (*os.File, string, error) {
	for range tempAttempts {
		tmp := tempName(name)
		fd, err := unix.Openat(int(d.Fd()), tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if errors.Is(err, unix.EEXIST) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("create a temporary file: %w", err)
		}
		return os.NewFile(uintptr(fd), filepath.Join(d.Name(), tmp)), tmp, nil
	}
	return nil, "", fmt.Errorf("create a temporary file: %d random names were all taken", tempAttempts)
}

// fillAndSeal writes data to f, gives it to uid:gid (-1: unchanged),
// sets its mode to exactly perm and syncs it.
func fillAndSeal(f *os.File, data []byte, perm os.FileMode, uid, gid int) error {
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := seal(f, perm, uid, gid); err != nil {
		return err
	}
	return f.Sync()
}

// ReadInDir reads dir/name, at most limit bytes, in a directory that a
// less trusted user may own: dir is opened with O_NOFOLLOW, name relative
// to it with O_NOFOLLOW|O_NONBLOCK (a link is refused, a FIFO does not
// block), and it must be a regular file with no other hard link (on a
// system without protected_hardlinks, macOS, the directory's owner can
// link in a file it cannot read). found is false, with no error,
// when name does not exist; a file longer than limit is an error.
func ReadInDir(dir, name string, limit int64) (data []byte, found bool, err error) {
	p := filepath.Join(dir, name)
	if err := checkBaseName(name); err != nil {
		return nil, false, fmt.Errorf("read %s: %w", p, err)
	}
	d, err := openDirNoFollow(dir)
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", p, err)
	}
	defer d.Close()
	return readAt(d, p, name, limit)
}

// ReadInOpenDir is ReadInDir in the directory d, already open (by
// OpenDirsAt: no link followed on the way).
func ReadInOpenDir(d *os.File, name string, limit int64) (data []byte, found bool, err error) {
	p := filepath.Join(d.Name(), name)
	if err := checkBaseName(name); err != nil {
		return nil, false, fmt.Errorf("read %s: %w", p, err)
	}
	return readAt(d, p, name, limit)
}

// readAt is ReadInDir's work in the open directory d (p: for errors).
func readAt(d *os.File, p, name string, limit int64) (data []byte, found bool, err error) {
	fd, err := unix.Openat(int(d.Fd()), name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil, false, nil
	}
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			return nil, false, fmt.Errorf("read %s: a symbolic link, not followed: %w", p, ErrNotRegular)
		}
		return nil, false, fmt.Errorf("read %s: %w", p, noFollowErr(err))
	}
	f := os.NewFile(uintptr(fd), p)
	defer f.Close()
	st, err := fstat(f)
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", p, err)
	}
	if !isReg(&st) {
		return nil, false, fmt.Errorf("read %s: %w (mode %#o)", p, ErrNotRegular, uint32(st.Mode)&unix.S_IFMT)
	}
	if st.Nlink > 1 {
		return nil, false, fmt.Errorf("read %s: it has %d hard links (it may be another user's file linked in): refused", p, st.Nlink)
	}
	return readBounded(f, p, limit)
}
