package platform

// Privileged is false on Windows: the runner runs as a service account and
// runnerctl changes no file ownership.
func Privileged() bool { return false }

// ChownTree does nothing on Windows (see Privileged).
func ChownTree(dir, name string) error { return nil }
