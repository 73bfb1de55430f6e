package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
	"github.com/runnerctl/runnerctl/platform/backoff"
)

// Source is one package to download.
type Source struct {
	URL      string
	Filename string
	// Token is the temporary download token; it goes to URL only.
	Token secret.Secret
	// SHA256 is the expected checksum (lower-case hex); empty when the
	// server gave none, in which case the package cannot be verified.
	SHA256 string
}

// Fetcher downloads packages.
type Fetcher struct {
	// Transport carries proxies and extra CA roots; nil means http.DefaultTransport.
	Transport http.RoundTripper
	// UserAgent is sent with every request.
	UserAgent string
	// MaxAttempts bounds the requests for one package (first one and resumes).
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the wait between attempts.
	MinBackoff, MaxBackoff time.Duration
	// Progress, when set, makes a progress reporter for a download of total bytes.
	Progress func(name string, total int64) *Progress
	Log      *slog.Logger
}

func (f *Fetcher) client(src Source) *http.Client {
	tr := f.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	return &http.Client{
		Transport: tr,
		// The temporary token belongs to the download URL's host: it is
		// not carried to another host on a redirect.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			if req.URL.Host != via[0].URL.Host {
				req.Header.Del("Authorization")
			}
			return nil
		},
	}
}

// get sends one GET from offset. A 200 answer to a ranged request is
// accepted: the caller skips the bytes it already has.
func (f *Fetcher) get(ctx context.Context, c *http.Client, src Source, offset int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src.URL, nil)
	if err != nil {
		return nil, failure.Wrap(failure.Usage, fmt.Errorf("download %s: bad URL: %w", src.Filename, err))
	}
	if !src.Token.Empty() {
		req.Header.Set("Authorization", "Bearer "+src.Token.Reveal())
	}
	req.Header.Set("User-Agent", f.UserAgent)
	if offset > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	switch {
	case offset == 0 && resp.StatusCode == http.StatusOK:
	case offset > 0 && (resp.StatusCode == http.StatusPartialContent || resp.StatusCode == http.StatusOK):
	default:
		resp.Body.Close()
		return nil, &statusError{code: resp.StatusCode, filename: src.Filename}
	}
	if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "text/html") {
		resp.Body.Close()
		return nil, failure.Wrap(failure.Integrity, fmt.Errorf("download %s: the server sent an HTML page (Content-Type %s), not the runner package", src.Filename, ct))
	}
	return resp, nil
}

type statusError struct {
	code     int
	filename string
}

func (e *statusError) Error() string {
	hint := ""
	switch e.code {
	case http.StatusUnauthorized, http.StatusForbidden:
		hint = ": the temporary download token was refused (it is short-lived: list the downloads again)"
	case http.StatusNotFound:
		hint = ": the package is not at its download URL"
	}
	return fmt.Sprintf("download %s: HTTP %d %s%s", e.filename, e.code, http.StatusText(e.code), hint)
}

func (e *statusError) transient() bool {
	return e.code >= 500 || e.code == http.StatusTooManyRequests || e.code == http.StatusRequestTimeout
}

// resumer is the package body as one stream: after a cut it asks for the
// rest with Range, checks Content-Range, and carries on.
type resumer struct {
	ctx      context.Context
	f        *Fetcher
	c        *http.Client
	src      Source
	body     io.ReadCloser
	off      int64
	total    int64 // -1 when unknown
	attempts int
	skip     int64 // bytes to drop from a 200 answer to a ranged request
}

func (f *Fetcher) open(ctx context.Context, src Source) (*resumer, error) {
	r := &resumer{ctx: ctx, f: f, c: f.client(src), src: src, total: -1}
	if err := r.connect(nil); err != nil {
		return nil, err
	}
	return r, nil
}

// connect (re)opens the body at r.off, retrying transient failures.
func (r *resumer) connect(cause error) error {
	for {
		if cause != nil {
			if r.attempts >= r.f.MaxAttempts {
				return fmt.Errorf("download %s: giving up after %d attempts: %w", r.src.Filename, r.attempts, cause)
			}
			wait := backoff.Exp(r.f.MinBackoff, r.f.MaxBackoff, r.attempts)
			r.f.Log.Warn("download interrupted, retrying", "file", r.src.Filename, "offset", r.off, "cause", cause.Error(), "wait", wait)
			t := time.NewTimer(wait)
			select {
			case <-r.ctx.Done():
				t.Stop()
				return fmt.Errorf("download %s: %w", r.src.Filename, r.ctx.Err())
			case <-t.C:
			}
		}
		r.attempts++
		resp, err := r.f.get(r.ctx, r.c, r.src, r.off)
		if err != nil {
			var se *statusError
			if r.ctx.Err() != nil || failure.KindOf(err) != failure.Unexpected || (errors.As(err, &se) && !se.transient()) {
				return err
			}
			cause = err
			continue
		}
		if err := r.accept(resp); err != nil {
			resp.Body.Close()
			return err
		}
		r.body = resp.Body
		return nil
	}
}

