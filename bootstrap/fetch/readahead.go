package fetch

import (
	"io"
	"sync"
)

// readAhead reads r in its own goroutine, up to n chunks of size bytes
// ahead of the consumer. In the one-pass pipeline it lets the network
// read, the sha256 and the cache-file write (all behind r) overlap the
// decompression and extraction that consume the stream, instead of
// taking turns with them. Memory stays bounded by (n+1)·size.
type readAhead struct {
	chunks chan []byte
	free   chan []byte
	done   chan struct{}
	once   sync.Once
	buf    []byte // the chunk being consumed (whole, to give back)
	cur    []byte // its unread rest
	err    error
	errc   chan error
}

func newReadAhead(r io.Reader, size, n int) *readAhead {
	ra := &readAhead{chunks: make(chan []byte, n), free: make(chan []byte, n+1), done: make(chan struct{}), errc: make(chan error, 1)}
	for i := 0; i < n+1; i++ {
		ra.free <- make([]byte, size)
	}
	go ra.fill(r)
	return ra
}

func (ra *readAhead) fill(r io.Reader) {
	defer close(ra.chunks)
	for {
		var buf []byte
		select {
		case buf = <-ra.free:
		case <-ra.done:
			return
		}
		n, err := io.ReadFull(r, buf[:cap(buf)])
		if n > 0 {
			select {
			case ra.chunks <- buf[:n]:
			case <-ra.done:
				return
			}
		}
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		if err != nil {
			ra.errc <- err
			return
		}
	}
}

func (ra *readAhead) Read(p []byte) (int, error) {
	if len(ra.cur) == 0 {
		if ra.buf != nil {
			ra.free <- ra.buf[:cap(ra.buf)]
			ra.buf = nil
		}
		if ra.err != nil {
			return 0, ra.err
		}
		buf, ok := <-ra.chunks
		if !ok {
			ra.err = <-ra.errc
			return 0, ra.err
		}
		ra.buf, ra.cur = buf, buf
	}
	n := copy(p, ra.cur)
	ra.cur = ra.cur[n:]
	return n, nil
}

// Close stops the reading goroutine (it may be blocked in r until r ends).
func (ra *readAhead) Close() error {
	ra.once.Do(func() { close(ra.done) })
	return nil
}
