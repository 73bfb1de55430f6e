//go:build !windows

package platform_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/runnerctl/runnerctl/platform"
	"github.com/runnerctl/runnerctl/platform/platformtest"
)

// A directory chain another user can change is named, a sticky
// world-writable one (/tmp) too: what goes away below it at boot anyone
// can make again.
func TestCheckRootOnly(t *testing.T) {
	base := platformtest.RootOnlyTempDir(t)
	for i, c := range []struct {
		mode os.FileMode
		ok   bool
	}{{0o755, true}, {0o700, true}, {0o777, false}, {0o775, false}, {0o777 | os.ModeSticky, false}} {
		d := filepath.Join(base, fmt.Sprint(i))
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, c.mode); err != nil {
			t.Fatal(err)
		}
		err := platform.CheckRootOnly(filepath.Join(d, "bin"))
		if (err == nil) != c.ok {
			t.Errorf("mode %v: err = %v, want ok=%v", c.mode, err, c.ok)
		}
	}
}
