//go:build !windows

package platformtest

import (
	"os"
	"testing"

	"github.com/runnerctl/runnerctl/platform"
)

// RootOnlyTempDir is a temporary directory whose whole chain only root
// can change (t.TempDir is under /tmp, which anyone can write to): under
// /run, for the tests of what install puts where the service runs it.
// It skips the test when not root or when /run does not qualify.
func RootOnlyTempDir(t testing.TB) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipped: needs root (a root-owned directory chain)")
	}
	if err := platform.CheckRootOnly("/run"); err != nil {
		t.Skipf("skipped: /run is not root-only here: %v", err)
	}
	d, err := os.MkdirTemp("/run", "runnerctl-test-")
	if err != nil {
		t.Skipf("skipped: %v", err)
	}
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}
