package runnertest_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// waitFile waits (bounded) for path to exist.
func waitFile(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Lstat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never appeared", path)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitGlob waits (bounded) for pattern to match a file.
func waitGlob(t *testing.T, pattern string) []string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing matches %s", pattern)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
