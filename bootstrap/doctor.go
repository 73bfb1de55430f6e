package bootstrap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/github"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
	"github.com/runnerctl/runnerctl/platform"
)

// doctor (issue 11 item 3): the preflight a user runs alone when a host
// "never shows up", and that install runs first. It is read-only: it
// creates, writes and mints nothing (a GET of the runner list proves the
// credential) but, with a GitHub App, the installation token an App
// needs to read anything (an hour's token, no change on the server);
// and it never prints a secret (the token goes in a header only; proxy
// URLs are shown redacted).
//
// Each check has a class, the exit code of `runnerctl doctor` when it is
// the first failing one (design.md's codes):
//
//	2 (usage/config): DNS, TCP, TLS, clock, disk, libraries, user, --dir:
//	  the fix is this host's configuration or runnerctl's flags (--url,
//	  --ca-file, --https-proxy, a firewall rule, NTP, a package);
//	3 (auth): the credential is refused, or lacks the scope or permission;
//	4 (not found): the --url target does not exist or the token cannot see it;
//	7 (service): no service manager was found.

// CheckStatus is a check's outcome.
type CheckStatus string

// Check outcomes.
const (
	CheckOK   CheckStatus = "ok"
	CheckWarn CheckStatus = "warn"
	CheckFail CheckStatus = "fail"
)

// Check is one doctor check.
type Check struct {
	Name    string      `json:"name"`
	Status  CheckStatus `json:"status"`
	Message string      `json:"message"`
	Fix     string      `json:"fix,omitempty"`
	// Exit is the exit code this check gives when it is the first failure.
	Exit int `json:"exit_code,omitempty"`
	kind failure.Kind
}

// exitOf is the documented exit code of a failure kind.
func exitOf(k failure.Kind) int {
	return map[failure.Kind]int{failure.Usage: 2, failure.Auth: 3, failure.NotFound: 4, failure.Service: 7}[k]
}

// PackageSpace is the free space doctor asks for at the runner
// directory: an extracted linux-x64 runner 2.33x is about 500 MB
// (the package is ~200 MB, ~180 MB in 2023 before node24 was added);
// a self-update keeps a second copy while it swaps.
const PackageSpace = 500 << 20

// DoctorOptions say what to check.
type DoctorOptions struct {
	// URL is --url ("": the record of Dir names it, else the network,
	// credential and clock checks are skipped).
	URL, Dir, User string
	// Preflight is install's run (see Preflight): no API request (install's
	// own first calls prove the credential, and a test's fault queue is
	// theirs); no host library check (install checks the staged tree's
	// needs, CheckRunnerDependencies, which --install-dependencies can
	// meet); the runner user and its reach only as root, as install does;
	// no service manager check with NoService.
	Preflight, NoService bool
}

// DoctorDeps is what the checks use; tests replace parts.
type DoctorDeps struct {
	Conn github.ConnectOptions
	// Services names the service manager found ("" for none).
	Services interface{ Platform() string }
	Store    Store
	Log      *slog.Logger
	// LibCache returns the loader cache (nil: HostLibCache).
	LibCache func() (LibCache, bool, error)
	// FreeSpace returns the free bytes at a path (nil: platform.FreeSpace).
	FreeSpace func(string) (uint64, error)
	// Now is the local clock (nil: time.Now).
	Now func() time.Time
	// Timeout bounds each network step (0: 10 s).
	Timeout time.Duration
}

type doctor struct {
	d         DoctorDeps
	preflight bool
	checks    []Check
	tr        *http.Transport
	caNote    string // "the system store" or "the system store and --ca-file F"
}

func (dc *doctor) add(name string, st CheckStatus, kind failure.Kind, msg, fix string) {
	c := Check{Name: name, Status: st, Message: msg, Fix: fix, kind: kind}
	if st == CheckFail {
		c.Exit = exitOf(kind)
	}
	dc.checks = append(dc.checks, c)
}

