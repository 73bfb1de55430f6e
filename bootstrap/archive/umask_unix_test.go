//go:build !windows

package archive

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Modes come from the archive, not from the umask.
func TestExtractIgnoresUmask(t *testing.T) {
	archive := realTarGz(t, runnerTree(t))
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	dest := install(t, archive)
	for p, want := range map[string]os.FileMode{"config.sh": 0o755, "bin": 0o755, "bin/Runner.Listener.dll": 0o644} {
		if fi, err := os.Stat(filepath.Join(dest, p)); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s under umask 077: %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
}
