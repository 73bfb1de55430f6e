package github

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/runnerctl/runnerctl/platform/backoff"
)

// RetryPolicy decides which failed requests are sent again and how long to
// wait before. The zero value is not usable: start from DefaultRetryPolicy.
type RetryPolicy struct {
	// MinBackoff and MaxBackoff bound the exponential back-off for
	// transient failures (network errors, 5xx).
	MinBackoff, MaxBackoff time.Duration
	// MaxAttempts bounds the attempts of one request for transient failures.
	MaxAttempts int
	// RateLimitFloor is the least wait for a rate limit response that says
	// nothing about when it ends; it doubles while the limit lasts.
	RateLimitFloor time.Duration
	// MaxWait bounds the total time one request may spend waiting to be
	// retried. A wait that would pass it ends the retries.
	MaxWait time.Duration
	// RateLimitSpread is the first window of random extra wait after a
	// rate limit that says when to come back (Retry-After,
	// X-RateLimit-Reset); it doubles (up to twice RateLimitFloor) while the
	// limit lasts, so that hosts refused together do not all come back
	// together. scripts/fleetsim chose it (README-fleetsim.md).
	RateLimitSpread time.Duration
	// Now and Jitter are the clock and the random source (tests replace them).
	Now    func() time.Time
	Jitter func(max time.Duration) time.Duration
	// Sleep waits d or until ctx is done; nil is backoff.Sleep. scripts/fleetsim
	// replaces it (and Now) to run on a faster clock.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultRetryPolicy is what the CLI uses, with MaxWait from --max-wait.
func DefaultRetryPolicy(maxWait time.Duration) RetryPolicy {
	return RetryPolicy{
		MinBackoff:      time.Second,
		MaxBackoff:      30 * time.Second,
		MaxAttempts:     8,
		RateLimitFloor:  time.Minute,
		RateLimitSpread: 8 * time.Second,
		MaxWait:         maxWait,
		Now:             time.Now,
		Jitter: func(max time.Duration) time.Duration {
			if max <= 0 {
				return 0
			}
			return rand.N(max)
		},
	}
}

type ctxKey int

const (
	stateKey ctxKey = iota
	noBlindRetryKey
)

// retryState follows one logical request across its attempts.
type retryState struct {
	start    time.Time
	attempts int // responses or errors seen so far
	limited  int // rate-limited responses seen so far
}

// withoutBlindRetry marks a request that must not be sent again after a
// failure that may have reached the server (a JIT config creates a runner):
// only responses that prove the request was refused (rate limits) are retried.
func withoutBlindRetry(ctx context.Context) context.Context {
	return context.WithValue(ctx, noBlindRetryKey, true)
}

// stateTransport gives every request a fresh retryState before it enters
// the retrying client.
type stateTransport struct {
	next http.RoundTripper
	now  func() time.Time
}

func (t stateTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	st := &retryState{start: t.now()}
	return t.next.RoundTrip(req.WithContext(context.WithValue(req.Context(), stateKey, st)))
}

// rateLimitWait tells whether resp is a rate limit, and the wait its headers ask for (0 when they say nothing).
func (p RetryPolicy) rateLimitWait(resp *http.Response) (bool, time.Duration) {
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		return false, 0
	}
	h := resp.Header
	var wait time.Duration
	limited := resp.StatusCode == http.StatusTooManyRequests
	if ra := strings.TrimSpace(h.Get("Retry-After")); ra != "" {
		limited = true
		if s, err := strconv.Atoi(ra); err == nil && s >= 0 {
			wait = time.Duration(s) * time.Second
		} else if t, err := http.ParseTime(ra); err == nil {
			wait = t.Sub(p.Now())
		}
	} else if h.Get("X-RateLimit-Remaining") == "0" {
		limited = true
		if reset, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			// One second more: the reset time has whole-second precision and clocks drift.
			wait = time.Unix(reset, 0).Sub(p.Now()) + time.Second
		}
	}
	if !limited && resp.StatusCode == http.StatusForbidden {
		// A secondary rate limit may come with neither header; the body says so.
		body := peekBody(resp)
		limited = bytes.Contains(bytes.ToLower(body), []byte("rate limit"))
	}
	if wait < 0 {
		wait = 0
	}
	return limited, wait
}

// peekBody reads up to 64 KiB of the body and puts it back.
func peekBody(resp *http.Response) []byte {
	if resp.Body == nil {
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), resp.Body), resp.Body}
	return b
}

// retryWait is how long to wait before the next attempt: at least Min,
// plus a random part of up to Spread.
type retryWait struct {
	Min, Spread time.Duration
}

