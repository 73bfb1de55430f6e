//go:build !windows

package platform

// DefaultConfigFile is read when --config is not given and the file exists.
func DefaultConfigFile() string { return "/etc/runnerctl/config.yaml" }
