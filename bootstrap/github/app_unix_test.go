//go:build !windows

package github

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Credential files (tokens, JIT configs, the App key) are read by root
// from a path someone named: a FIFO, a device, a directory or a huge
// file is refused before any read, not a read that blocks or never ends;
// a link the user gave is followed; an empty file is refused.
func TestCredentialFilesRefuseNonFiles(t *testing.T) {
	dir := t.TempDir()
	const value = "ghr_0123456789abcdefTOKEN"
	fifo, big, empty, tok, link := filepath.Join(dir, "fifo"), filepath.Join(dir, "big"), filepath.Join(dir, "empty"), filepath.Join(dir, "tok"), filepath.Join(dir, "link")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for p, data := range map[string]string{big: strings.Repeat("a", maxCredentialFile+1), empty: " \n", tok: "  " + value + "\r\n"} {
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("tok", link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{tok, link} {
		if s, err := ReadCredentialFile(p, "--x-file", nil); err != nil || s.Reveal() != value {
			t.Errorf("ReadCredentialFile(%s) = %q, %v", p, s.Reveal(), err)
		}
	}
	read := map[string]func(string) error{
		"ReadCredentialFile": func(p string) error { _, err := ReadCredentialFile(p, "--x-file", nil); return err },
		"readAppKey":         func(p string) error { _, err := readAppKey(p); return err },
	}
	for _, c := range []struct{ path, want string }{
		{fifo, "not a regular file"}, {"/dev/zero", "not a regular file"}, {dir, "not a regular file"}, {big, "longer than"},
	} {
		for name, f := range read {
			done := make(chan error, 1)
			go func() { done <- f(c.path) }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s(%s): err = %v, want %q", name, c.path, err, c.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s(%s) blocked", name, c.path)
			}
		}
	}
	if _, err := ReadCredentialFile(empty, "--x-file", nil); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty file: %v", err)
	}
	if _, err := ReadCredentialFile(filepath.Join(dir, "missing"), "--x-file", nil); err == nil {
		t.Error("missing file: no error")
	}
}
