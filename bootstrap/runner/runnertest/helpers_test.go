package runnertest_test

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a process's two output pipes and
// a reader.
// The buffer is a named field, not embedded: an embedded one's ReadFrom
// (which io.Copy prefers) would bypass the lock.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

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
