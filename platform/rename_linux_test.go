package platform

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRenameExchange(t *testing.T) {
	d := t.TempDir()
	a, b := filepath.Join(d, "a"), filepath.Join(d, "b")
	must(t, os.Mkdir(a, 0o755))
	must(t, os.WriteFile(filepath.Join(a, "new"), nil, 0o644))
	must(t, os.Symlink("/", b))
	if err := RenameExchange(a, b); err != nil {
		t.Fatal(err)
	}
	if l, err := os.Readlink(a); err != nil || l != "/" {
		t.Fatalf("a: %q %v", l, err)
	}
	if _, err := os.Stat(filepath.Join(b, "new")); err != nil {
		t.Fatalf("b: %v", err)
	}
	if err := RenameExchange(a, filepath.Join(d, "missing")); err == nil {
		t.Fatal("exchanged with a missing name")
	}
}
