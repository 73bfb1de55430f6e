package platform

import (
	"path/filepath"

	"golang.org/x/sys/windows"
)

// programData is the machine's ProgramData folder, from the shell's
// known-folder list, not from the environment: a service's environment
// may name another (Wine gives services C:\users\Public), and the
// caller's environment is not to be trusted with where root's state is.
func programData() string {
	if pd, err := windows.KnownFolderPath(windows.FOLDERID_ProgramData, 0); err == nil && pd != "" {
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
	pf, err := windows.KnownFolderPath(windows.FOLDERID_ProgramFiles, 0)
	if err != nil || pf == "" {
		pf = `C:\Program Files`
	}
	return filepath.Join(pf, "runnerctl")
}

// ExecutableName is runnerctl's file name.
func ExecutableName() string { return "runnerctl.exe" }

// RunDir holds the services' supervisor status files.
func RunDir() string { return filepath.Join(programData(), "runnerctl", "run") }

// CheckDefaultConfigFile refuses, to an administrator, a DefaultConfigFile
// that another account can change (CheckRootFile): ProgramData lets every
// user make files in the folders made in it, and so in
// ProgramData\runnerctl, where one planted would set an administrator's
// install (its package, its directory, its service account).
func CheckDefaultConfigFile(path string) error {
	if !Privileged() {
		return nil
	}
	return CheckRootFile(path)
}
