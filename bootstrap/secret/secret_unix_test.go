//go:build !windows

package secret

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/platform"
)

// A secret file is read by root from a path someone named: a FIFO, a
// device or a huge file must be refused, not block or read without end.
func TestFromFileRefusesNonFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, []byte(strings.Repeat("a", MaxFileSize+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link") // a link the user gave is followed
	if err := os.WriteFile(filepath.Join(dir, "tok"), []byte(value), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("tok", link); err != nil {
		t.Fatal(err)
	}
	if s, err := FromFile(link); err != nil || s.Reveal() != value {
		t.Fatalf("FromFile(link) = %q, %v", s.Reveal(), err)
	}
	for _, c := range []struct {
		path, want string
		regular    bool
	}{
		{fifo, "not a regular file", true},
		{"/dev/zero", "not a regular file", true},
		{dir, "not a regular file", true},
		{big, "longer than", false},
	} {
		done := make(chan error, 1)
		go func() { _, err := FromFile(c.path); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), c.want) || c.regular != errors.Is(err, platform.ErrNotRegular) {
				t.Errorf("FromFile(%s): err = %v, want %q", c.path, err, c.want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("FromFile(%s) blocked", c.path)
		}
	}
}
