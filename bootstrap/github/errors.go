package github

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	gh "github.com/google/go-github/v89/github"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
)

// tokenSources names where runnerctl reads an API credential, for messages.
const tokenSources = "--access-token-file, RUNNERCTL_ACCESS_TOKEN or GITHUB_TOKEN"

// What a Client's calls fail with, for errors.Is: callers (and their
// tests, which may return these from a fake) decide on these, never on
// go-github's error types. The error's message is the classified one
// ("delete runner 5: DELETE https://...: 422 ..."); these only tag it.
var (
	// ErrNotFound: 404, the target or the runner does not exist or the
	// credential cannot see it.
	ErrNotFound = errors.New("not found")
	// ErrBusy: DeleteRunner was refused with 422 because the runner is
	// running a job; GitHub deletes runners only when idle.
	ErrBusy = errors.New("the runner is running a job")
	// ErrRateLimited: a primary or secondary rate limit (403 or 429) that
	// lasted past the retry policy's MaxWait.
	ErrRateLimited = errors.New("rate limited")
	// ErrAuth: the credential was refused (401) or lacks a permission (403).
	ErrAuth = errors.New("credential refused")
)

// tagged puts a sentinel (ErrNotFound, ...) in err's chain without
// changing its message.
type tagged struct {
	err, kind error
}

func (t *tagged) Error() string        { return t.err.Error() }
func (t *tagged) Unwrap() error        { return t.err }
func (t *tagged) Is(target error) bool { return target == t.kind }

func tag(kind, err error) error { return &tagged{err: err, kind: kind} }

// StatusCode returns the HTTP status of a failed API call in err's chain,
// or 0: for messages. Decide with errors.Is and the Err values above.
func StatusCode(err error) int {
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	var rl *gh.RateLimitError
	if errors.As(err, &rl) && rl.Response != nil {
		return rl.Response.StatusCode
	}
	var ab *gh.AbuseRateLimitError
	if errors.As(err, &ab) && ab.Response != nil {
		return ab.Response.StatusCode
	}
	return 0
}

// apiError is a classified error: a message that says what to do, and the
// original error underneath (for StatusCode and errors.As).
type apiError struct {
	msg string
	err error
}

func (e *apiError) Error() string { return e.msg }
func (e *apiError) Unwrap() error { return e.err }

func wrapf(err error, format string, args ...any) error {
	return &apiError{msg: fmt.Sprintf(format, args...), err: err}
}

// classify turns what go-github returned into an error that says what to do,
// tagged with its failure kind. op is the operation ("list runners").
func (c *Client) classify(op string, err error) error {
	if err == nil {
		return nil
	}
	t := c.target
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, err)
	}
	var ae *appError
	if errors.As(err, &ae) {
		return fmt.Errorf("%s: %w", op, ae.err) // already says what to do
	}
	var rl *gh.RateLimitError
	if errors.As(err, &rl) {
		return tag(ErrRateLimited, wrapf(err, "%s: GitHub's rate limit (%d requests/hour) is used up until %s, past --max-wait; wait, or raise --max-wait",
			op, rl.Rate.Limit, rl.Rate.Reset.Format(time.RFC3339)))
	}
	var ab *gh.AbuseRateLimitError
	if errors.As(err, &ab) {
		return tag(ErrRateLimited, wrapf(err, "%s: GitHub's secondary rate limit still applies after --max-wait; spread requests out (boot jitter) or raise --max-wait", op))
	}
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		req := er.Response.Request
		where := ""
		if req != nil {
			where = req.Method + " " + req.URL.String()
		}
		msg := er.Message
		if msg == "" {
			msg = http.StatusText(er.Response.StatusCode)
		}
		switch code := er.Response.StatusCode; {
		case code == http.StatusUnauthorized && c.app != nil:
			return tag(ErrAuth, failure.Wrap(failure.Auth, wrapf(err,
				"%s: bad credentials: GitHub refused GitHub App %d's installation token (%s: 401 %s); the installation may have been removed or suspended: check it in the owner's settings (GitHub Apps)",
				op, c.app.ID(), where, msg)))
		case code == http.StatusUnauthorized:
			return tag(ErrAuth, failure.Wrap(failure.Auth, wrapf(err,
				"%s: bad credentials: GitHub refused the access token (%s: 401 %s); it is expired, revoked or mistyped: check the token given through %s",
				op, where, msg, tokenSources)))
		case code == http.StatusForbidden && c.app != nil:
			missing := MissingAppPermission(t.Kind, c.app.Permissions())
			if missing == "" {
				missing = "the " + t.Kind.Permission()
			}
			return tag(ErrAuth, failure.Wrap(failure.Auth, wrapf(err,
				"%s: permission denied (%s: 403 %s): GitHub App %d lacks %s on %s: %s",
				op, where, msg, c.app.ID(), missing, t.Describe(), GrantHint())))
		case code == http.StatusForbidden:
			return tag(ErrAuth, failure.Wrap(failure.Auth, wrapf(err,
				"%s: permission denied (%s: 403 %s): runner endpoints of %s need a classic PAT with the %q scope, or a fine-grained token or GitHub App with %s; admin rights on the %s are needed as well",
				op, where, msg, t.Describe(), t.Kind.ClassicScope(), t.Kind.Permission(), t.Kind)))
		case code == http.StatusNotFound:
			return tag(ErrNotFound, failure.Wrap(failure.NotFound, wrapf(err, "%s: not found (%s: 404): %s", op, where, c.notFoundHint())))
		case code == http.StatusTooManyRequests:
			return tag(ErrRateLimited, wrapf(err, "%s: %s: %d %s", op, where, er.Response.StatusCode, msg))
		}
		return wrapf(err, "%s: %s: %d %s", op, where, er.Response.StatusCode, msg)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		var ua x509.UnknownAuthorityError
		if errors.As(err, &ua) {
			return fmt.Errorf("%s: the API server's TLS certificate is signed by an unknown authority; give its CA with --ca-file: %w", op, err)
		}
		return fmt.Errorf("%s: cannot reach the GitHub API at %s (check --url/--api-url and HTTPS_PROXY/NO_PROXY): %w", op, t.APIBase, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func (c *Client) notFoundHint() string {
	t := c.target
	var b strings.Builder
	fmt.Fprintf(&b, "--url %s was taken as %s scope, and %s does not exist or the token cannot see it. ", t.URL, t.Kind, t.Describe())
	if c.app != nil {
		fmt.Fprintf(&b, "GitHub App %d's installation must include it, with the %s", c.app.ID(), t.Kind.Permission())
	} else {
		fmt.Fprintf(&b, "At %s level the token needs the classic scope %q (fine-grained token or GitHub App: %s)", t.Kind, t.Kind.ClassicScope(), t.Kind.Permission())
	}
	switch t.Kind {
	case Organization:
		b.WriteString("; if this is a user account, runners register per repository: --url https://HOST/" + t.Org + "/REPO")
	case Repository:
		b.WriteString("; for organization runners use --url https://HOST/" + t.Owner)
	case Enterprise:
		b.WriteString("; check the enterprise slug, and that --url names the right host")
	}
	if !strings.HasSuffix(t.APIBase.Path, "/api/v3/") && t.APIBase.Host != "api.github.com" && !strings.HasSuffix(t.APIBase.Host, ".ghe.com") {
		b.WriteString("; a GitHub Enterprise Server API base ends in /api/v3 (--api-url " + t.APIBase.String() + " was used)")
	}
	return b.String()
}
