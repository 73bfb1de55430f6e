package platform

import "os/exec"

// Privileged is false on Windows: the runner runs as a service account and
// runnerctl changes no file ownership.
func Privileged() bool { return false }

// RunsAsUser is false on Windows: the runner runs as the service's
// account (see Privileged).
func RunsAsUser() bool { return false }

// ChownTree does nothing on Windows (see Privileged).
func ChownTree(dir, name string) error { return nil }

// RunAs does nothing on Windows: config.cmd runs as the elevated caller
// and the service account is set on the service.
func RunAs(cmd *exec.Cmd, name string) error { return nil }
