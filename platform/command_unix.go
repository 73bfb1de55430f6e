//go:build !windows

package platform

import (
	"os"
	"os/exec"
)

func systemDirs() []string {
	return []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// DefaultShutdownCommand powers the host off (--shutdown-command's default).
const DefaultShutdownCommand = "shutdown -h now"

// ShellCommand runs line with the system shell (sh -c): the operator's
// --shutdown-command, from the trusted store.
func ShellCommand(line string) *exec.Cmd { return SystemCommand("sh", "-c", line) }
