package platform

import (
	"path/filepath"
	"strings"
)

// The runner package's layout (runner-contract.md): the scripts and the
// listener binary runnerctl drives, relative to the runner directory.

// WindowsServiceAccount is the runner service's default account on
// Windows, as config.cmd's.
const WindowsServiceAccount = `NT AUTHORITY\NETWORK SERVICE`

// ListenerPath is the listener binary of this OS's runner in dir.
func ListenerPath(dir string) string { return filepath.Join(dir, "bin", listenerName) }

// PackageListener is the listener binary, relative to the runner
// directory, in the runner package named filename: bin/Runner.Listener.exe
// in a .zip (Windows) package, bin/Runner.Listener in the others. Its
// presence says a package is extracted.
func PackageListener(filename string) string {
	if strings.HasSuffix(strings.ToLower(filename), ".zip") {
		return filepath.Join("bin", "Runner.Listener.exe")
	}
	return filepath.Join("bin", "Runner.Listener")
}
