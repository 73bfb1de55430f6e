package fetch

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"
	"testing/iotest"
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
	// Closing early stops the goroutine without reading on.
	ra = newReadAhead(bytes.NewReader(data), 1000, 2)
	buf := make([]byte, 10)
	_, _ = ra.Read(buf)
	ra.Close()
}
