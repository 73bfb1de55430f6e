package fetch

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
)

func TestReadAhead(t *testing.T) {
	data := make([]byte, 1<<20+123)
	_, _ = rand.Read(data)
	// Small chunks and a reader that returns a byte at a time: every buffer is recycled many times.
	ra := newReadAhead(iotest.OneByteReader(bytes.NewReader(data)), 1000, 3)
	got, err := io.ReadAll(iotest.HalfReader(ra))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, err %v", len(got), err)
	}
	ra.Close()

	boom := errors.New("boom")
	ra = newReadAhead(io.MultiReader(bytes.NewReader(data[:5000]), iotest.ErrReader(boom)), 1000, 2)
	got, err = io.ReadAll(ra)
	if !errors.Is(err, boom) || len(got) != 5000 {
		t.Fatalf("error not passed on: %d bytes, %v", len(got), err)
	}
	// Closing early stops the goroutine without reading on: it closes its
	// chunk channel (it returned) and read at most the n+1 chunks it has
	// buffers for, from an endless source.
	src := &countingReader{}
	ra = newReadAhead(src, 1000, 2)
	buf := make([]byte, 10)
	if _, err := ra.Read(buf); err != nil {
		t.Fatal(err)
	}
	ra.Close()
	deadline := time.After(5 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-ra.chunks:
		case <-deadline:
			t.Fatal("the read-ahead goroutine still runs after Close")
		}
	}
	if n := src.n.Load(); n > 3*1000 {
		t.Fatalf("read %d bytes ahead, want at most 3 chunks of 1000", n)
	}
}

// countingReader is an endless source of zeros that counts what it gives.
type countingReader struct{ n atomic.Int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	clear(p)
	c.n.Add(int64(len(p)))
	return len(p), nil
}
