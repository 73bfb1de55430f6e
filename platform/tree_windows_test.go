package platform

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// tempDir is t.TempDir removed with RemoveTree (t.TempDir's cleanup is
// os.RemoveAll, which Wine refuses on a non-empty tree).
func tempDir(t *testing.T) string {
	t.Helper()
	tmp, err := os.MkdirTemp("", "removetree")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = RemoveTree(tmp) })
	return tmp
}

// RemoveTree's fallback entry by entry: nested directories, a read-only
// file, an entry already gone.
func TestRemoveTreeFallback(t *testing.T) {
	root := filepath.Join(tempDir(t), "root")
	if err := os.MkdirAll(filepath.Join(root, "b", "c"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{filepath.Join(root, "b", "c", "f"), filepath.Join(root, "g")} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ro := filepath.Join(root, "b", "ro")
	if err := os.WriteFile(ro, []byte("x"), 0o444); err != nil {
		t.Fatal(err)
	}
	rootFinal, err := finalPathOf(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := removeUnder(rootFinal, ro); err != nil {
		t.Fatalf("remove a read-only file: %v", err)
	}
	if _, err := os.Lstat(ro); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the read-only file is still there: %v", err)
	}
	if err := removeUnder(rootFinal, filepath.Join(root, "gone")); err != nil {
		t.Errorf("remove a missing file: %v, want nil", err)
	}
	if err := removeUnder(rootFinal, filepath.Join(root, "b")); err == nil {
		t.Error("removeUnder removed a directory that is not empty")
	}
	if err := RemoveTree(root); err != nil {
		t.Fatalf("RemoveTree: %v", err)
	}
	if _, err := os.Lstat(root); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("RemoveTree left %s: %v", root, err)
	}
}

// A path redirected by a link planted on the way after RemoveTree's walk
// (a job swapping a directory of the tree for a link to elsewhere) is
// refused, and what is outside stays. The tree is root\a -> a directory
// outside root holding f: REMOVEUNDER_ROOT's, planted by
// TestRemoveTreeUnderWine (a Unix symbolic link in the prefix's C:\,
// which Wine follows: its CreateSymbolicLink makes none), else made here.
func TestRemoveUnderRedirected(t *testing.T) {
	root := os.Getenv("REMOVEUNDER_ROOT")
	if root == "" {
		tmp := tempDir(t)
		root = filepath.Join(tmp, "root")
		outside := filepath.Join(tmp, "outside", "a")
		if err := os.MkdirAll(outside, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(root, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(outside, "f"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		err := os.Symlink(outside, filepath.Join(root, "a"))
		if _, lerr := os.Lstat(filepath.Join(root, "a", "f")); err != nil || lerr != nil {
			t.Skipf("cannot make a directory link here (SeCreateSymbolicLinkPrivilege?): %v, %v", err, lerr)
		}
	}
	rootFinal, err := finalPathOf(root)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(root, "a", "f")
	err = removeUnder(rootFinal, f)
	t.Logf("removeUnder(%s): %v", f, err)
	if err == nil {
		t.Error("removeUnder followed a link planted on the way")
	}
	if _, err := os.Stat(f); err != nil {
		t.Errorf("the file outside the tree was removed: %v", err)
	}
}

func TestWithin(t *testing.T) {
	for _, c := range []struct {
		root, p string
		want    bool
	}{
		{`\\?\C:\r`, `\\?\C:\r`, true},
		{`\\?\C:\r`, `\\?\C:\R\a`, true},
		{`\\?\C:\r`, `\\?\C:\rr\a`, false},
		{`\\?\C:\r`, `\\?\C:\x\a`, false},
		{`\\?\C:\`, `\\?\C:\x`, true},
	} {
		if got := within(c.root, c.p); got != c.want {
			t.Errorf("within(%q, %q) = %v, want %v", c.root, c.p, got, c.want)
		}
	}
}
