package platform_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/platform/platformtest/winetest"
)

// The Windows tests of RemoveTree's fallback (tree_windows_test.go), HideFile and CheckRootFile's ACL test run
// under Wine, whose file system makes RemoveTree take it; a directory on
// the way to a file is a link planted from the Linux side (a Unix
// symbolic link in the prefix's C:\, which Wine follows).
func TestRemoveTreeUnderWine(t *testing.T) {
	p := winetest.New(t)
	exe := filepath.Join(t.TempDir(), "platform.test.exe")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "test", "-c", "-o", exe, ".")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the Windows test binary: %v\n%s", err, out)
	}
	base := filepath.Join(p.DriveC(), "planted")
	outside := filepath.Join(base, "outside", "a")
	if err := os.MkdirAll(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(base, "root"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(base, "root", "a")); err != nil {
		t.Fatal(err)
	}
	c := p.Command(ctx, exe, "-test.run", "^(TestRemoveTreeFallback|TestRemoveUnderRedirected|TestWithin|TestHideFile|TestAdminsOnlyWrite|TestGrantServiceAccess|TestProtectRunnerKey)$", "-test.v")
	c.Env = append(c.Env, `REMOVEUNDER_ROOT=C:\planted\root`)
	out, err := c.CombinedOutput()
	t.Logf("%s", out)
	for _, name := range []string{"TestRemoveTreeFallback", "TestRemoveUnderRedirected", "TestWithin", "TestHideFile", "TestAdminsOnlyWrite", "TestProtectRunnerKey"} {
		if !strings.Contains(string(out), "--- PASS: "+name) {
			t.Errorf("%s did not pass under Wine (%v)", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(outside, "f")); err != nil {
		t.Errorf("the file behind the planted link was removed: %v", err)
	}
}
