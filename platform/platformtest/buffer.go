package platformtest

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer safe for a process's output pipes, a logger
// and a reader at once. The buffer is a named field, not embedded: an
// embedded one's ReadFrom (which io.Copy prefers) would bypass the lock.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
