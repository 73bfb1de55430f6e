//go:build !windows

package platform

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
)

// Privileged reports whether this process runs as root.
func Privileged() bool { return os.Geteuid() == 0 }

// ChownTree gives dir and everything in it to name (links themselves, not their targets).
func ChownTree(dir, name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("chown %s: %w", dir, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if err := os.Lchown(p, uid, gid); err != nil {
			return fmt.Errorf("chown %s: %w", p, err)
		}
		return nil
	})
}
