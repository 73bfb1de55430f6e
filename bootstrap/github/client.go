package github

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"time"

	gh "github.com/google/go-github/v89/github"
	"golang.org/x/net/http/httpproxy"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
)

// APIVersion is the REST API version runnerctl speaks.
const APIVersion = "2022-11-28"

// Options configure a Client.
type Options struct {
	Target Target
	// Token is the PAT. Empty (and no App) means anonymous, which GitHub
	// refuses for every runner endpoint.
	Token secret.Secret
	// App, when set, authenticates as that GitHub App's installation
	// instead of Token.
	App *AppConfig
	// Redactor (may be nil) learns each App installation token as it is minted.
	Redactor *secret.Redactor
	// Version goes into the User-Agent.
	Version string
	// CAFile adds PEM roots (a GHES with a private CA).
	CAFile string
	// Proxy is the HTTP(S) proxy to use (--https-proxy, --http-proxy, --no-proxy).
	Proxy Proxy
	// Retry is the retry policy; the zero value means DefaultRetryPolicy(10m).
	Retry RetryPolicy
	// Transport is the innermost transport (tests); nil means one built
	// from CAFile and Proxy.
	Transport http.RoundTripper
	Logger    *slog.Logger
}

// Client talks to the runner endpoints of one Target.
type Client struct {
	gh     *gh.Client
	target Target
	app    *App // nil for a PAT
	log    *slog.Logger
}

// Proxy says which proxy runnerctl's own requests go through, with the
// meaning of the http_proxy, https_proxy and no_proxy variables. main
// fills it from the flags, which also read those variables: cloud-init's
// runcmd sees no /etc/environment, so a proxy must be sayable in the
// config file.
type Proxy struct {
	HTTP, HTTPS, No string
}

// Env returns p as the runner's .env lines (the listener honours
// http_proxy, https_proxy and no_proxy; runner-contract.md §.env).
func (p Proxy) Env() []string {
	var out []string
	for _, kv := range [][2]string{{"http_proxy", p.HTTP}, {"https_proxy", p.HTTPS}, {"no_proxy", p.No}} {
		if kv[1] != "" {
			out = append(out, kv[0]+"="+kv[1])
		}
	}
	return out
}

// NewTransport returns an HTTP transport that uses proxy and, when caFile
// is set, adds its PEM roots to the system ones. The package download uses
// the same transport.
func NewTransport(caFile string, proxy Proxy) (*http.Transport, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	pf := (&httpproxy.Config{HTTPProxy: proxy.HTTP, HTTPSProxy: proxy.HTTPS, NoProxy: proxy.No}).ProxyFunc()
	tr.Proxy = func(r *http.Request) (*url.URL, error) { return pf(r.URL) }
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, failure.Wrap(failure.Usage, fmt.Errorf("read --ca-file: %w", err))
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, failure.Wrap(failure.Usage, fmt.Errorf("read --ca-file: %s holds no PEM certificate", caFile))
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return tr, nil
}

// headerTransport sets the headers GitHub asks every client to send
// (the User-Agent where go-github has not: ghinstallation's requests).
type headerTransport struct {
	next http.RoundTripper
	ua   string
}

func (t headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", APIVersion)
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", t.ua)
	}
	return t.next.RoundTrip(req)
}

// New returns a client for o.Target.
func New(o Options) (*Client, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	base := o.Transport
	if base == nil {
		tr, err := NewTransport(o.CAFile, o.Proxy)
		if err != nil {
			return nil, err
		}
		base = tr
	}
	p := o.Retry
	if p.Now == nil {
		p = DefaultRetryPolicy(10 * time.Minute)
	}
	var rt http.RoundTripper = stateTransport{next: newRetryClient(p, headerTransport{next: base, ua: "runnerctl/" + o.Version}, log), now: p.Now}
	var app *App
	if o.App != nil {
		// The App's JWT and token requests take the same road as the
		// API's (retries, rate limits, proxy, CA, same-origin redirects).
		app = newApp(*o.App, o.Target, rt, o.Version, o.Redactor, log)
		rt = app
	}
	apiBase := o.Target.APIBase.String()
	opts := []gh.ClientOptionsFunc{
		gh.WithHTTPClient(&http.Client{Transport: rt}),
		gh.WithUserAgent("runnerctl/" + o.Version),
		gh.WithURLs(&apiBase, nil),
		// The retry transport is the one place that waits out rate limits
		// (bounded by --max-wait); go-github's own pre-emptive refusal
		// would fail requests that transport would have waited for.
		gh.WithDisableRateLimitCheck(),
	}
	if !o.Token.Empty() {
		opts = append(opts, gh.WithAuthToken(o.Token.Reveal()))
	}
	c, err := gh.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("create GitHub client: %w", err)
	}
	return &Client{gh: c, target: o.Target, app: app, log: log}, nil
}

// Target returns the client's target.
func (c *Client) Target() Target { return c.target }

// errCrossOrigin is sameOrigin's refusal (never retried).
var errCrossOrigin = errors.New("refused: the credential goes to the API's origin only")

// sameOrigin refuses an API redirect to another scheme, host or port
// (the http.Client that follows redirects is the retry client's, below
// go-github, and the credential is already on the request: Go keeps it
// for the same host on another port or scheme). GitHub's own API
// redirects (a renamed repository) stay on its origin.
func sameOrigin(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	from := via[0].URL
	if req.URL.Scheme != from.Scheme || req.URL.Host != from.Host {
		return fmt.Errorf("the API redirected from %s://%s to %s://%s: %w", from.Scheme, from.Host, req.URL.Scheme, req.URL.Host, errCrossOrigin)
	}
	return nil
}
