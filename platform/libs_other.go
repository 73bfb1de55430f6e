//go:build !linux

package platform

// LibraryCache returns false: outside Linux the runner brings or finds
// what it needs (macOS: the system's ICU; Windows: the OS).
func LibraryCache() (string, bool, error) { return "", false, nil }

// LibraryDirs: see LibraryCache.
func LibraryDirs() []string { return nil }

// UserCreatable says why CreateUser cannot create a user here.
func UserCreatable() error { return CreateUser("runner") }
