package fetch

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Progress reports download progress on stderr: a bar redrawn in place on
// a terminal, else (cloud-init logs) a log line at most every 10% or 5 s.
type Progress struct {
	mu       sync.Mutex
	w        io.Writer // the terminal, or nil for log lines
	log      *slog.Logger
	name     string
	total    int64
	done     int64
	start    time.Time
	lastDraw time.Time
	lastPct  int64
	lastLog  time.Time
	now      func() time.Time
}

// NewProgress reports on the terminal tty when it is not nil, else to log.
func NewProgress(tty io.Writer, log *slog.Logger, name string, total int64) *Progress {
	now := time.Now
	return &Progress{w: tty, log: log, name: name, total: total, start: now(), lastLog: now(), now: now}
}

// Write counts bytes; it never fails, so it can sit in an io.MultiWriter.
func (p *Progress) Write(b []byte) (int, error) {
	if p == nil {
		return len(b), nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += int64(len(b))
	now := p.now()
	if p.w != nil {
		if now.Sub(p.lastDraw) >= 100*time.Millisecond {
			p.draw(now)
		}
		return len(b), nil
	}
	pct := int64(-1)
	if p.total > 0 {
		pct = p.done * 100 / p.total
	}
	if (pct >= 0 && pct/10 > p.lastPct/10) || now.Sub(p.lastLog) >= 5*time.Second {
		p.log.Info("downloading", "file", p.name, "bytes", p.done, "total", p.total, "percent", pct)
		p.lastPct, p.lastLog = pct, now
	}
	return len(b), nil
}

func (p *Progress) draw(now time.Time) {
	p.lastDraw = now
	const width = 30
	mb := func(n int64) float64 { return float64(n) / (1 << 20) }
	if p.total <= 0 {
		fmt.Fprintf(p.w, "\r%s %.1f MB", p.name, mb(p.done))
		return
	}
	fill := int(min(p.done*width/p.total, width))
	fmt.Fprintf(p.w, "\r%s [%s%s] %3d%% %.1f/%.1f MB", p.name, strings.Repeat("=", fill), strings.Repeat(" ", width-fill),
		p.done*100/p.total, mb(p.done), mb(p.total))
}

// Done ends the bar (or logs the total).
func (p *Progress) Done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w != nil {
		p.draw(p.now())
		fmt.Fprintln(p.w)
		return
	}
	p.log.Info("downloaded", "file", p.name, "bytes", p.done, "seconds", p.now().Sub(p.start).Seconds())
}
