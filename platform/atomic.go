package platform

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// AtomicFile is a file being written to take another's place in one step:
// a new temporary file (a random name, created exclusively, so no link
// planted there is followed). Write to it, then Commit it to its final
// path, or Abort. A crash leaves the old file or the new one, never a part.
type AtomicFile struct {
	*os.File
	done bool
}

// CreateAtomic creates the temporary file in dir, named after pattern as
// os.CreateTemp does. dir must be on the file system of the final path.
func CreateAtomic(dir, pattern string) (*AtomicFile, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &AtomicFile{File: f}, nil
}

// Commit makes the file durable and puts it at path with mode perm:
// fsync, chmod, close, rename, fsync of the directory (RenameDurable). On
// error the temporary file is removed.
func (f *AtomicFile) Commit(path string, perm os.FileMode) error {
	if f.done {
		return errors.New("commit " + path + ": already committed or aborted")
	}
	err := f.Sync()
	if err == nil {
		err = f.Chmod(perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = RenameDurable(f.Name(), path)
	}
	f.done = true
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}

// Abort closes and removes the temporary file; after Commit it does nothing.
func (f *AtomicFile) Abort() {
	if f == nil || f.done {
		return
	}
	f.done = true
	f.Close()
	_ = os.Remove(f.Name())
}

// RenameDurable renames oldpath to newpath and fsyncs the directory that
// holds newpath (and oldpath's, when it is another), so that the rename
// survives a crash. On Windows the rename is durable as it is.
func RenameDurable(oldpath, newpath string) error {
	if err := os.Rename(oldpath, newpath); err != nil {
		return err
	}
	from, to := filepath.Dir(oldpath), filepath.Dir(newpath)
	if err := syncDir(to); err != nil {
		return fmt.Errorf("sync %s: %w", to, err)
	}
	if filepath.Clean(from) != filepath.Clean(to) {
		if err := syncDir(from); err != nil {
			return fmt.Errorf("sync %s: %w", from, err)
		}
	}
	return nil
}

// WriteFileAtomic replaces path with what write writes, with mode perm: a
// temporary file in the same directory (CreateAtomic), then Commit.
func WriteFileAtomic(path string, perm os.FileMode, write func(io.Writer) error) error {
	f, err := CreateAtomic(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Abort()
		return err
	}
	return f.Commit(path, perm)
}

// WriteBytesAtomic is WriteFileAtomic for data in memory.
func WriteBytesAtomic(path string, data []byte, perm os.FileMode) error {
	return WriteFileAtomic(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
