package github

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	// ghinstallation's token options are go-github v88's type.
	ghv88 "github.com/google/go-github/v88/github"
	gh "github.com/google/go-github/v89/github"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
	"github.com/runnerctl/runnerctl/platform"
)

// GitHub App authentication (design.md step 2). ghinstallation signs the
// App's JWTs (RS256, iss = the App id, iat = this host's time - 30 s,
// exp = iat + 2 min) and mints and refreshes the installation token (an
// hour's life, renewed a minute before it ends). GitHub refuses a JWT
// whose iat is in its future or whose exp is in its past or more than
// 10 minutes ahead, so a host clock more than ~30 s fast or ~90 s slow
// fails every App request: those refusals are turned into an error that
// says so (appAuthError).

// AppConfig is a GitHub App credential with its key read: what
// Credentials.AppConfig returns, for New (Options.App) and NewApp.
type AppConfig struct {
	ID, InstallationID int64
	key                *rsa.PrivateKey
}

// errEnterpriseApp is the up-front refusal of an App at enterprise scope.
func errEnterpriseApp(t Target) error {
	return tag(ErrAuth, failure.Wrap(failure.Auth, fmt.Errorf(
		"GitHub Apps cannot manage the runners of %s (--url %s is enterprise scope): give a classic PAT with the %q scope (--access-token-file, RUNNERCTL_ACCESS_TOKEN or GITHUB_TOKEN) instead of --app-id and --app-private-key-file",
		t.Describe(), t.URL, Enterprise.ClassicScope())))
}

// AppConfig checks the App flags for target t and reads the private key.
// It makes no request: an enterprise target is refused here (exit 3),
// before anything is sent. log (may be nil) gets a warning when the key
// file is open to other users. No error holds the key's bytes.
func (c Credentials) AppConfig(t Target, log *slog.Logger) (*AppConfig, error) {
	switch {
	case c.AppID <= 0 || c.AppKeyFile == "":
		return nil, failure.Wrap(failure.Usage, errors.New("a GitHub App needs both --app-id (the App's numeric id, on its settings page) and --app-private-key-file (a private key generated there); --app-installation-id is optional"))
	case c.AppInstallationID < 0:
		return nil, failure.Wrap(failure.Usage, fmt.Errorf("--app-installation-id %d: want the installation's numeric id, or leave it out to look it up", c.AppInstallationID))
	case t.Kind == Enterprise:
		return nil, errEnterpriseApp(t)
	}
	key, err := readAppKey(c.AppKeyFile)
	if err != nil {
		return nil, err
	}
	warnShared(c.AppKeyFile, "--app-private-key-file", log)
	return &AppConfig{ID: c.AppID, InstallationID: c.AppInstallationID, key: key}, nil
}

// readAppKey reads a PEM RSA private key (PKCS #1, as GitHub generates
// them, or PKCS #8). Its errors name the file, never its contents.
func readAppKey(path string) (*rsa.PrivateKey, error) {
	b, err := platform.ReadRegular(path, maxCredentialFile)
	if err != nil {
		return nil, failure.Wrap(failure.Usage, fmt.Errorf("--app-private-key-file: %w", err))
	}
	defer clear(b)
	bad := func(why string) error {
		return failure.Wrap(failure.Usage, fmt.Errorf("--app-private-key-file %s: %s: give the .pem private key generated on the GitHub App's settings page (Private keys)", path, why))
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, bad("no PEM block found")
	}
	defer clear(blk.Bytes)
	var key any
	switch blk.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
	default:
		return nil, bad(fmt.Sprintf("a %q PEM block, not a private key", blk.Type))
	}
	if err != nil {
		return nil, bad(fmt.Sprintf("the %q block does not parse as a private key", blk.Type))
	}
	rk, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, bad("not an RSA key (GitHub App keys are RSA)")
	}
	return rk, nil
}

// warnShared logs a warning when a credential file is readable or
// writable by its group or other users (Unix modes; not on Windows, whose
// ACLs the mode bits do not show).
func warnShared(path, flag string, log *slog.Logger) {
	if log == nil || runtime.GOOS == "windows" {
		return
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return
	}
	log.Warn(flag+" is open to other users: anyone who reads it acts with its credential; chmod 600 it (owned by the user running runnerctl)",
		"file", path, "mode", fi.Mode().Perm().String())
}

// App authenticates as one GitHub App for one target: JWT requests (the
// App itself, its installation on the target) and installation-token
// requests (as an http.RoundTripper, for go-github).
type App struct {
	id     int64
	target Target
	atr    *ghinstallation.AppsTransport
	jwt    *gh.Client
	next   http.RoundTripper
	red    *secret.Redactor
	log    *slog.Logger

	mu           sync.Mutex
	installation int64 // 0 until looked up
	itr          *ghinstallation.Transport
	seen         string            // the last token given to red
	perms        map[string]string // the last token's permissions
}