// Doctor runs the checks and returns them in order.
func Doctor(ctx context.Context, d DoctorDeps, o DoctorOptions) []Check {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Timeout == 0 {
		d.Timeout = 10 * time.Second
	}
	if d.LibCache == nil {
		d.LibCache = HostLibCache
	}
	if d.FreeSpace == nil {
		d.FreeSpace = platform.FreeSpace
	}
	dc := &doctor{d: d, preflight: o.Preflight}
	dir, dirErr := absDir(o.Dir)
	if o.URL == "" && dirErr == nil {
		if rec, err := d.Store.Get(dir); err == nil && rec != nil && rec.Runner != nil {
			o.URL = rec.Runner.URL
			if dc.d.Conn.APIURL == "" {
				dc.d.Conn.APIURL = rec.Runner.APIURL
			}
			if dc.d.Conn.CAFile == "" {
				dc.d.Conn.CAFile = rec.Runner.CAFile
			}
		}
	}
	// A CA file another user can change is not trusted with the credential.
	if err := checkCAFile(dc.d.Conn.CAFile, "CA file"); err != nil {
		dc.add("ca-file", CheckFail, 2, err.Error(), "make it root's (chown root, chmod go-w, in a directory only root can change), or give another --ca-file")
		dc.d.Conn.CAFile = ""
	}
	if o.URL == "" {
		dc.add("target", CheckWarn, 0, "no --url (and no installed runner in --dir names one): the network, credential and clock checks are skipped",
			"give --url https://HOST/OWNER/REPO, https://HOST/ORG or https://HOST/enterprises/SLUG")
	} else {
		dc.network(ctx, o.URL)
	}
	dc.local(dir, dirErr, o)
	return dc.checks
}

