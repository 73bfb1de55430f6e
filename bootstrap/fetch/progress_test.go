package fetch

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestProgressLogLines(t *testing.T) {
	var logs bytes.Buffer
	p := NewProgress(nil, slog.New(slog.NewTextHandler(&logs, nil)), "pkg", 1000)
	now := time.Unix(0, 0)
	p.now = func() time.Time { return now }
	p.lastLog = now
	for i := 0; i < 100; i++ { // 1% at a time, no time passing: a line per 10%
		_, _ = p.Write(make([]byte, 10))
	}
	if n := strings.Count(logs.String(), "msg=downloading"); n != 10 {
		t.Fatalf("%d lines for 0..100%%, want 10:\n%s", n, logs.String())
	}
	logs.Reset()
	p2 := NewProgress(nil, slog.New(slog.NewTextHandler(&logs, nil)), "pkg", 0) // size unknown
	p2.now = func() time.Time { return now }
	p2.lastLog = now
	_, _ = p2.Write(make([]byte, 5))
	now = now.Add(6 * time.Second)
	_, _ = p2.Write(make([]byte, 5))
	if n := strings.Count(logs.String(), "msg=downloading"); n != 1 {
		t.Fatalf("%d lines after 6 s, want 1", n)
	}
}

func TestProgressBar(t *testing.T) {
	var tty bytes.Buffer
	p := NewProgress(&tty, slog.New(slog.DiscardHandler), "pkg", 2<<20)
	_, _ = p.Write(make([]byte, 1<<20))
	p.Done()
	out := tty.String()
	if !strings.HasPrefix(out, "\rpkg [") || !strings.Contains(out, " 50% 1.0/2.0 MB") || !strings.HasSuffix(out, "\n") {
		t.Fatalf("bar: %q", out)
	}
}
