package fetch

import (
	"io"
	"log/slog"
	"net/http"
	"time"
)

// NewFetcher returns the Fetcher runnerctl uses: transient failures and
// cuts retried with back-off from 1 s doubling to 30 s, 8 requests at most
// per package (README "download"); progress as a bar on tty, else as log
// lines.
func NewFetcher(tr http.RoundTripper, userAgent string, tty io.Writer, log *slog.Logger) *Fetcher {
	return &Fetcher{
		Transport: tr, UserAgent: userAgent, MaxAttempts: 8, MinBackoff: time.Second, MaxBackoff: 30 * time.Second, Log: log,
		Progress: func(name string, total int64) *Progress { return NewProgress(tty, log, name, total) },
	}
}