// AppInfo is the App as GET /app shows it.
type AppInfo struct {
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// Installation is the App's installation on a target.
type Installation struct {
	ID      int64 `json:"id"`
	Account struct {
		Login string `json:"login"`
	} `json:"account"`
	RepositorySelection string            `json:"repository_selection"`
	Permissions         map[string]string `json:"permissions"`
}

// NewApp returns the App of cfg for target t, sending through tr with
// GitHub's headers (doctor's transport; Client builds its own).
func NewApp(cfg AppConfig, t Target, tr http.RoundTripper, version string, red *secret.Redactor, log *slog.Logger) *App {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return newApp(cfg, t, headerTransport{next: tr, ua: "runnerctl/" + version}, version, red, log)
}

func newApp(cfg AppConfig, t Target, next http.RoundTripper, version string, red *secret.Redactor, log *slog.Logger) *App {
	atr := ghinstallation.NewAppsTransportFromPrivateKey(next, cfg.ID, cfg.key)
	atr.BaseURL = strings.TrimSuffix(t.APIBase.String(), "/") // GHES: https://HOST/api/v3
	apiBase := t.APIBase.String()
	jwt, _ := gh.NewClient(gh.WithHTTPClient(&http.Client{Transport: atr, CheckRedirect: sameOrigin}), gh.WithUserAgent("runnerctl/"+version),
		gh.WithURLs(&apiBase, nil), gh.WithDisableRateLimitCheck())
	return &App{id: cfg.ID, target: t, atr: atr, jwt: jwt, next: next, red: red, log: log, installation: cfg.InstallationID}
}

// ID is the App's id.
func (a *App) ID() int64 { return a.id }

// Get returns the App (GET /app, with the JWT): it proves the key, the
// App id and this host's clock.
func (a *App) Get(ctx context.Context) (AppInfo, error) {
	var info AppInfo
	err := a.jwtCall(ctx, "read GitHub App "+strconv.FormatInt(a.id, 10), "app", &info)
	return info, err
}

// FindInstallation returns the App's installation on the target (GET
// /repos/O/R/installation or /orgs/O/installation, with the JWT).
func (a *App) FindInstallation(ctx context.Context) (Installation, error) {
	var in Installation
	var path string
	switch a.target.Kind {
	case Repository:
		path = "repos/" + url.PathEscape(a.target.Owner) + "/" + url.PathEscape(a.target.Repo) + "/installation"
	case Organization:
		path = "orgs/" + url.PathEscape(a.target.Org) + "/installation"
	default:
		return in, errEnterpriseApp(a.target)
	}
	err := a.jwtCall(ctx, fmt.Sprintf("find GitHub App %d's installation on %s", a.id, a.target.Describe()), path, &in)
	return in, err
}

func (a *App) jwtCall(ctx context.Context, op, path string, out any) error {
	req, err := a.jwt.NewRequest(ctx, http.MethodGet, path, nil)
	if err == nil {
		_, err = a.jwt.Do(req, out)
	}
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return a.appAuthError(op, er.Response, er.Message)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// Token returns the installation token, minting it (after looking up the
// installation when no id was given) or renewing it when it is about to
// expire, and registers it with the redactor first.
func (a *App) Token(ctx context.Context) (secret.Secret, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.itr == nil {
		if a.installation == 0 {
			in, err := a.FindInstallation(ctx)
			if err != nil {
				return secret.Secret{}, err
			}
			a.installation = in.ID
			a.log.Info("GitHub App installation found", "app_id", a.id, "installation_id", in.ID, "account", in.Account.Login, "target", a.target.Describe())
		}
		a.itr = ghinstallation.NewFromAppsTransport(a.atr, a.installation)
		// The token reaches the target's repository only, at repository
		// scope (and with no options ghinstallation would send "null").
		opts := &ghv88.InstallationTokenOptions{}
		if a.target.Kind == Repository {
			opts.Repositories = []string{a.target.Repo}
		}
		a.itr.InstallationTokenOptions = opts
	}
	tok, err := a.itr.Token(ctx)
	if err != nil {
		var he *ghinstallation.HTTPError
		if errors.As(err, &he) && he.Response != nil {
			defer he.Response.Body.Close()
			var body struct {
				Message string `json:"message"`
			}
			_ = json.NewDecoder(io.LimitReader(he.Response.Body, 64<<10)).Decode(&body)
			return secret.Secret{}, a.appAuthError(fmt.Sprintf("create an installation token for installation %d of GitHub App %d", a.installation, a.id), he.Response, body.Message)
		}
		return secret.Secret{}, fmt.Errorf("create an installation token for installation %d of GitHub App %d: %w", a.installation, a.id, err)
	}
	s := secret.New(tok)
	if tok != a.seen {
		if a.red != nil {
			a.red.Add(s)
		}
		a.seen = tok
		if p, err := a.itr.Permissions(); err == nil {
			b, _ := json.Marshal(p)
			a.perms = map[string]string{}
			_ = json.Unmarshal(b, &a.perms)
		}
	}
	return s, nil
}

// Permissions returns the installation token's permissions (nil before
// the first token).
func (a *App) Permissions() map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.perms
}

// RoundTrip sends req with the installation token.
func (a *App) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := a.Token(req.Context())
	if err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		if failure.KindOf(err) == failure.Unexpected {
			return nil, err // the network: classify says so
		}
		return nil, &appError{err: err}
	}
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+tok.Reveal())
	return a.next.RoundTrip(req)
}

