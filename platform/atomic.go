package platform

import (
	"io"
	"os"
	"path/filepath"
)

// WriteFileAtomic replaces path with what write writes, with mode perm: a
// new temporary file in the same directory (a random name, created
// exclusively, so no link planted there is followed), fsync, chmod, rename.
// A crash leaves the old file or the new one, never a part.
func WriteFileAtomic(path string, perm os.FileMode, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// WriteBytesAtomic is WriteFileAtomic for data in memory.
func WriteBytesAtomic(path string, data []byte, perm os.FileMode) error {
	return WriteFileAtomic(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
