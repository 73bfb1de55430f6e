package platform

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/windows"
)

// HideFile hides a regular file through its handle and refuses a
// directory (a link or junction is refused the same way: not followed).
func TestHideFile(t *testing.T) {
	dir := tempDir(t)
	f := filepath.Join(dir, ".service")
	if err := os.WriteFile(f, []byte("svc"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := HideFile(f); err != nil {
		t.Fatal(err)
	}
	p, _ := windows.UTF16PtrFromString(f)
	attrs, err := windows.GetFileAttributes(p)
	if err != nil || attrs&windows.FILE_ATTRIBUTE_HIDDEN == 0 {
		t.Errorf("attributes %#x (%v): not hidden", attrs, err)
	}
	if b, err := os.ReadFile(f); err != nil || string(b) != "svc" {
		t.Errorf("content %q (%v) changed", b, err)
	}
	if err := HideFile(dir); !errors.Is(err, ErrNotRegular) {
		t.Errorf("HideFile(a directory) = %v, want ErrNotRegular", err)
	}
}
