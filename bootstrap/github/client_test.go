package github

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
)

// fastPolicy keeps the real policy's shape with short waits.
func fastPolicy() RetryPolicy {
	p := DefaultRetryPolicy(30 * time.Second)
	p.MinBackoff, p.MaxBackoff, p.RateLimitFloor = 10*time.Millisecond, 40*time.Millisecond, 50*time.Millisecond
	return p
}

func newTestClient(t *testing.T, srv *githubtest.Server, url, token string, p RetryPolicy) *Client {
	t.Helper()
	tgt, err := ParseTarget(url, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{Target: tgt, Token: secret.New(token), Version: "1.2.3", Retry: p})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var scopes = []struct{ url, scope string }{
	{"/acme/app", "repos/acme/app"},
	{"/acme", "orgs/acme"},
	{"/enterprises/big", "enterprises/big"},
}

func TestListAllPagesInFewRequests(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	for _, sc := range scopes {
		srv.Seed(githubtest.SeedRequest{Scope: sc.scope, Count: 250})
		srv.ResetRequests()
		c := newTestClient(t, srv, srv.URL+sc.url, githubtest.Token, fastPolicy())
		rs, err := c.ListRunners(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 250 {
			t.Fatalf("%s: got %d runners", sc.scope, len(rs))
		}
		seen := map[int64]bool{}
		for _, r := range rs {
			seen[r.ID] = true
		}
		if len(seen) != 250 {
			t.Fatalf("%s: duplicates: %d distinct", sc.scope, len(seen))
		}
		reqs := srv.Requests()
		if len(reqs) != 3 {
			t.Fatalf("%s: %d requests, want 3", sc.scope, len(reqs))
		}
		r0 := reqs[0]
		if r0.UserAgent != "runnerctl/1.2.3" || r0.Accept != "application/vnd.github+json" || r0.APIVersion != "2022-11-28" || r0.Authorization != "Bearer "+githubtest.Token {
			t.Fatalf("headers: %+v", r0)
		}
	}
}

func TestRetriesTransientFailures(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	srv.PushFault(githubtest.Fault{Status: 502}, githubtest.Fault{Reset: true}, githubtest.Fault{Status: 503})
	c := newTestClient(t, srv, srv.URL+"/acme", githubtest.Token, fastPolicy())
	if _, err := c.ListRunners(context.Background(), ""); err != nil {
		t.Fatalf("after 502, reset, 503: %v", err)
	}
	if n := len(srv.Requests()); n != 4 {
		t.Fatalf("%d requests, want 4", n)
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	p := fastPolicy()
	p.MaxAttempts = 3
	for range 5 {
		srv.PushFault(githubtest.Fault{Status: 500})
	}
	c := newTestClient(t, srv, srv.URL+"/acme", githubtest.Token, p)
	_, err := c.ListRunners(context.Background(), "")
	if err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("err = %v", err)
	}
	if n := len(srv.Requests()); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
}

func TestNeverRetried(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	srv.AddToken("ghp_forbidden_token_1234", true)
	cases := []struct {
		name, url, token string
		kind             failure.Kind
		want             []string
	}{
		{"bad token", "/acme", "ghp_wrong_token_99999", failure.Auth, []string{"bad credentials", "--access-token-file"}},
		{"forbidden org", "/acme", "ghp_forbidden_token_1234", failure.Auth, []string{"permission denied", `"admin:org"`, "Self-hosted runners"}},
		{"forbidden repo", "/acme/app", "ghp_forbidden_token_1234", failure.Auth, []string{`"repo"`, "Administration"}},
		{"unknown org", "/nope", githubtest.Token, failure.NotFound, []string{"404", "organization scope", `"admin:org"`, "/orgs/nope/actions/runners", "https://HOST/nope/REPO"}},
		{"unknown repo", "/acme/nope", githubtest.Token, failure.NotFound, []string{"repository scope", `"repo"`}},
		{"unknown enterprise", "/enterprises/nope", githubtest.Token, failure.NotFound, []string{"enterprise scope", `"manage_runners:enterprise"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv.ResetRequests()
			c := newTestClient(t, srv, srv.URL+tc.url, tc.token, fastPolicy())
			_, err := c.ListRunners(context.Background(), "")
			if failure.KindOf(err) != tc.kind {
				t.Fatalf("kind = %v, err = %v", failure.KindOf(err), err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			if strings.Contains(err.Error(), tc.token) {
				t.Errorf("error contains the token: %v", err)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("%d requests, want 1 (no retry)", n)
			}
		})
	}
	// 422 is final too.
	srv.ResetRequests()
	id := srv.AddRunner(githubtest.Runner{Name: "busy", Scope: "orgs/acme", Status: "online", Busy: true})
	c := newTestClient(t, srv, srv.URL+"/acme", githubtest.Token, fastPolicy())
	if err := c.DeleteRunner(context.Background(), id); StatusCode(err) != 422 {
		t.Fatalf("delete busy: %v", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("422: %d requests", n)
	}
}

func TestSecondaryRateLimitRetryAfter(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	srv.PushFault(githubtest.Fault{Status: 403, Header: map[string]string{"Retry-After": "1"},
		Body: `{"message":"You have exceeded a secondary rate limit.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`})
	c := newTestClient(t, srv, srv.URL+"/acme", githubtest.Token, fastPolicy())
	if _, err := c.RegistrationToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	if gap := reqs[1].Time.Sub(reqs[0].Time); gap < time.Second {
		t.Fatalf("retried after %v, before Retry-After", gap)
	}
}

func TestRateLimitWaitOutlastingMaxWait(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	reset := time.Now().Add(time.Hour).Unix()
	srv.PushFault(githubtest.Fault{Status: 403, Header: map[string]string{
		"X-RateLimit-Remaining": "0", "X-RateLimit-Limit": "5000", "X-RateLimit-Reset": strconv.FormatInt(reset, 10)},
		Body: `{"message":"API rate limit exceeded"}`})
	c := newTestClient(t, srv, srv.URL+"/acme", githubtest.Token, fastPolicy())
	start := time.Now()
	_, err := c.ListRunners(context.Background(), "")
	if err == nil || !strings.Contains(err.Error(), "--max-wait") {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 5*time.Second || len(srv.Requests()) != 1 {
		t.Fatalf("waited %v, %d requests", time.Since(start), len(srv.Requests()))
	}
}

func TestCancelDuringWait(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	srv.PushFault(githubtest.Fault{Status: 429, Header: map[string]string{"Retry-After": "60"}})
	p := fastPolicy()
	p.MaxWait = time.Hour
	c := newTestClient(t, srv, srv.URL+"/acme", githubtest.Token, p)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.ListRunners(ctx, "")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}

func TestJITNotRetriedBlindly(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	c := newTestClient(t, srv, srv.URL+"/acme", githubtest.Token, fastPolicy())
	req := JITRequest{Name: "jit-1", RunnerGroupID: 1, Labels: []string{"gpu"}}

	srv.PushFault(githubtest.Fault{Status: 502})
	if _, err := c.GenerateJITConfig(context.Background(), req); StatusCode(err) != 502 {
		t.Fatalf("502: %v", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Fatalf("502 was retried: %d requests", n)
	}
	srv.ResetRequests()
	srv.PushFault(githubtest.Fault{Status: 429, Header: map[string]string{"Retry-After": "0"}})
	jit, err := c.GenerateJITConfig(context.Background(), req)
	if err != nil || jit.Runner.Name != "jit-1" || jit.Encoded.Empty() {
		t.Fatalf("after 429: %+v, %v", jit, err)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Fatalf("429: %d requests, want 2", n)
	}
	if _, err := c.GenerateJITConfig(context.Background(), req); StatusCode(err) != 409 {
		t.Fatalf("duplicate name: %v", err)
	}
}

func TestOperationsAllScopes(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	exerciseClient(t, srv)
}

// exerciseClient runs every client operation at every scope against srv.
func exerciseClient(t *testing.T, srv *githubtest.Server) {
	t.Helper()
	srv.SetDownloads([]githubtest.Download{{OS: "linux", Architecture: "x64", DownloadURL: srv.URL + "/dl/a.tar.gz", Filename: "a.tar.gz", TempDownloadToken: "tmp-token-123456", SHA256: strings.Repeat("ab", 32)}})
	ctx := context.Background()
	for _, sc := range scopes {
		c := newTestClient(t, srv, srv.URL+sc.url, githubtest.Token, fastPolicy())
		id := srv.AddRunner(githubtest.Runner{Name: "r1", Scope: sc.scope, Labels: []string{"gpu"}})
		r, err := c.GetRunner(ctx, id)
		if err != nil || r.Name != "r1" || len(r.Labels) != 4 {
			t.Fatalf("%s get: %+v %v", sc.scope, r, err)
		}
		f, err := c.FindRunner(ctx, "r1")
		if err != nil || f == nil || f.ID != id {
			t.Fatalf("%s find: %+v %v", sc.scope, f, err)
		}
		if f, err := c.FindRunner(ctx, "nope"); err != nil || f != nil {
			t.Fatalf("%s find missing: %+v %v", sc.scope, f, err)
		}
		ls, err := c.AddLabels(ctx, id, []string{"big"})
		if err != nil || len(ls) != 5 {
			t.Fatalf("%s add labels: %v %v", sc.scope, ls, err)
		}
		if ls, err = c.SetLabels(ctx, id, []string{"x", "y"}); err != nil || len(ls) != 5 {
			t.Fatalf("%s set labels: %v %v", sc.scope, ls, err)
		}
		if ls, err = c.RemoveLabel(ctx, id, "x"); err != nil || len(ls) != 4 {
			t.Fatalf("%s remove label: %v %v", sc.scope, ls, err)
		}
		if ls, err = c.ListLabels(ctx, id); err != nil || len(ls) != 4 {
			t.Fatalf("%s list labels: %v %v", sc.scope, ls, err)
		}
		if ls, err = c.RemoveAllLabels(ctx, id); err != nil || len(ls) != 3 {
			t.Fatalf("%s remove all labels: %v %v", sc.scope, ls, err)
		}
		// Read-only labels stay (422); a label the runner lacks is 404;
		// PUT [] clears the custom labels (what install's reconciliation sends).
		if _, err = c.RemoveLabel(ctx, id, "self-hosted"); StatusCode(err) != http.StatusUnprocessableEntity {
			t.Fatalf("%s remove a read-only label: %v", sc.scope, err)
		}
		if _, err = c.RemoveLabel(ctx, id, "nope"); failure.KindOf(err) != failure.NotFound {
			t.Fatalf("%s remove an absent label: %v", sc.scope, err)
		}
		if _, err = c.AddLabels(ctx, id, []string{"z"}); err != nil {
			t.Fatal(err)
		}
		if ls, err = c.SetLabels(ctx, id, []string{}); err != nil || len(ls) != 3 || ls[0].Type != "read-only" {
			t.Fatalf("%s set no labels: %v %v", sc.scope, ls, err)
		}
		reg, err := c.RegistrationToken(ctx)
		if err != nil || !srv.ValidRegistrationToken(sc.scope, reg.Value.Reveal()) || time.Until(reg.ExpiresAt) < 50*time.Minute {
			t.Fatalf("%s registration token: %v", sc.scope, err)
		}
		rem, err := c.RemoveToken(ctx)
		if err != nil || !srv.ValidRemoveToken(sc.scope, rem.Value.Reveal()) {
			t.Fatalf("%s remove token: %v", sc.scope, err)
		}
		// The remove token alone deletes a runner (the runner-admin flow of config.sh remove).
		tc := newTestClient(t, srv, srv.URL+sc.url, "", fastPolicy())
		rid := srv.AddRunner(githubtest.Runner{Name: "r-rm", Scope: sc.scope})
		if err := tc.DeleteRunnerWithRemoveToken(ctx, rid, rem.Value); err != nil {
			t.Fatalf("%s delete with the remove token: %v", sc.scope, err)
		}
		if err := tc.DeleteRunnerWithRemoveToken(ctx, rid, rem.Value); !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s delete again with the remove token: %v, want ErrNotFound", sc.scope, err)
		}
		ds, err := c.Downloads(ctx)
		if err != nil || len(ds) != 1 || ds[0].TempDownloadToken.Reveal() != "tmp-token-123456" || ds[0].SHA256 == "" {
			t.Fatalf("%s downloads: %+v %v", sc.scope, ds, err)
		}
		if err := c.DeleteRunner(ctx, id); err != nil {
			t.Fatalf("%s delete: %v", sc.scope, err)
		}
		if _, err := c.GetRunner(ctx, id); failure.KindOf(err) != failure.NotFound {
			t.Fatalf("%s get deleted: %v", sc.scope, err)
		}
		srv.Seed(githubtest.SeedRequest{Scope: sc.scope, Count: 120, NamePrefix: "page-"})
		if rs, err := c.ListRunners(ctx, ""); err != nil || len(rs) < 120 {
			t.Fatalf("%s list: %d %v", sc.scope, len(rs), err)
		}
		jit, err := c.GenerateJITConfig(ctx, JITRequest{Name: "jit-" + sc.scope, RunnerGroupID: 1, Labels: []string{"a"}, WorkFolder: "_w"})
		if err != nil || jit.Runner.ID == 0 {
			t.Fatalf("%s jit: %v", sc.scope, err)
		}
		bad := newTestClient(t, srv, srv.URL+sc.url, "ghp_not_a_known_token", fastPolicy())
		if _, err := bad.ListRunners(ctx, ""); failure.KindOf(err) != failure.Auth {
			t.Fatalf("%s bad token: %v", sc.scope, err)
		}
		if _, err := c.ListLabels(ctx, 999999); failure.KindOf(err) != failure.NotFound {
			t.Fatalf("%s labels of missing runner: %v", sc.scope, err)
		}
	}
}

// An API redirect to another origin (here another port of the same
// host) is refused: the credential is not sent there.
func TestAPIRedirectToAnotherOriginRefused(t *testing.T) {
	var gotAuth atomic.Value
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth.Store(r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusOK)
	}))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
	}))
	defer api.Close()
	tgt, err := ParseTarget(api.URL+"/acme/app", "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{Target: tgt, Token: secret.New("ghp_redirected"), Version: "1", Retry: fastPolicy()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetRunner(context.Background(), 1)
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("GetRunner through a cross-origin redirect: %v, want a refusal", err)
	}
	if a, _ := gotAuth.Load().(string); a != "" {
		t.Errorf("the other origin received Authorization %q", a)
	}
}
