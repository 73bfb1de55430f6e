//go:build !windows

package platform

// DefaultConfigFile is read when --config is not given and the file exists.
func DefaultConfigFile() string { return "/etc/runnerctl/config.yaml" }

// DefaultCacheDir holds verified runner packages.
func DefaultCacheDir() string { return "/var/cache/runnerctl" }

// DefaultRunnerDir is where a runner is prepared or installed.
func DefaultRunnerDir() string { return "/opt/actions-runner" }

// DefaultIndexDir holds the host index of installed runners.
func DefaultIndexDir() string { return "/var/lib/runnerctl" }

// DefaultBinDir is where install places the runnerctl that services run
// when it is started from somewhere that may not last or that the service
// user cannot read (/tmp, a home directory).
func DefaultBinDir() string { return "/usr/local/bin" }

// ExecutableName is runnerctl's file name.
func ExecutableName() string { return "runnerctl" }
