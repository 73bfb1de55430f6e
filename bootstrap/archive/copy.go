package archive

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// CopyTo copies the staged tree into a new staging tree beside dest, as
// Extract would have made it from the same archive: directories, regular
// files and symbolic links with their modes, each file its own inode (a
// copy, never a hard link: the runners' trees are given away and then
// belong to jobs, and one tree's files must not be another's). The source
// stays as it is. Like Extract, it is root-only until Chown and Commit.
func (s *Staged) CopyTo(dest string) (*Staged, error) {
	if s.removed {
		return nil, errors.New("copy the staged tree: it was committed or discarded")
	}
	st, err := newStaging(dest)
	if err != nil {
		return nil, err
	}
	dirModes := map[string]fs.FileMode{}
	err = filepath.WalkDir(s.Dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(s.Dir, p)
		if err != nil || rel == "." {
			return err
		}
		target := filepath.Join(st.Dir, rel)
		fi, err := e.Info()
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			dirModes[target] = fi.Mode().Perm()
			return os.Mkdir(target, 0o700)
		case fi.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case fi.Mode().IsRegular():
			st.Files++
			st.Bytes += fi.Size()
			return copyFile(p, target, fi.Mode().Perm())
		}
		return fmt.Errorf("%s: %s is not what Extract makes", rel, fi.Mode().Type())
	})
	// Directory modes last, as Extract sets them.
	for p, m := range dirModes {
		if err == nil {
			err = os.Chmod(p, m)
		}
	}
	if err != nil {
		st.Discard()
		return nil, fmt.Errorf("copy the staged tree: %w", err)
	}
	return st, nil
}

// copyFile copies src to a new file dst with mode perm (io.Copy between
// files uses copy_file_range on Linux: a reflink where the file system
// has them, still a file of its own).
func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, perm) // past the umask, as extracted
}
