package github

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
)

// Credentials say where the API credential comes from (design.md step 2,
// first match wins): a GitHub App (AppID and AppKeyFile, optional
// AppInstallationID), else a PAT in TokenFile, else the environment's
// RUNNERCTL_ACCESS_TOKEN, else GITHUB_TOKEN. A secret is never a flag
// value. Pre-minted registration / remove tokens and JIT configs will go
// first, here too.
type Credentials struct {
	TokenFile string
	// AppID, AppKeyFile and AppInstallationID are --app-id,
	// --app-private-key-file and --app-installation-id (0: looked up for
	// the target).
	AppID             int64
	AppKeyFile        string
	AppInstallationID int64
	// Getenv reads the environment (os.Getenv; a map in tests).
	Getenv func(string) string
}

// ErrNoCredential says no API credential was given.
var ErrNoCredential = errors.New("no API credential: give --app-id with --app-private-key-file (a GitHub App), or --access-token-file FILE, or set RUNNERCTL_ACCESS_TOKEN or GITHUB_TOKEN")

// IsApp reports whether the credential is a GitHub App (any --app-* flag given).
func (c Credentials) IsApp() bool {
	return c.AppID != 0 || c.AppKeyFile != "" || c.AppInstallationID != 0
}

// Kind names the credential for messages: "GitHub App 123", "PAT from
// --access-token-file", "PAT from GITHUB_TOKEN" or "none".
func (c Credentials) Kind() string {
	switch {
	case c.IsApp():
		return "GitHub App " + strconv.FormatInt(c.AppID, 10)
	case c.TokenFile != "":
		return "PAT from --access-token-file"
	}
	for _, k := range []string{"RUNNERCTL_ACCESS_TOKEN", "GITHUB_TOKEN"} {
		if c.Getenv != nil && strings.TrimSpace(c.Getenv(k)) != "" {
			return "PAT from " + k
		}
	}
	return "none"
}

// Token finds the PAT (see IsApp for the App). log (may be nil) gets a
// warning when the token file is open to other users.
func (c Credentials) Token(log *slog.Logger) (secret.Secret, error) {
	if c.TokenFile != "" {
		return ReadCredentialFile(c.TokenFile, "--access-token-file", log)
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
	opts, err := o.options()
	if err != nil {
		return nil, err
	}
	t := opts.Target
	if o.Credentials.IsApp() {
		if opts.App, err = o.Credentials.AppConfig(t, o.Log); err != nil {
			return nil, err
		}
	} else {
		if opts.Token, err = o.Credentials.Token(o.Log); err != nil {
			return nil, err
		}
		if o.Redactor != nil {
			o.Redactor.Add(opts.Token)
		}
	}
	if o.Log != nil {
		o.Log.Debug("GitHub target", "url", t.URL, "scope", t.Kind.String(), "api", t.APIBase.String(), "credential", o.Credentials.Kind())
	}
	return New(opts)
}

// options are the client options of o without a credential: its target
// (checked for plain http) and connection settings.
func (o ConnectOptions) options() (Options, error) {
	t, err := ParseTarget(o.URL, o.APIURL)
	if err != nil {
		return Options{}, err
	}
	if err := checkPlainHTTP(o, t); err != nil {
		return Options{}, err
	}
	return Options{Target: t, Version: o.Version, CAFile: o.CAFile, Proxy: o.Proxy,
		Retry: DefaultRetryPolicy(o.MaxWait), Logger: o.Log, Redactor: o.Redactor}, nil
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
