package platform

import (
	"os"
	"path/filepath"
)

func programData() string {
	if pd := os.Getenv("ProgramData"); pd != "" {
		return pd
	}
	return `C:\ProgramData`
}

// DefaultConfigFile is read when --config is not given and the file exists.
func DefaultConfigFile() string { return filepath.Join(programData(), "runnerctl", "config.yaml") }

// DefaultCacheDir holds verified runner packages.
func DefaultCacheDir() string { return filepath.Join(programData(), "runnerctl", "cache") }

// DefaultRunnerDir is where a runner is prepared or installed.
func DefaultRunnerDir() string { return `C:\actions-runner` }

// DefaultStateDir holds runnerctl's trusted records; SecureDir gives it
// to SYSTEM and Administrators only.
func DefaultStateDir() string { return filepath.Join(programData(), "runnerctl", "state") }

// DefaultBinDir is where install places the runnerctl that services run.
func DefaultBinDir() string {
	pf := os.Getenv("ProgramFiles")
	if pf == "" {
		pf = `C:\Program Files`
	}
	return filepath.Join(pf, "runnerctl")
}

// ExecutableName is runnerctl's file name.
func ExecutableName() string { return "runnerctl.exe" }

// RunDir holds the services' supervisor status files.
func RunDir() string { return filepath.Join(programData(), "runnerctl", "run") }
