package bootstrap

// TEMPORARY: stands in for helper B's platform/archive API until it lands.

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"os/user"

	"github.com/runnerctl/runnerctl/bootstrap/archive"
	"github.com/runnerctl/runnerctl/platform"
)

type shimAccount struct {
	Name, Home string
	UID, GID   uint32
}

func lookupAccount(name string) (shimAccount, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return shimAccount{}, err
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return shimAccount{}, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return shimAccount{}, err
	}
	return shimAccount{Name: name, Home: u.HomeDir, UID: uint32(uid), GID: uint32(gid)}, nil
}

func writeInDir(dir, name string, data []byte, perm os.FileMode, uid, gid int) error {
	p := filepath.Join(dir, name)
	if err := platform.WriteBytesAtomic(p, data, perm); err != nil {
		return err
	}
	if uid >= 0 {
		return os.Lchown(p, uid, gid)
	}
	return nil
}

func readInDir(dir, name string, limit int64) ([]byte, bool, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	return b, err == nil, err
}

func chownStaged(s *archive.Staged, uid, gid int) error {
	return filepath.Walk(s.Dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

func chownPristine(dir string, uid, gid int) error { return errors.New("shim: not pristine") }

func commitReplacing(s *archive.Staged, dest string) error {
	if err := os.RemoveAll(dest); err != nil {
		return err
	}
	return s.Commit(dest)
}
