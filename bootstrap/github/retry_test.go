package github

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestDecide(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	p := DefaultRetryPolicy(10 * time.Minute)
	p.Now = func() time.Time { return now }
	resp := func(code int, hdr map[string]string, body string) *http.Response {
		h := http.Header{}
		for k, v := range hdr {
			h.Set(k, v)
		}
		return &http.Response{StatusCode: code, Header: h, Body: io.NopCloser(strings.NewReader(body))}
	}
	reset := strconv.FormatInt(now.Add(90*time.Second).Unix(), 10)
	tests := []struct {
		name    string
		resp    *http.Response
		err     error
		limited int // rate-limited responses already seen
		attempt int
		retry   bool
		wait    time.Duration
	}{
		{"502 first", resp(502, nil, ""), nil, 0, 0, true, time.Second},
		{"503 third", resp(503, nil, ""), nil, 0, 2, true, 4 * time.Second},
		{"500 capped", resp(500, nil, ""), nil, 0, 6, true, 30 * time.Second},
		{"500 attempts used", resp(500, nil, ""), nil, 0, 7, false, 0},
		{"501 final", resp(501, nil, ""), nil, 0, 0, false, 0},
		{"401 final", resp(401, nil, ""), nil, 0, 0, false, 0},
		{"404 final", resp(404, nil, ""), nil, 0, 0, false, 0},
		{"422 final", resp(422, nil, ""), nil, 0, 0, false, 0},
		{"403 permission final", resp(403, nil, `{"message":"Resource not accessible"}`), nil, 0, 0, false, 0},
		{"retry-after", resp(403, map[string]string{"Retry-After": "2"}, ""), nil, 0, 0, true, 2 * time.Second},
		{"retry-after again backs off", resp(429, map[string]string{"Retry-After": "2"}, ""), nil, 3, 3, true, 4 * time.Second},
		{"primary reset", resp(403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}, ""), nil, 0, 0, true, 91 * time.Second},
		{"429 bare: a minute", resp(429, nil, ""), nil, 0, 0, true, time.Minute},
		{"secondary by body: a minute", resp(403, nil, `{"message":"You have exceeded a secondary rate limit"}`), nil, 0, 0, true, time.Minute},
		{"still limited: doubles", resp(429, nil, ""), nil, 2, 9, true, 4 * time.Minute},
		{"network error", nil, errors.New("connection reset by peer"), 0, 1, true, 2 * time.Second},
		{"tls error final", nil, &url.Error{Op: "Get", URL: "https://x", Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}, 0, 0, false, 0},
	}
	for _, tt := range tests {
		st := &retryState{limited: tt.limited}
		retry, wait, _ := p.decide(context.Background(), st, tt.attempt, tt.resp, tt.err)
		if retry != tt.retry || wait.Min != tt.wait {
			t.Errorf("%s: retry=%v wait=%v, want %v %v", tt.name, retry, wait.Min, tt.retry, tt.wait)
		}
	}
	// The random part: a tenth for a transient failure; for a rate limit a
	// window that starts at RateLimitSpread and doubles while the limit
	// lasts (hosts told the same Retry-After must not come back together).
	for _, tt := range []struct {
		name    string
		resp    *http.Response
		limited int
		spread  time.Duration
	}{
		{"502: a tenth", resp(502, nil, ""), 0, 150 * time.Millisecond},
		{"first limit", resp(403, map[string]string{"Retry-After": "1"}, ""), 0, 8 * time.Second},
		{"second limit", resp(403, map[string]string{"Retry-After": "1"}, ""), 1, 16 * time.Second},
		{"still limited: doubles", resp(429, map[string]string{"Retry-After": "1"}, ""), 3, 64 * time.Second},
		{"still limited: capped", resp(429, map[string]string{"Retry-After": "1"}, ""), 5, 2 * time.Minute},
		{"primary reset", resp(403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}, ""), 0, 8 * time.Second},
	} {
		_, w, _ := p.decide(context.Background(), &retryState{limited: tt.limited}, 0, tt.resp, nil)
		if w.Spread != tt.spread {
			t.Errorf("%s: spread %v, want %v", tt.name, w.Spread, tt.spread)
		}
	}
	// A request that must not be retried blindly is retried only when limited.
	ctx := withoutBlindRetry(context.Background())
	if retry, _, _ := p.decide(ctx, &retryState{}, 0, resp(502, nil, ""), nil); retry {
		t.Error("JIT retried after 502")
	}
	if retry, _, _ := p.decide(ctx, &retryState{}, 0, nil, errors.New("connection reset by peer")); retry {
		t.Error("JIT retried after a network error")
	}
	if retry, _, _ := p.decide(ctx, &retryState{}, 0, resp(429, map[string]string{"Retry-After": "1"}, ""), nil); !retry {
		t.Error("JIT not retried after 429")
	}
}
