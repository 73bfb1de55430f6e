package platform

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// CheckReachable is a no-op on Windows: the service account
// (NETWORK SERVICE) reads what Users can, and install puts runnerctl in
// Program Files.
func CheckReachable(path, name string) error { return nil }

// CheckExecutable: see CheckReachable.
func CheckExecutable(path, name string) error { return nil }

// StableExecutable reports whether path is under Program Files or the
// Windows directory, where only administrators write.
func StableExecutable(path string) bool {
	for _, v := range []string{"ProgramFiles", "ProgramFiles(x86)", "SystemRoot"} {
		if d := os.Getenv(v); d != "" && strings.HasPrefix(strings.ToLower(filepath.Clean(path)), strings.ToLower(filepath.Clean(d))+`\`) {
			return true
		}
	}
	return false
}

// CheckRootOnly is a no-op on Windows: Program Files is writable by
// administrators only (ACLs, not modes).
func CheckRootOnly(dir string) error { return nil }

// Temporary reports whether path is under the temporary directory or a
// user profile.
func Temporary(path string) bool {
	p := strings.ToLower(filepath.Clean(path))
	for _, d := range []string{os.TempDir(), os.Getenv("USERPROFILE")} {
		if d != "" && strings.HasPrefix(p, strings.ToLower(filepath.Clean(d))+`\`) {
			return true
		}
	}
	return false
}

// OwnedByUs: ownership is by ACL on Windows; Program Files is
// administrators' only.
func OwnedByUs(fs.FileInfo) bool { return true }
