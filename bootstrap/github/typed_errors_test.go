package github

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
)

// The Err values tag what the API refused, so callers decide with
// errors.Is, never with go-github's types; each tags only its case.
func TestTypedErrors(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	srv.AddToken("ghp_forbidden_token_1234", true)
	all := []error{ErrNotFound, ErrBusy, ErrRateLimited, ErrAuth}
	only := func(t *testing.T, err, want error) {
		t.Helper()
		for _, e := range all {
			if got := errors.Is(err, e); got != (e == want) {
				t.Errorf("errors.Is(%v, %q) = %v", err, e, got)
			}
		}
	}
	ctx := context.Background()

	t.Run("not found", func(t *testing.T) {
		c := newTestClient(t, srv, srv.URL+"/nope", githubtest.Token, fastPolicy())
		_, err := c.ListRunners(ctx, "")
		only(t, err, ErrNotFound)
		c = newTestClient(t, srv, srv.URL+"/acme", githubtest.Token, fastPolicy())
		only(t, c.DeleteRunner(ctx, 999999), ErrNotFound)
	})
	t.Run("busy", func(t *testing.T) {
		id := srv.AddRunner(githubtest.Runner{Name: "busy", Scope: "orgs/acme", Status: "online", Busy: true})
		c := newTestClient(t, srv, srv.URL+"/acme", githubtest.Token, fastPolicy())
		err := c.DeleteRunner(ctx, id)
		only(t, err, ErrBusy)
		if StatusCode(err) != 422 {
			t.Errorf("StatusCode = %d, want 422", StatusCode(err))
		}
	})
	t.Run("auth", func(t *testing.T) {
		for _, tok := range []string{"ghp_wrong_token_99999", "ghp_forbidden_token_1234"} {
			c := newTestClient(t, srv, srv.URL+"/acme", tok, fastPolicy())
			_, err := c.ListRunners(ctx, "")
			only(t, err, ErrAuth)
		}
	})
	t.Run("rate limited", func(t *testing.T) {
		reset := time.Now().Add(time.Hour).Unix()
		srv.PushFault(githubtest.Fault{Status: 403, Header: map[string]string{
			"X-RateLimit-Remaining": "0", "X-RateLimit-Limit": "5000", "X-RateLimit-Reset": strconv.FormatInt(reset, 10)},
			Body: `{"message":"API rate limit exceeded"}`})
		c := newTestClient(t, srv, srv.URL+"/acme", githubtest.Token, fastPolicy())
		_, err := c.ListRunners(ctx, "")
		only(t, err, ErrRateLimited)
	})
	t.Run("other", func(t *testing.T) {
		srv.PushFault(githubtest.Fault{Status: 409, Body: `{"message":"conflict"}`})
		c := newTestClient(t, srv, srv.URL+"/acme", githubtest.Token, fastPolicy())
		_, err := c.RegistrationToken(ctx)
		if err == nil {
			t.Fatal("no error")
		}
		only(t, err, nil)
	})
}
