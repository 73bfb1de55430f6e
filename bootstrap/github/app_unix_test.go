//go:build !windows

package github

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The App key file is read by root from a path the user named: a FIFO
// or a device is refused before any read (it would block, or never end).
func TestReadAppKeyRefusesNonFiles(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "key.pem")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, "/dev/zero"} {
		done := make(chan error, 1)
		go func() { _, err := readAppKey(p); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("readAppKey(%s): err = %v", p, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("readAppKey(%s) blocked", p)
		}
	}
}
