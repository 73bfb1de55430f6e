//go:build !windows

package service

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The status file is the runner user's (systemd, launchd): what a job
// plants there must not block root, be followed, or reach root's
// terminal as escape sequences.
func TestReadStatusFileHostile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "status.json")

	// A FIFO in its place: refused at once, not a read that never ends.
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := readStatusFile(p); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("FIFO: err = %v, want a refusal", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("reading a FIFO status file blocked")
	}
	os.Remove(p)

	// A link to another file: not followed.
	target := filepath.Join(dir, "secret")
	if err := os.WriteFile(target, []byte(`{"state":"listening"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
	if st, err := readStatusFile(p); err == nil {
		t.Fatalf("symlink followed: %+v", st)
	}
	os.Remove(p)

	// Escapes and a fake line in the text fields: shown harmless.
	b, _ := json.Marshal(SupervisorStatus{State: "listening\x1b[2J", Message: "ok\nservice:    all good\x07", LastExit: strings.Repeat("x", 1000)})
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := readStatusFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := st.String()
	if strings.ContainsAny(s, "\x1b\n\x07") || len(s) > 600 {
		t.Fatalf("String() lets control characters or 1000 bytes through: %q", s)
	}
}
