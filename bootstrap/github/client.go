package github

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	gh "github.com/google/go-github/v89/github"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
)

// APIVersion is the REST API version runnerctl speaks.
const APIVersion = "2022-11-28"

// Options configure a Client.
type Options struct {
	Target Target
	// Token is the PAT (or App installation token). Empty means anonymous,
	// which GitHub refuses for every runner endpoint.
	Token secret.Secret
	// Version goes into the User-Agent.
	Version string
	// CAFile adds PEM roots (a GHES with a private CA).
	CAFile string
	// Retry is the retry policy; the zero value means DefaultRetryPolicy(10m).
	Retry RetryPolicy
	// Transport is the innermost transport (tests); nil means one built
	// from CAFile with proxies from the environment.
	Transport http.RoundTripper
	Logger    *slog.Logger
}

// Client talks to the runner endpoints of one Target.
type Client struct {
	gh     *gh.Client
	target Target
	log    *slog.Logger
}

// NewTransport returns an HTTP transport with proxies from the environment
// (HTTPS_PROXY, NO_PROXY) and, when caFile is set, its PEM roots added to
// the system ones. The package download uses the same transport.
func NewTransport(caFile string) (*http.Transport, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = http.ProxyFromEnvironment
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

// headerTransport sets the headers GitHub asks every client to send.
type headerTransport struct{ next http.RoundTripper }

func (t headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", APIVersion)
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
		tr, err := NewTransport(o.CAFile)
		if err != nil {
			return nil, err
		}
		base = tr
	}
	p := o.Retry
	if p.Now == nil {
		p = DefaultRetryPolicy(10 * time.Minute)
	}
	rt := stateTransport{next: newRetryClient(p, headerTransport{next: base}, log), now: p.Now}
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
	return &Client{gh: c, target: o.Target, log: log}, nil
}

// Target returns the client's target.
func (c *Client) Target() Target { return c.target }
