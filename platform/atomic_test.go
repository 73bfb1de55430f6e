package platform

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.json")
	if err := WriteBytesAtomic(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(p, 0o644, func(io.Writer) error { return errors.New("boom") }); err == nil {
		t.Fatal("a failed write was committed")
	}
	if b, _ := os.ReadFile(p); string(b) != "one" {
		t.Fatalf("after a failed write: %q, want the old content", b)
	}
	if err := WriteBytesAtomic(p, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "two" {
		t.Fatalf("content %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
}

// A file written in one directory and committed to another (the cache's
// entries) lands there; an aborted one leaves nothing.
func TestAtomicFileAcrossDirs(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "entry")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := CreateAtomic(dir, ".partial-*")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("pkg"); err != nil {
		t.Fatal(err)
	}
	final := filepath.Join(sub, "pkg.tar.gz")
	if err := f.Commit(final, 0o644); err != nil {
		t.Fatal(err)
	}
	f.Abort() // after Commit: nothing
	if b, err := os.ReadFile(final); err != nil || string(b) != "pkg" {
		t.Fatalf("committed file: %q, %v", b, err)
	}
	g, err := CreateAtomic(dir, ".partial-*")
	if err != nil {
		t.Fatal(err)
	}
	g.Abort()
	if _, err := os.Stat(g.Name()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("aborted file left: %v", err)
	}
	if err := g.Commit(final, 0o644); err == nil {
		t.Fatal("an aborted file was committed")
	}
}