// accept checks that a response continues the stream at r.off.
func (r *resumer) accept(resp *http.Response) error {
	if resp.StatusCode == http.StatusPartialContent {
		var start, end, total int64
		if _, err := fmt.Sscanf(resp.Header.Get("Content-Range"), "bytes %d-%d/%d", &start, &end, &total); err != nil || start != r.off {
			return fmt.Errorf("download %s: asked for bytes from %d, the server answered Content-Range %q", r.src.Filename, r.off, resp.Header.Get("Content-Range"))
		}
		if r.total >= 0 && total != r.total {
			return fmt.Errorf("download %s: the package changed size during the download (%d, now %d)", r.src.Filename, r.total, total)
		}
		r.total = total
		return nil
	}
	// 200: the whole body again (or for the first time).
	if resp.ContentLength >= 0 {
		if r.total >= 0 && resp.ContentLength != r.total {
			return fmt.Errorf("download %s: the package changed size during the download", r.src.Filename)
		}
		r.total = resp.ContentLength
	}
	r.skip = r.off
	return nil
}

func (r *resumer) Read(p []byte) (int, error) {
	for {
		if r.skip > 0 {
			if _, err := io.CopyN(io.Discard, r.body, r.skip); err != nil {
				if err := r.recover(err); err != nil {
					return 0, err
				}
				continue
			}
			r.skip = 0
		}
		n, err := r.body.Read(p)
		r.off += int64(n)
		if err == io.EOF && r.total >= 0 && r.off < r.total {
			err = io.ErrUnexpectedEOF
		}
		if err == nil || err == io.EOF {
			return n, err
		}
		if n > 0 {
			return n, nil // hand over what arrived; the error comes back on the next Read
		}
		if err := r.recover(err); err != nil {
			return 0, err
		}
	}
}

func (r *resumer) recover(cause error) error {
	r.body.Close()
	if r.ctx.Err() != nil {
		return fmt.Errorf("download %s: %w", r.src.Filename, r.ctx.Err())
	}
	return r.connect(cause)
}

func (r *resumer) Close() error { return r.body.Close() }

// magic is what the first bytes of a runner package look like.
func checkMagic(filename string, head []byte) error {
	gz, zip := []byte{0x1f, 0x8b}, []byte("PK\x03\x04")
	if bytes.HasPrefix(head, gz) || bytes.HasPrefix(head, zip) {
		return nil
	}
	shown := head
	if len(shown) > 40 {
		shown = shown[:40]
	}
	return failure.Wrap(failure.Integrity, fmt.Errorf("download %s: the response is not a runner package (no gzip or zip header; it starts %q): an error page or a proxy's answer was served instead", filename, shown))
}

// sniffer checks the magic bytes of the stream before passing any byte on.
type sniffer struct {
	r        io.Reader
	filename string
	checked  bool
}

func (s *sniffer) Read(p []byte) (int, error) {
	if s.checked {
		return s.r.Read(p)
	}
	head := make([]byte, 4)
	n, err := io.ReadFull(s.r, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return 0, err
	}
	if cerr := checkMagic(s.filename, head[:n]); cerr != nil {
		return 0, cerr
	}
	s.checked = true
	s.r = io.MultiReader(bytes.NewReader(head[:n]), s.r)
	return s.r.Read(p)
}

// ErrChecksum is wrapped by a checksum mismatch.
var ErrChecksum = errors.New("checksum mismatch")

// verify compares a computed digest with the expected one.
func verify(src Source, sum []byte) error {
	got := hex.EncodeToString(sum)
	if src.SHA256 == "" || strings.EqualFold(got, src.SHA256) {
		return nil
	}
	return failure.Wrap(failure.Integrity, fmt.Errorf("verify %s: %w: the server's sha256 is %s, the bytes received hash to %s; nothing was kept",
		src.Filename, ErrChecksum, strings.ToLower(src.SHA256), got))
}

// HashFile returns the sha256 of a file, lower-case hex.
func HashFile(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// DisplayURL is raw without user info, query or fragment: what may go into a
// log line or a file. A mirror's or a presigned URL carries its credential
// there; the download itself uses the whole URL.
func DisplayURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}