// appError carries an App authentication failure through go-github's
// transport error (a *url.Error) to classify, which passes it on as is.
type appError struct{ err error }

func (e *appError) Error() string { return e.err.Error() }
func (e *appError) Unwrap() error { return e.err }

// clockClaims are the JWT claims GitHub names when it refuses a JWT for
// its times ("'Issued at' claim ('iat') must be an Integer representing
// the time that the assertion was issued", "'Expiration time' claim
// ('exp') is too far in the future", "... must be a numeric value
// representing the future time at which the assertion expires").
var clockClaims = []string{"('iat')", "('exp')", "'Issued at'", "'Expiration time'"}

// appAuthError classifies a refused App request (a JWT request, or the
// installation token's minting): clock skew, a wrong key or App id, a
// missing installation.
func (a *App) appAuthError(op string, resp *http.Response, msg string) error {
	status := resp.StatusCode
	where := resp.Request.Method + " " + resp.Request.URL.String() + ": " // both callers' responses have their request
	if msg == "" {
		msg = http.StatusText(status)
	}
	got := fmt.Sprintf("%s%d %s", where, status, msg)
	auth := func(format string, args ...any) error {
		return tag(ErrAuth, failure.Wrap(failure.Auth, errors.New(op+": "+fmt.Sprintf(format, args...))))
	}
	clock := false
	for _, c := range clockClaims {
		clock = clock || strings.Contains(msg, c)
	}
	switch {
	case status == http.StatusUnauthorized && clock:
		skew := "this host's clock is off"
		if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
			off := time.Since(d).Round(time.Second)
			skew = fmt.Sprintf("this host's clock is %s %s the server's (its Date header)", off.Abs(), map[bool]string{true: "ahead of", false: "behind"}[off >= 0])
		}
		return auth("GitHub refused the App's JWT for its time (%s): clock skew: %s. An App JWT is valid from 30 s before this host's time for 2 minutes; fix the host clock: synchronise it with NTP (timedatectl set-ntp true, chronyd or ntpd; Windows: w32tm /resync)",
			got, skew)
	case status == http.StatusUnauthorized || strings.Contains(msg, "Integration not found"):
		return auth("GitHub refused the App's JWT (%s): check that --app-id %d is the App's id and that --app-private-key-file holds a current private key of that App (its settings page, Private keys)", got, a.id)
	case status == http.StatusNotFound && strings.HasSuffix(resp.Request.URL.Path, "/access_tokens"):
		return tag(ErrNotFound, failure.Wrap(failure.NotFound, fmt.Errorf("%s: not found (%s): GitHub App %d has no installation %d; check --app-installation-id, or leave it out to look up the installation on %s",
			op, got, a.id, a.installation, a.target.Describe())))
	case status == http.StatusNotFound:
		return tag(ErrNotFound, failure.Wrap(failure.NotFound, fmt.Errorf("%s: not found (%s): GitHub App %d is not installed on %s, or %s does not exist; install the App there (the App's page, Install App)%s, with %s",
			op, got, a.id, a.target.Describe(), a.target.Describe(), map[bool]string{true: " for this repository", false: ""}[a.target.Kind == Repository], a.target.Kind.Permission())))
	case status == http.StatusUnprocessableEntity:
		return auth("GitHub refused the installation token's request (%s): installation %d does not include %s; add it to the installation's repositories (the owner's Settings, GitHub Apps, Configure), or leave --app-installation-id out to look the installation up",
			got, a.installation, a.target.Describe())
	case status == http.StatusForbidden:
		return auth("GitHub refused (%s): the App's installation may be suspended, or the App may not request these permissions; check the installation in the owner's settings (GitHub Apps)", got)
	}
	return fmt.Errorf("%s: %s", op, got)
}

// AppPermission is the App installation permission (the API's key) the
// runner endpoints need at this level, "" at enterprise level.
func (k ScopeKind) AppPermission() string {
	switch k {
	case Repository:
		return "administration"
	case Organization:
		return "organization_self_hosted_runners"
	}
	return ""
}

// MissingAppPermission returns what the installation permissions perms
// lack for managing runners of kind (a sentence for messages), or "".
func MissingAppPermission(kind ScopeKind, perms map[string]string) string {
	need := kind.AppPermission()
	if need == "" || perms[need] == "write" {
		return ""
	}
	have := perms[need]
	if have == "" {
		have = "none"
	}
	return fmt.Sprintf("the %s (%s=write; the installation has %s=%s)", kind.Permission(), need, need, have)
}

// GrantHint says where an App's missing permission is granted.
func GrantHint() string {
	return "grant it on the GitHub App's settings page (Permissions & events), then approve the new permission on the installation (the owner's Settings, GitHub Apps, Configure)"
}