// DoctorError is the error of a doctor run with failed checks: its kind
// is the first failure's class.
func DoctorError(checks []Check) error {
	var failed []string
	kind := failure.Kind(0)
	for _, c := range checks {
		if c.Status == CheckFail {
			if len(failed) == 0 {
				kind = c.kind
			}
			failed = append(failed, c.Name)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return failure.Wrap(kind, fmt.Errorf("doctor: %d check(s) failed: %s (each one's fix is above)", len(failed), strings.Join(failed, ", ")))
}

// network checks the API host, the web host and the download host, the
// credential and the clock.
func (dc *doctor) network(ctx context.Context, rawURL string) {
	c := dc.d.Conn
	t, err := github.ParseTarget(rawURL, c.APIURL)
	if err != nil {
		dc.add("target", CheckFail, failure.Usage, err.Error(), "give a --url of one of the shapes above")
		return
	}
	dc.add("target", CheckOK, 0, fmt.Sprintf("%s, API %s", t.Describe(), t.APIBase.Redacted()), "")
	tr, err := github.NewTransport(c.CAFile, c.Proxy)
	if err != nil {
		dc.add("tls", CheckFail, failure.Usage, err.Error(), "give --ca-file a readable PEM file holding the CA certificate")
		return
	}
	tr.DisableKeepAlives = true
	dc.tr = tr
	dc.caNote = "the system store"
	if c.CAFile != "" {
		dc.caNote = "the system store and --ca-file " + c.CAFile
	}
	web, _ := url.Parse(t.URL)
	date, apiOK := dc.endpoint(ctx, "api", t.APIBase)
	if web != nil && web.Host != t.APIBase.Host {
		dc.endpoint(ctx, "web", web) // config.sh and the listener talk to the web host
	}
	if !date.IsZero() {
		dc.clock(date)
	}
	if !apiOK || dc.preflight {
		return
	}
	dl := dc.credential(ctx, t)
	if dl != nil && dl.Host != t.APIBase.Host && (web == nil || dl.Host != web.Host) {
		dc.endpoint(ctx, "download", dl)
	}
}

// endpoint checks DNS, TCP and TLS to u's host (to the proxy's, when one
// applies), each a check named "<label> dns" and so on; it returns the
// server's Date and whether the host answered over HTTP(S).
func (dc *doctor) endpoint(ctx context.Context, label string, u *url.URL) (time.Time, bool) {
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	via := ""
	proxy, err := dc.tr.Proxy(&http.Request{URL: u})
	if err == nil && proxy != nil {
		via = fmt.Sprintf(" through proxy %s (--https-proxy/HTTPS_PROXY, --http-proxy/HTTP_PROXY)", proxy.Redacted())
		host, port = proxy.Hostname(), proxy.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[proxy.Scheme]
		}
	}
	name := func(step string) string { return label + " " + step }
	ctxT, cancel := context.WithTimeout(ctx, dc.d.Timeout)
	defer cancel()
	if net.ParseIP(host) != nil {
		dc.add(name("dns"), CheckOK, 0, host+" is an address: no lookup"+via, "")
	} else if addrs, err := net.DefaultResolver.LookupHost(ctxT, host); err != nil {
		dc.add(name("dns"), CheckFail, failure.Usage, fmt.Sprintf("cannot resolve %s%s: %v", host, via, err),
			"check the host name in --url (or --api-url), this host's resolver (/etc/resolv.conf, systemd-resolved); behind a proxy, set --https-proxy")
		return time.Time{}, false
	} else {
		dc.add(name("dns"), CheckOK, 0, fmt.Sprintf("%s resolves to %s%s", host, strings.Join(addrs, ", "), via), "")
	}
	addr := net.JoinHostPort(host, port)
	conn, err := (&net.Dialer{}).DialContext(ctxT, "tcp", addr)
	if err != nil {
		dc.add(name("tcp"), CheckFail, failure.Usage, fmt.Sprintf("cannot connect to %s%s: %v", addr, via, err),
			fmt.Sprintf("allow outbound TCP to %s in the firewall or security group, or reach it through a proxy (--https-proxy)", addr))
		return time.Time{}, false
	}
	_ = conn.Close()
	dc.add(name("tcp"), CheckOK, 0, "connected to "+addr+via, "")

	// One request without credentials: the TLS handshake (through the
	// proxy's CONNECT when one applies) and the server's Date.
	req, err := http.NewRequestWithContext(ctxT, http.MethodHead, u.Scheme+"://"+u.Host+"/", nil)
	if err != nil {
		dc.add(name("tls"), CheckFail, failure.Usage, err.Error(), "")
		return time.Time{}, false
	}
	req.Header.Set("User-Agent", "runnerctl/"+dc.d.Conn.Version)
	cl := &http.Client{Transport: dc.tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := cl.Do(req)
	if err != nil {
		msg, fix := dc.tlsFailure(u, err)
		dc.add(name("tls"), CheckFail, failure.Usage, msg, fix)
		return time.Time{}, false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
	date, _ := http.ParseTime(resp.Header.Get("Date"))
	switch {
	case resp.TLS == nil && github.Loopback(u):
		dc.add(name("tls"), CheckOK, 0, "plain http to a loopback host: no TLS", "")
	case resp.TLS == nil:
		dc.add(name("tls"), CheckWarn, 0, "plain http to "+u.Host+": tokens cross the network unencrypted", "use the https:// URL of the server")
	default:
		dc.add(name("tls"), CheckOK, 0, dc.tlsOK(resp.TLS), "")
	}
	return date, true
}

// tlsOK describes a verified connection: the issuer, and which roots
// trusted it. A certificate that only --ca-file makes trusted is noted:
// the runner's listener and config.sh trust the OS store only.
func (dc *doctor) tlsOK(cs *tls.ConnectionState) string {
	msg := tls.VersionName(cs.Version)
	if len(cs.PeerCertificates) == 0 {
		return msg
	}
	leaf := cs.PeerCertificates[0]
	names := leaf.DNSNames
	for _, ip := range leaf.IPAddresses {
		names = append(names, ip.String())
	}
	if leaf.Subject.CommonName != "" {
		names = append([]string{leaf.Subject.CommonName}, names...)
	}
	msg += fmt.Sprintf(", certificate for %s issued by %q", strings.Join(names, ","), leaf.Issuer.String())
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	sys, err := x509.SystemCertPool()
	if err == nil {
		if _, err = leaf.Verify(x509.VerifyOptions{Roots: sys, Intermediates: inter}); err == nil {
			return msg + ", trusted by the system store"
		}
	}
	return msg + ", trusted through --ca-file " + dc.d.Conn.CAFile + " only (the runner itself trusts the OS store only: install adds the CA there)"
}

// tlsFailure explains a failed request: an untrusted, expired or
// misnamed certificate, else the transport's error.
func (dc *doctor) tlsFailure(u *url.URL, err error) (string, string) {
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var re *tls.RecordHeaderError
	switch {
	case errors.As(err, &ua):
		issuer := "an unknown CA"
		if ua.Cert != nil {
			issuer = fmt.Sprintf("%q", ua.Cert.Issuer.String())
		}
		return fmt.Sprintf("%s's certificate is signed by %s, which %s does not trust", u.Host, issuer, dc.caNote),
			fmt.Sprintf("give --ca-file with the PEM certificate of the CA that signed it (%s); install also adds it to the OS trust store, where the runner looks", issuer)
	case errors.As(err, &he):
		return fmt.Sprintf("%s's certificate does not name %s: %v", u.Host, u.Hostname(), err),
			"use the host name the server's certificate names in --url/--api-url, or reissue the certificate with this name"
	case errors.As(err, &ci):
		return fmt.Sprintf("%s's certificate is not valid: %v", u.Host, err),
			"renew the server's certificate; if it is not expired, check this host's clock (timedatectl)"
	case errors.As(err, &re):
		return fmt.Sprintf("%s does not speak TLS on this port: %v", u.Host, err), "use the http:// URL, or the server's TLS port"
	}
	return fmt.Sprintf("request to %s failed: %v", u.Host, err), "check the proxy settings (--https-proxy, --no-proxy) and that the server answers HTTPS"
}

// clockFix is the fix of a skewed clock.
const clockFix = "synchronise the clock (timedatectl set-ntp true, chronyd or ntpd; Windows: w32tm /resync): GitHub App JWTs and OAuth tokens are refused with a skewed clock"

// clock compares the server's Date with the local clock: a warning
// beyond 30 s, a failure beyond 5 minutes, and with a GitHub App a
// failure beyond what its JWTs survive (30 s fast, 90 s slow).
func (dc *doctor) clock(server time.Time) {
	skew := dc.d.Now().Sub(server)
	abs := skew.Abs().Round(time.Second)
	dir := "ahead of"
	if skew < 0 {
		dir = "behind"
	}
	fix := clockFix
	// An App's JWT is issued 30 s back and lives 2 minutes (github/app.go).
	appFails := dc.d.Conn.Credentials.IsApp() && (skew > 30*time.Second || skew < -90*time.Second)
	switch {
	case appFails && abs <= 5*time.Minute:
		dc.add("clock", CheckFail, failure.Usage, fmt.Sprintf("this host's clock is %s %s the server's: GitHub refuses a GitHub App's JWTs with this skew (30 s fast or 90 s slow at most)", abs, dir), fix)
	case abs > 5*time.Minute:
		dc.add("clock", CheckFail, failure.Usage, fmt.Sprintf("this host's clock is %s %s the server's", abs, dir), fix)
	case abs > 30*time.Second:
		dc.add("clock", CheckWarn, 0, fmt.Sprintf("this host's clock is %s %s the server's", abs, dir), fix)
	default:
		dc.add("clock", CheckOK, 0, fmt.Sprintf("within %s of the server's (its Date header)", max(abs, time.Second)), "")
	}
}

// credential proves the credential with a GET of the target's runner
// list (a GitHub App first: appToken), checks a classic PAT's
// X-OAuth-Scopes, and returns the download URL of this host's package
// (nil when unknown).
func (dc *doctor) credential(ctx context.Context, t github.Target) *url.URL {
	creds := dc.d.Conn.Credentials
	who := "the token" // for messages
	newToken := fmt.Sprintf("create a token with scope %s (classic PAT) or the %s (fine-grained PAT or GitHub App), and give it by --access-token-file",
		t.Kind.ClassicScope(), t.Kind.Permission())
	var tok secret.Secret
	if creds.IsApp() {
		var ok bool
		if tok, ok = dc.appToken(ctx, t); !ok {
			return nil
		}
		who, newToken = creds.Kind()+"'s installation token", github.GrantHint()
	} else {
		var err error
		tok, err = creds.Token(dc.d.Log)
		if errors.Is(err, github.ErrNoCredential) {
			dc.add("credential", CheckWarn, 0, "no API credential: its validity and scopes are not checked",
				"give --app-id with --app-private-key-file (a GitHub App), or --access-token-file FILE, or set RUNNERCTL_ACCESS_TOKEN or GITHUB_TOKEN (a classic PAT needs scope "+t.Kind.ClassicScope()+")")
			return nil
		}
		if err != nil {
			dc.add("credential", CheckFail, failure.Usage, err.Error(), "give a readable --access-token-file")
			return nil
		}
		who = "the token (" + creds.Kind() + ")"
		if dc.d.Conn.Redactor != nil {
			dc.d.Conn.Redactor.Add(tok)
		}
	}
	get := func(path string) (*http.Response, []byte, error) {
		ctxT, cancel := context.WithTimeout(ctx, dc.d.Timeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctxT, http.MethodGet, t.APIBase.String()+path, nil)
		if err != nil {
			return nil, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok.Reveal())
		req.Header.Set("Accept", "application/vnd.github+json")
		req.Header.Set("X-GitHub-Api-Version", github.APIVersion)
		req.Header.Set("User-Agent", "runnerctl/"+dc.d.Conn.Version)
		cl := &http.Client{Transport: dc.tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := cl.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return resp, body, err
	}
	base := runnersPath(t)
	resp, body, err := get(base + "?per_page=1")
	if err != nil {
		dc.add("credential", CheckFail, failure.Usage, "GET the runner list: "+err.Error(), "see the api checks above")
		return nil
	}
	need := t.Kind.ClassicScope()
	scopes, classic := resp.Header["X-Oauth-Scopes"]
	have := strings.Join(scopes, ",")
	scopeNote := ""
	if classic {
		scopeNote = fmt.Sprintf("; classic token scopes %q (needs %s)", have, need)
	}
	msg := apiMessage(body)
	switch {
	case resp.StatusCode == http.StatusOK:
		if classic && !hasScope(have, t.Kind) {
			dc.add("credential", CheckWarn, 0, "the runner list of "+t.Describe()+" is readable, but the token lacks "+need+scopeNote, newToken)
		} else {
			note := scopeNote
			if !classic && !creds.IsApp() {
				note = "; not a classic PAT: a registration also needs the " + t.Kind.Permission()
			}
			dc.add("credential", CheckOK, 0, who+" can list the runners of "+t.Describe()+note, "")
		}
	case resp.StatusCode == http.StatusUnauthorized:
		dc.add("credential", CheckFail, failure.Auth, "the server refuses "+who+" ("+msg+"): it is wrong, expired or revoked", newToken)
		return nil
	case resp.StatusCode == http.StatusForbidden && resp.Header.Get("X-Ratelimit-Remaining") == "0":
		dc.add("credential", CheckWarn, 0, "rate limited: the token's API budget is spent until "+resetTime(resp.Header.Get("X-Ratelimit-Reset")), "wait for the reset, or use another token")
		return nil
	case resp.StatusCode == http.StatusForbidden:
		perm := ""
		if p := resp.Header.Get("X-Accepted-Github-Permissions"); p != "" {
			perm = "; the endpoint accepts permissions " + p
		}
		dc.add("credential", CheckFail, failure.Auth, who+" may not manage the runners of "+t.Describe()+" ("+msg+")"+scopeNote+perm, newToken)
		return nil
	case resp.StatusCode == http.StatusNotFound && classic && !hasScope(have, t.Kind):
		dc.add("credential", CheckFail, failure.Auth, t.Describe()+" is not visible to this token (404)"+scopeNote, newToken)
		return nil
	case resp.StatusCode == http.StatusNotFound:
		dc.add("credential", CheckFail, failure.NotFound, t.Describe()+" was not found (404): it does not exist, or "+who+" cannot see it"+scopeNote,
			"check --url; a fine-grained token must be granted this repository or organization")
		return nil
	default:
		dc.add("credential", CheckWarn, 0, fmt.Sprintf("GET the runner list: HTTP %d (%s)", resp.StatusCode, msg), "retry later; the server may be failing")
		return nil
	}
	resp, body, err = get(base + "/downloads")
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil
	}
	var ds []github.Download
	if json.Unmarshal(body, &ds) != nil || len(ds) == 0 {
		return nil
	}
	pick := ds[0]
	osName, arch := platform.HostOS(runtime.GOOS), platform.HostArch(runtime.GOARCH)
	for _, d := range ds {
		if d.OS == osName && d.Architecture == arch {
			pick = d
			break
		}
	}
	u, err := url.Parse(pick.DownloadURL)
	if err != nil || u.Host == "" {
		return nil
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host} // never the path or a query: data, and maybe a token
}

// appToken checks a GitHub App credential, each step a check: the JWT
// (the key, the App id, this host's clock), the installation on the
// target, its permissions; then mints the installation token the
// runner-list check uses.
func (dc *doctor) appToken(ctx context.Context, t github.Target) (secret.Secret, bool) {
	c := dc.d.Conn
	cfg, err := c.Credentials.AppConfig(t, dc.d.Log)
	if err != nil {
		fix := "give --app-id and a readable --app-private-key-file, the App's private key"
		if t.Kind == github.Enterprise {
			fix = "give a classic PAT with scope " + t.Kind.ClassicScope() + " by --access-token-file, without --app-id"
		}
		dc.add("credential", CheckFail, failure.KindOf(err), err.Error(), fix)
		return secret.Secret{}, false
	}
	app := github.NewApp(*cfg, t, dc.tr, c.Version, c.Redactor, dc.d.Log)
	ctxT, cancel := context.WithTimeout(ctx, dc.d.Timeout)
	defer cancel()
	info, err := app.Get(ctxT)
	if err != nil {
		fix := "check --app-id (the App's settings page shows it) and give a current private key of that App (--app-private-key-file)"
		if strings.Contains(err.Error(), "clock skew") {
			fix = clockFix
		}
		dc.add("app jwt", CheckFail, failure.KindOf(err), err.Error(), fix)
		return secret.Secret{}, false
	}
	dc.add("app jwt", CheckOK, 0, fmt.Sprintf("GitHub App %d (%q) accepts this host's JWT: the key, the App id and the clock are good", info.ID, info.Slug), "")
	in, err := app.FindInstallation(ctxT)
	if err != nil {
		dc.add("app installation", CheckFail, failure.KindOf(err), err.Error(),
			fmt.Sprintf("install the App %q on %s (its public page: Install App), or check --url", info.Slug, t.Describe()))
		return secret.Secret{}, false
	}
	if cfg.InstallationID != 0 && cfg.InstallationID != in.ID {
		dc.add("app installation", CheckFail, failure.Auth, fmt.Sprintf("--app-installation-id %d is not the App's installation on %s: that is %d", cfg.InstallationID, t.Describe(), in.ID),
			fmt.Sprintf("give --app-installation-id %d, or leave it out (it is looked up)", in.ID))
		return secret.Secret{}, false
	}
	dc.add("app installation", CheckOK, 0, fmt.Sprintf("installation %d on %s (repositories: %s)", in.ID, in.Account.Login, in.RepositorySelection), "")
	if missing := github.MissingAppPermission(t.Kind, in.Permissions); missing != "" {
		dc.add("app permissions", CheckFail, failure.Auth, fmt.Sprintf("the installation lacks %s, which the runner endpoints of %s need", missing, t.Describe()), github.GrantHint())
		return secret.Secret{}, false
	}
	dc.add("app permissions", CheckOK, 0, fmt.Sprintf("%s=write, as the runner endpoints of %s need", t.Kind.AppPermission(), t.Describe()), "")
	tok, err := app.Token(ctxT)
	if err != nil {
		dc.add("credential", CheckFail, failure.KindOf(err), err.Error(), "see the app checks above")
		return secret.Secret{}, false
	}
	return tok, true
}

// hasScope reports whether classic scopes cover the runner endpoints of kind.
func hasScope(have string, kind github.ScopeKind) bool {
	ok := map[github.ScopeKind][]string{
		github.Repository:   {"repo"},
		github.Organization: {"admin:org", "manage_runners:org"},
		github.Enterprise:   {"manage_runners:enterprise", "admin:enterprise"},
	}[kind]
	for _, s := range strings.Split(have, ",") {
		for _, o := range ok {
			if strings.TrimSpace(s) == o {
				return true
			}
		}
	}
	return false
}

// apiMessage is the "message" of a GitHub error body, or its status text.
func apiMessage(body []byte) string {
	var m struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &m) == nil && m.Message != "" {
		return m.Message
	}
	return "no message"
}

func resetTime(unix string) string {
	if n, err := strconv.ParseInt(unix, 10, 64); err == nil {
		return time.Unix(n, 0).UTC().Format(time.RFC3339)
	}
	return "the reset"
}

// runnersPath is the API path of the target's runner endpoints.
func runnersPath(t github.Target) string {
	switch t.Kind {
	case github.Repository:
		return "repos/" + url.PathEscape(t.Owner) + "/" + url.PathEscape(t.Repo) + "/actions/runners"
	case github.Organization:
		return "orgs/" + url.PathEscape(t.Org) + "/actions/runners"
	}
	return "enterprises/" + url.PathEscape(t.Enterprise) + "/actions/runners"
}

// local checks this host: --dir, disk space, libraries, service
// manager, the runner user.
func (dc *doctor) local(dir string, dirErr error, o DoctorOptions) {
	if dirErr != nil {
		dc.add("dir", CheckFail, failure.Usage, dirErr.Error(), "give --dir")
		return
	}
	user := o.User
	if o.Preflight && !platform.Privileged() {
		user = "" // install as another user runs the runner as itself
	}
	if dc.dir(dir, user) && o.Preflight {
		user = "" // install keeps the runner's recorded user (and says so when --user differs)
	}
	dc.disk(dir)
	if !o.Preflight {
		dc.libraries()
	}
	switch p := dc.d.Services.Platform(); {
	case o.Preflight && o.NoService: // none is needed
	case p == "":
		dc.add("service manager", CheckFail, failure.Service, "no service manager found (systemd, SysV init, launchd or the Windows SCM)",
			"install with --no-service and run `runnerctl run --dir "+dir+"` under your own supervisor")
	default:
		dc.add("service manager", CheckOK, 0, p, "")
	}
	if !o.Preflight || user != "" {
		dc.user(user)
	}
}

// dir checks --dir and whether the runner user can reach it; it
// reports whether dir holds an installed runner.
func (dc *doctor) dir(dir, user string) (installed bool) {
	canon, err := runnerDir(dir)
	if err != nil {
		dc.add("dir", CheckFail, failure.Usage, err.Error(), "choose a --dir under root-owned parents (the default is "+platform.DefaultRunnerDir()+")")
		return false
	}
	rec, err := dc.d.Store.Get(canon)
	switch {
	case err != nil:
		dc.add("dir", CheckWarn, 0, "the trusted store: "+err.Error(), "run as root, or give --state-dir")
	case rec != nil && rec.Runner != nil:
		installed = true
		dc.add("dir", CheckOK, 0, fmt.Sprintf("%s holds runner %q for %s", canon, rec.Runner.Name, rec.Runner.URL), "")
		if dc.preflight {
			return true
		}
	case rec != nil:
		dc.add("dir", CheckOK, 0, canon+" holds a prepared (not registered) runner", "")
	default:
		if err := emptyOrMissing(canon, "install"); err != nil {
			dc.add("dir", CheckFail, failure.Usage, err.Error(), "choose an empty or new --dir")
		} else {
			dc.add("dir", CheckOK, 0, canon+" is new or empty", "")
		}
	}
	if user == "" || user == "root" || !platform.RunsAsUser() {
		return installed
	}
	err = platform.CheckReachable(canon, user)
	var ae *platform.AccessError
	switch {
	case errors.As(err, &ae):
		dc.add("dir reachable", CheckFail, failure.Usage, fmt.Sprintf("the runner user %s cannot reach %s: %s has mode %s (owner %s)", user, canon, ae.Path, ae.Mode, ae.Owner),
			fmt.Sprintf("chmod o+x %s, or choose a --dir the runner user can reach (the default is %s)", ae.Path, platform.DefaultRunnerDir()))
	case err != nil:
		dc.add("dir reachable", CheckWarn, 0, err.Error(), "")
	default:
		dc.add("dir reachable", CheckOK, 0, fmt.Sprintf("the runner user %s can enter every parent of %s", user, canon), "")
	}
	return installed
}

// disk checks the free space where the package is extracted: the
// nearest existing parent of dir (the staging directory is its sibling).
func (dc *doctor) disk(dir string) {
	at := filepath.Dir(dir)
	for {
		free, err := dc.d.FreeSpace(at)
		if err == nil {
			mb := free >> 20
			switch {
			case free < PackageSpace:
				dc.add("disk", CheckFail, failure.Usage, fmt.Sprintf("%d MB free at %s; the extracted runner needs about %d MB", mb, at, PackageSpace>>20),
					"free space there, or choose a --dir on a larger file system (the package cache, --cache-dir, holds ~200 MB more)")
			case free < 2*PackageSpace:
				dc.add("disk", CheckWarn, 0, fmt.Sprintf("%d MB free at %s: enough for the runner (~%d MB), not for a self-update's second copy", mb, at, PackageSpace>>20),
					"free space there: a self-update unpacks the new version beside the old one")
			default:
				dc.add("disk", CheckOK, 0, fmt.Sprintf("%d MB free at %s (the runner needs ~%d MB)", mb, at, PackageSpace>>20), "")
			}
			return
		}
		if at == filepath.Dir(at) {
			dc.add("disk", CheckWarn, 0, err.Error(), "")
			return
		}
		at = filepath.Dir(at)
	}
}

// libraries checks the loader cache for the libraries the runner loads
// (libicu, libssl, zlib; libkrb5 and lttng-ust optional).
func (dc *doctor) libraries() {
	cache, ok, err := dc.d.LibCache()
	if !ok {
		dc.add("libraries", CheckOK, 0, "the runner needs no host libraries on "+runtime.GOOS, "")
		return
	}
	if err != nil {
		dc.add("libraries", CheckWarn, 0, err.Error(), "install ldconfig (libc-bin)")
		return
	}
	var missing, optional []string
	for _, l := range runtimeLibs {
		if !cache.hasAny(l.Sonames) {
			if l.Optional {
				optional = append(optional, l.Name)
			} else {
				missing = append(missing, l.Name)
			}
		}
	}
	switch {
	case len(missing) > 0:
		e := &DependencyError{Missing: missing, Packages: packageCommand(missing)}
		dc.add("libraries", CheckFail, failure.Usage, "missing from the loader cache: "+strings.Join(missing, ", ")+" (config.sh refuses without them)",
			e.Fix())
	case len(optional) > 0:
		dc.add("libraries", CheckOK, 0, "libicu, libssl and zlib found; optional "+strings.Join(optional, ", ")+" absent (Kerberos proxies and .NET tracing need them)", "")
	default:
		dc.add("libraries", CheckOK, 0, "libicu, libssl, zlib, libkrb5 and lttng-ust found", "")
	}
}

func (dc *doctor) user(user string) {
	switch {
	case !platform.RunsAsUser():
		dc.add("user", CheckOK, 0, "the service runs as its service account", "")
	case user == "" || user == "root":
		dc.add("user", CheckWarn, 0, "the runner would run as root: every job could change this host", "give --user (the default, runner, is created when missing)")
	default:
		exists, err := platform.UserExists(user)
		switch {
		case err != nil:
			dc.add("user", CheckWarn, 0, fmt.Sprintf("look up %s: %v", user, err), "")
		case exists:
			dc.add("user", CheckOK, 0, user+" exists", "")
		default:
			if err := platform.UserCreatable(); err != nil {
				dc.add("user", CheckFail, failure.Usage, user+" does not exist and cannot be created here: "+err.Error(), "create the user first, or give --user with an existing one")
			} else if !platform.Privileged() {
				dc.add("user", CheckWarn, 0, user+" does not exist; install creates it when run as root", "run install as root")
			} else {
				dc.add("user", CheckOK, 0, user+" does not exist: install creates it (useradd --system)", "")
			}
		}
	}
}

// noServices is no service manager.
type noServices struct{}

func (noServices) Platform() string { return "" }

// Preflight is doctor as install's first step (issue 11 item 3): the
// checks of Doctor without API requests (o.Preflight is set), with the
// connection e has. Warnings are logged; the failures make the error,
// with the first one's class, each with its fix. o.User is "" or "root"
// for an --allow-root runner.
func Preflight(ctx context.Context, e Env, url string, o DoctorOptions) error {
	c := e.Conn
	c.Log, c.Redactor, c.Version = e.Log, e.Redactor, e.Version
	d := DoctorDeps{Conn: c, Store: e.store(), Log: e.Log, Services: e.Services}
	if e.Services == nil {
		d.Services = noServices{}
	}
	o.URL, o.Preflight = url, true
	checks := Doctor(ctx, d, o)
	var fails []string
	for _, ch := range checks {
		switch ch.Status {
		case CheckWarn:
			e.Log.Warn("preflight: "+ch.Message, "check", ch.Name, "fix", ch.Fix)
		case CheckFail:
			fails = append(fails, ch.Name+": "+ch.Message+"; fix: "+ch.Fix)
		}
	}
	if err := DoctorError(checks); err != nil {
		return failure.Wrap(failure.KindOf(err), fmt.Errorf("install: preflight (runnerctl doctor): %s", strings.Join(fails, "; ")))
	}
	return nil
}