// decide returns whether to retry and how long to wait first. A rate
// limit is waited out as GitHub asks ("Rate limits for the REST API":
// not before Retry-After, or X-RateLimit-Reset when none is left; at
// least a minute when neither says; longer and longer while it lasts),
// plus a random spread that doubles while it lasts: the hosts of a fleet
// refused in the same second are told the same Retry-After, and without
// it would all come back in the same second again.
func (p RetryPolicy) decide(ctx context.Context, st *retryState, attempt int, resp *http.Response, err error) (bool, retryWait, string) {
	blind := ctx.Value(noBlindRetryKey) == nil
	if resp != nil {
		if limited, hdr := p.rateLimitWait(resp); limited {
			st.limited++
			w := retryWait{Min: hdr}
			switch {
			case hdr == 0:
				w.Min = backoff.Exp(p.RateLimitFloor, p.MaxWait, st.limited)
			case st.limited > 1:
				// Still limited after waiting what we were told: back off further.
				w.Min = max(hdr, backoff.Exp(p.MinBackoff, p.MaxWait, st.limited-1))
			}
			w.Spread = backoff.Exp(p.RateLimitSpread, 2*p.RateLimitFloor, st.limited)
			return true, w, "rate limited (HTTP " + strconv.Itoa(resp.StatusCode) + ")"
		}
		if !blind || attempt >= p.MaxAttempts-1 {
			return false, retryWait{}, ""
		}
		switch c := resp.StatusCode; {
		case c >= 500 && c != http.StatusNotImplemented:
			return true, p.transient(attempt), "HTTP " + strconv.Itoa(c)
		default:
			return false, retryWait{}, "" // 2xx, 3xx, 401, 404, 422 …: final
		}
	}
	if err == nil || !blind || attempt >= p.MaxAttempts-1 || errors.Is(err, errCrossOrigin) {
		return false, retryWait{}, ""
	}
	// Errors that another attempt cannot fix (bad TLS trust, bad URL, too
	// many redirects) are left to retryablehttp's default policy to spot.
	if retry, _ := retryablehttp.DefaultRetryPolicy(context.Background(), nil, err); !retry {
		return false, retryWait{}, ""
	}
	return true, p.transient(attempt), "network error"
}

// transient is the wait after the attempt-th failure that may pass by
// itself (5xx, a network error): exponential, with a tenth more at random.
func (p RetryPolicy) transient(attempt int) retryWait {
	d := backoff.Exp(p.MinBackoff, p.MaxBackoff, attempt+1)
	return retryWait{Min: d, Spread: d/10 + 50*time.Millisecond}
}

// newRetryClient wraps base in a retryablehttp client that applies p.
// retryablehttp does the looping, body rewinding and draining; the wait is
// done in CheckRetry (cancellable through the request's context) because
// the decision and the wait both need the request's retry state, which
// retryablehttp's Backoff cannot see after a network error.
func newRetryClient(p RetryPolicy, base http.RoundTripper, log *slog.Logger) http.RoundTripper {
	rc := retryablehttp.NewClient()
	rc.HTTPClient = &http.Client{Transport: base, CheckRedirect: sameOrigin}
	rc.Logger = nil
	rc.RetryMax = 1 << 20 // bounded by CheckRetry: MaxAttempts for transient errors, MaxWait for all
	rc.ErrorHandler = func(resp *http.Response, err error, _ int) (*http.Response, error) {
		// The last response goes up to go-github, which turns it into an
		// error with the status and GitHub's message; a transport error or
		// a cancellation goes up alone.
		if err != nil {
			if resp != nil {
				_ = resp.Body.Close()
			}
			return nil, err
		}
		return resp, nil
	}
	rc.Backoff = func(_, _ time.Duration, _ int, _ *http.Response) time.Duration { return 0 }
	rc.CheckRetry = func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		st, _ := ctx.Value(stateKey).(*retryState)
		if st == nil {
			st = &retryState{start: p.Now()}
		}
		retry, rw, cause := p.decide(ctx, st, st.attempts, resp, err)
		st.attempts++
		if !retry {
			return false, nil
		}
		wait := rw.Min + p.Jitter(rw.Spread)
		method, path := "", ""
		if resp != nil && resp.Request != nil {
			method, path = resp.Request.Method, resp.Request.URL.Path
		}
		if p.Now().Add(wait).Sub(st.start) > p.MaxWait {
			log.Warn("giving up on GitHub API request: the next retry would pass --max-wait",
				"method", method, "path", path, "cause", cause, "wait", wait.Round(time.Millisecond), "max_wait", p.MaxWait)
			return false, nil
		}
		log.Warn("retrying GitHub API request", "method", method, "path", path,
			"cause", cause, "wait", wait.Round(time.Millisecond), "attempt", st.attempts+1)
		if err := p.sleep(ctx, wait); err != nil {
			return false, err
		}
		return true, nil
	}
	return &retryablehttp.RoundTripper{Client: rc}
}

// sleep waits d with p.Sleep, or backoff.Sleep; it ends early with ctx's error.
func (p RetryPolicy) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	return backoff.Sleep(ctx, d)
}
