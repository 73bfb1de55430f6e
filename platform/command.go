package platform

import (
	"os/exec"
	"path/filepath"
)

// SystemCommand is exec.Command for a system tool (useradd, systemctl,
// journalctl): found on PATH, else in the system directories, which a
// root process may lack on PATH (`env -i`, a minimal service environment)
// while the tool is there.
func SystemCommand(name string, args ...string) *exec.Cmd {
	if _, err := exec.LookPath(name); err != nil {
		for _, d := range systemDirs() {
			if p := filepath.Join(d, name); isExecutable(p) {
				return exec.Command(p, args...)
			}
		}
	}
	return exec.Command(name, args...)
}
