package github

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
)

// Credentials say where the API credential comes from (design.md step 2,
// first match wins): a PAT in TokenFile, else the environment's
// RUNNERCTL_ACCESS_TOKEN, else GITHUB_TOKEN. A secret is never a flag
// value. GitHub App keys and pre-minted tokens go here too.
type Credentials struct {
	TokenFile string
	// Getenv reads the environment (os.Getenv; a map in tests).
	Getenv func(string) string
}

// ErrNoCredential says no API credential was given.
var ErrNoCredential = errors.New("no API credential: give --access-token-file FILE, or set RUNNERCTL_ACCESS_TOKEN or GITHUB_TOKEN")

// Token finds the API credential.
func (c Credentials) Token() (secret.Secret, error) {
	if c.TokenFile != "" {
		s, err := secret.FromFile(c.TokenFile)
		if err != nil {
			return s, failure.Wrap(failure.Usage, fmt.Errorf("--access-token-file: %w", err))
		}
		return s, nil
	}
	for _, k := range []string{"RUNNERCTL_ACCESS_TOKEN", "GITHUB_TOKEN"} {
		if c.Getenv != nil && strings.TrimSpace(c.Getenv(k)) != "" {
			return secret.New(c.Getenv(k)), nil
		}
	}
	return secret.Secret{}, failure.Wrap(failure.Usage, ErrNoCredential)
}

// ConnectOptions say which server to talk to and how.
type ConnectOptions struct {
	URL, APIURL string // --url, --api-url
	Credentials Credentials
	CAFile      string
	Proxy       Proxy
	MaxWait     time.Duration // --max-wait: one request's retries and rate-limit waits
	// InsecureHTTP (--insecure-http) allows plain http:// to a host that
	// is not loopback, for the API and the package download.
	InsecureHTTP bool
	Version      string // runnerctl's, for the User-Agent
	Log          *slog.Logger
	// Redactor learns the credential before any request is made.
	Redactor *secret.Redactor
}

// Connect parses the target (design.md step 1), finds the credential
// (step 2) and returns the client.
func Connect(o ConnectOptions) (*Client, error) {
	t, err := ParseTarget(o.URL, o.APIURL)
	if err != nil {
		return nil, err
	}
	if err := checkPlainHTTP(o, t); err != nil {
		return nil, err
	}
	tok, err := o.Credentials.Token()
	if err != nil {
		return nil, err
	}
	if o.Redactor != nil {
		o.Redactor.Add(tok)
	}
	if o.Log != nil {
		o.Log.Debug("GitHub target", "url", t.URL, "scope", t.Kind.String(), "api", t.APIBase.String())
	}
	return New(Options{Target: t, Token: tok, Version: o.Version, CAFile: o.CAFile, Proxy: o.Proxy,
		Retry: DefaultRetryPolicy(o.MaxWait), Logger: o.Log})
}

// Loopback reports whether u's host is this machine (localhost or a
// loopback address): plain http to it crosses no network.
func Loopback(u *url.URL) bool {
	h := u.Hostname()
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// checkPlainHTTP refuses, unless o.InsecureHTTP, a web URL or API base
// that is plain http to a host that is not loopback: the access token,
// and the registration token config.sh sends to the web URL, would cross
// the network unencrypted.
func checkPlainHTTP(o ConnectOptions, t Target) error {
	if o.InsecureHTTP {
		return nil
	}
	api := "the API URL derived from --url"
	if o.APIURL != "" {
		api = "--api-url"
	}
	web, err := url.Parse(t.URL)
	if err != nil {
		return failure.Wrap(failure.Usage, fmt.Errorf("parse --url: %w", err))
	}
	for _, c := range []struct {
		name string
		u    *url.URL
	}{{"--url", web}, {api, t.APIBase}} {
		if c.u.Scheme == "http" && !Loopback(c.u) {
			return failure.Wrap(failure.Usage, fmt.Errorf("%s %s is plain http to a host that is not loopback: the access token and registration tokens would cross the network unencrypted; use https, or pass --insecure-http to allow it",
				c.name, c.u.Redacted()))
		}
	}
	return nil
}
