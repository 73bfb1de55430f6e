package platform

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/windows"
)

// ChownNoFollow does nothing on Windows: files are shared by ACL, not
// owned by the runner's account (RunsAsUser).
func ChownNoFollow(dir string, uid, gid int) error { return nil }

// CheckPristine does nothing on Windows (see ChownNoFollow).
func CheckPristine(dir string) error { return nil }

// ChownPristine does nothing on Windows (see ChownNoFollow).
func ChownPristine(dir string, uid, gid int) error { return nil }

// RemoveTree removes path and what it holds, as os.RemoveAll. Where the
// file system refuses the POSIX-semantics delete Go uses
// (FileDispositionInformationEx) with an error Go does not fall back on
// (ERROR_INVALID_FUNCTION: some filter drivers, and Wine), it removes what
// is left one entry at a time, deepest first, without following links or
// junctions (os.Remove on a link removes the link).
func RemoveTree(path string) error {
	err := os.RemoveAll(path)
	if err == nil || !errors.Is(err, windows.ERROR_INVALID_FUNCTION) {
		return err
	}
	var entries []string
	werr := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		entries = append(entries, p)
		return nil
	})
	if werr != nil && !errors.Is(werr, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", path, werr)
	}
	for i := len(entries) - 1; i >= 0; i-- {
		if err := os.Remove(entries[i]); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}
