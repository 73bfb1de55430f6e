package platform

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// openRootNoFollow opens dir as an os.Root (later names are resolved
// relative to its handle, never outside it), refusing dir when it is a
// symbolic link or junction, or when what was opened is not what was
// checked.
func openRootNoFollow(dir string) (*os.Root, error) {
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory (mode %s): a link is not followed", dir, fi.Mode())
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	if now, err := r.Stat("."); err != nil || !os.SameFile(fi, now) {
		r.Close()
		return nil, fmt.Errorf("%s changed while it was opened", dir)
	}
	return r, nil
}

// regularOrAbsentIn refuses a name in r that exists and is not a regular
// file (a link or junction is not followed).
func regularOrAbsentIn(r *os.Root, name string) error {
	fi, err := r.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("it exists and is %w (%s): refused", ErrNotRegular, fi.Mode().Type())
	}
	return nil
}

// WriteInDir puts data in dir/name as a regular file, in a directory a
// less trusted account may be able to write, without following a link
// there. On Windows: dir must not be a link or junction, and everything
// after is relative to the directory's handle (os.Root); a new file with
// a random name is created (CREATE_NEW: nothing already there is used),
// written, its attributes set by handle, flushed, renamed onto name (replacing a link, not following
// it). An existing name that is not a regular file is refused. perm sets
// only the read-only attribute (0200 clear); uid and gid are ignored: the
// file gets the directory's inheritable ACL.
func WriteInDir(dir, name string, data []byte, perm os.FileMode, uid, gid int) error {
	p := filepath.Join(dir, name)
	if err := checkBaseName(name); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	r, err := openRootNoFollow(dir)
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	defer r.Close()
	if err := regularOrAbsentIn(r, name); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	var f *os.File
	var tmp string
	for range tempAttempts {
		tmp = tempName(name)
		f, err = r.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("write %s: create a temporary file: %w", p, err)
	}
	committed := false
	defer func() {
		f.Close()
		if !committed {
			_ = r.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	mine, err := f.Stat()
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	f.Close()
	if err := regularOrAbsentIn(r, name); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := r.Rename(tmp, name); err != nil {
		return fmt.Errorf("write %s: rename: %w", p, err)
	}
	committed = true
	if now, err := r.Lstat(name); err != nil || !os.SameFile(now, mine) {
		return fmt.Errorf("write %s: it was replaced by another file as it was put there", p)
	}
	return nil
}

// ReadInDir reads dir/name, at most limit bytes, without following a
// link: dir must not be a link or junction, name is looked at relative
// to its handle (os.Root), must be a regular file, and is the file that
// was then opened. found is false, with no error, when name does not
// exist; a file longer than limit is an error.
func ReadInDir(dir, name string, limit int64) (data []byte, found bool, err error) {
	p := filepath.Join(dir, name)
	if err := checkBaseName(name); err != nil {
		return nil, false, fmt.Errorf("read %s: %w", p, err)
	}
	r, err := openRootNoFollow(dir)
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", p, err)
	}
	defer r.Close()
	fi, err := r.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", p, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, false, fmt.Errorf("read %s: %w (%s)", p, ErrNotRegular, fi.Mode().Type())
	}
	f, err := r.Open(name)
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", p, err)
	}
	defer f.Close()
	if now, err := f.Stat(); err != nil || !os.SameFile(fi, now) {
		return nil, false, fmt.Errorf("read %s: it changed while it was opened", p)
	}
	return readBounded(f, p, limit)
}
