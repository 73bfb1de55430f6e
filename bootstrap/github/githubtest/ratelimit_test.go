package githubtest_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/github"
	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
)

// get lists the runners of acme/app as token, with the headers runnerctl sends.
func get(t *testing.T, srv *githubtest.Server, token string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.APIURL()+"/repos/acme/app/actions/runners", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", githubtest.SupportedAPIVersion)
	req.Header.Set("User-Agent", "runnerctl/test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// A request over the secondary limit gets what GitHub documents: 403, a
// message naming the secondary rate limit, Retry-After in whole seconds
// until the window ends, and primary headers with requests left (so it is
// not read as the primary limit). Each credential has its own budget.
func TestSecondaryLimit(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	var mu sync.Mutex
	now := time.Unix(1_800_000_000, 300*int64(time.Millisecond))
	srv.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	srv.SetSecondaryLimit(githubtest.SecondaryLimit{Requests: 2, Window: time.Second})
	srv.AddToken("other", false)

	for i := range 2 {
		if code, _, body := get(t, srv, githubtest.Token); code != http.StatusOK {
			t.Fatalf("request %d within the limit: %d %s", i+1, code, body)
		}
	}
	check := func(when string) {
		t.Helper()
		code, h, body := get(t, srv, githubtest.Token)
		if code != http.StatusForbidden || h.Get("Retry-After") != "1" || !strings.Contains(body, "secondary rate limit") {
			t.Errorf("%s: %d Retry-After=%q %s; want 403, Retry-After: 1, a secondary rate limit message", when, code, h.Get("Retry-After"), body)
		}
		if h.Get("X-RateLimit-Remaining") == "0" || h.Get("X-RateLimit-Remaining") == "" {
			t.Errorf("%s: X-RateLimit-Remaining %q: the primary limit is not spent", when, h.Get("X-RateLimit-Remaining"))
		}
	}
	check("third request")
	advance(600 * time.Millisecond) // 0.1 s left: rounded up to 1
	check("0.1 s before the window ends")
	if code, _, _ := get(t, srv, "other"); code != http.StatusOK {
		t.Errorf("another credential: %d, want its own budget", code)
	}
	if got := srv.SecondaryRefused(); got != 2 {
		t.Errorf("SecondaryRefused = %d, want 2", got)
	}
	advance(100 * time.Millisecond)
	code, h, _ := get(t, srv, githubtest.Token)
	if code != http.StatusOK {
		t.Errorf("next window: %d, want 200", code)
	}
	if h.Get("X-RateLimit-Used") != "5" {
		t.Errorf("X-RateLimit-Used = %q, want 5 (refused requests count against the primary limit)", h.Get("X-RateLimit-Used"))
	}
	srv.SetSecondaryLimit(githubtest.SecondaryLimit{})
	for range 3 {
		if code, _, _ := get(t, srv, githubtest.Token); code != http.StatusOK {
			t.Fatalf("limit off: %d", code)
		}
	}
}

// runnerctl's client waits out the secondary limit (Retry-After, then its
// random spread) and gets its answer, without a request in between.
func TestClientWaitsOutSecondaryLimit(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	srv.SetSecondaryLimit(githubtest.SecondaryLimit{Requests: 1, Window: time.Second})
	tgt, err := github.ParseTarget(srv.URL+"/acme/app", "")
	if err != nil {
		t.Fatal(err)
	}
	p := github.DefaultRetryPolicy(time.Minute)
	p.RateLimitSpread = 10 * time.Millisecond
	var slept []time.Duration
	p.Sleep = func(ctx context.Context, d time.Duration) error {
		slept = append(slept, d)
		time.Sleep(d)
		return ctx.Err()
	}
	api, err := github.New(github.Options{Target: tgt, Token: secret.New(githubtest.Token), Version: "test", Retry: p})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := api.ListRunners(context.Background(), ""); err != nil {
			t.Fatalf("list %d: %v", i+1, err)
		}
	}
	// The second list came in the first one's window (or, on a slow
	// machine, the first in a window already used): at least one wait of
	// Retry-After (1 s) plus at most the spread.
	if len(slept) == 0 || srv.SecondaryRefused() != len(slept) {
		t.Fatalf("waits %v for %d refusals", slept, srv.SecondaryRefused())
	}
	for _, d := range slept {
		if d < time.Second || d > time.Second+10*time.Millisecond {
			t.Errorf("wait %v, want 1 s (Retry-After) plus up to 10 ms", d)
		}
	}
	if n := len(srv.Requests()); n != 2+len(slept) {
		t.Errorf("%d requests for 2 lists and %d waits", n, len(slept))
	}
}
