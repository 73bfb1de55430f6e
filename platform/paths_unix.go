//go:build !windows

package platform

import (
	"os"
	"path/filepath"
)

// DefaultConfigFile is read when --config is not given and the file exists.
func DefaultConfigFile() string { return "/etc/runnerctl/config.yaml" }

// DefaultCacheDir holds verified runner packages.
func DefaultCacheDir() string { return "/var/cache/runnerctl" }

// DefaultRunnerDir is where a runner is prepared or installed.
func DefaultRunnerDir() string { return "/opt/actions-runner" }

// DefaultStateDir holds runnerctl's trusted records (see StateDir):
// /var/lib/runnerctl for root (/var/db/runnerctl on macOS), else the
// user's own state directory, since a runner installed without root runs
// as, and is trusted by, that user alone.
func DefaultStateDir() string {
	if os.Geteuid() == 0 {
		return systemStateDir
	}
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "runnerctl")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "runnerctl")
	}
	return systemStateDir
}

// DefaultBinDir is where install places the runnerctl that services run
// when it is started from somewhere that may not last or that the service
// user cannot read (/tmp, a home directory).
func DefaultBinDir() string { return "/usr/local/bin" }

// ExecutableName is runnerctl's file name.
func ExecutableName() string { return "runnerctl" }

// CheckDefaultConfigFile does nothing on Unix: DefaultConfigFile's
// directory is root's.
func CheckDefaultConfigFile(string) error { return nil }
