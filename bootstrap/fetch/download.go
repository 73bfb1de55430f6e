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
	"github.com/runnerctl/runnerctl/bootstrap/github"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
	"github.com/runnerctl/runnerctl/platform/backoff"
)

// Source is one package to download.
type Source struct {
	URL      string
	Filename string
	// Token is the temporary download token; it goes to URL's origin only.
	Token secret.Secret
	// SHA256 is the expected checksum (lower-case hex): the server's, or
	// --sha256. A source without one is refused (Check).
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
	// InsecureHTTP (--insecure-http) allows plain http to a host that is
	// not loopback, and a redirect from https to http. The token still
	// goes to the download URL's own origin only.
	InsecureHTTP bool
	Log          *slog.Logger
}

func (f *Fetcher) client(src Source) *http.Client {
	tr := f.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	var tok tokenTransport
	if u, err := url.Parse(src.URL); err == nil && !src.Token.Empty() {
		tok = tokenTransport{origin: originOf(u), auth: "Bearer " + src.Token.Reveal()}
	}
	tok.next = tr
	return &http.Client{
		Transport: tok,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			return f.checkURL(req.URL, via[len(via)-1].URL, src.Filename)
		},
	}
}

// tokenTransport adds the temporary download token to the requests for
// the download URL's origin (scheme, host and port) only: a redirect to
// any other origin goes without it. github.com sends its downloads on to
// a storage host, which gets a signed URL, not the token.
type tokenTransport struct {
	next   http.RoundTripper
	origin string
	auth   string
}

func (t tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.auth != "" && originOf(req.URL) == t.origin {
		req = req.Clone(req.Context())
		req.Header.Set("Authorization", t.auth)
	}
	return t.next.RoundTrip(req)
}

// originOf is scheme://host:port, the port explicit.
func originOf(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

// checkURL refuses a download URL (from, when not nil, is the URL that
// redirected to it) that is not http(s), that is plain http to a host
// that is not loopback, or that redirects from https down to http: the
// last two unless InsecureHTTP (--insecure-http).
func (f *Fetcher) checkURL(u, from *url.URL, filename string) error {
	refuse := func(format string, args ...any) error {
		return failure.Wrap(failure.Integrity, fmt.Errorf("download %s: %s", filename, fmt.Sprintf(format, args...)))
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return refuse("%s is not an http(s) URL", DisplayURL(u.String()))
	case u.Scheme == "https" || f.InsecureHTTP:
		return nil
	case from != nil && from.Scheme == "https":
		return refuse("the server redirected %s to plain http (%s): refusing the downgrade (pass --insecure-http to allow it)",
			DisplayURL(from.String()), DisplayURL(u.String()))
	case !github.Loopback(u):
		return refuse("%s is plain http to a host that is not loopback: the package would cross the network unencrypted; refusing it (use an https URL, or pass --insecure-http to allow it)",
			DisplayURL(u.String()))
	}
	return nil
}

// get sends one GET from offset. A 200 answer to a ranged request is
// accepted: the caller skips the bytes it already has.
func (f *Fetcher) get(ctx context.Context, c *http.Client, src Source, offset int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src.URL, nil)
	if err != nil {
		return nil, failure.Wrap(failure.Integrity, fmt.Errorf("download %s: bad URL: %w", src.Filename, err))
	}
	if err := f.checkURL(req.URL, nil, src.Filename); err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", f.UserAgent) // the token is added by the client's transport, for the URL's origin only
	if offset > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	}
	resp, err := c.Do(req)
	var ue *url.Error
	if errors.As(err, &ue) && failure.KindOf(ue.Err) != failure.Unexpected {
		return nil, ue.Err // a refused redirect, without the URL (a signed one carries its credential)
	}
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
	if src.SHA256 != "" && strings.EqualFold(got, src.SHA256) {
		return nil
	}
	return failure.Wrap(failure.Integrity, fmt.Errorf("verify %s: %w: the expected sha256 is %s, the bytes received hash to %s; nothing was kept",
		src.Filename, ErrChecksum, strings.ToLower(src.SHA256), got))
}

// HashFile returns the sha256 of a file, lower-case hex.
func HashFile(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	defer fh.Close()
	return hashReader(fh)
}

// hashReader returns the sha256 of what r holds, lower-case hex.
func hashReader(r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", fmt.Errorf("hash: %w", err)
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
