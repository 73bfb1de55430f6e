package github

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
)

const testAppID = 4242

var (
	appKeyOnce sync.Once
	appKey     *rsa.PrivateKey
	appKeyPEM  []byte
)

// testApp registers App testAppID with srv (one key for the whole test
// binary: RSA key generation is slow) and writes its key to a 0600 file.
func testApp(t *testing.T, srv *githubtest.Server) string {
	t.Helper()
	appKeyOnce.Do(func() { appKey, appKeyPEM = githubtest.NewAppKey() })
	srv.AddApp(githubtest.App{ID: testAppID, Slug: "runner-manager", Key: &appKey.PublicKey})
	path := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(path, appKeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// appServer starts a fake with App testAppID installed on acme with
// perms, and returns it with the App's key file.
func appServer(t *testing.T, perms map[string]string) (*githubtest.Server, string) {
	t.Helper()
	srv := githubtest.New()
	t.Cleanup(srv.Close)
	key := testApp(t, srv)
	srv.AddInstallation(githubtest.Installation{AppID: testAppID, Account: "acme", Permissions: perms})
	return srv, key
}

// appConnect is Connect with the App's credentials; the log goes to logs.
func appConnect(t *testing.T, srv *githubtest.Server, url, keyFile string, installation int64, red *secret.Redactor, logs *bytes.Buffer) (*Client, error) {
	t.Helper()
	if logs == nil {
		logs = &bytes.Buffer{}
	}
	c, err := Connect(ConnectOptions{URL: url, Credentials: Credentials{AppID: testAppID, AppKeyFile: keyFile, AppInstallationID: installation},
		MaxWait: 5 * time.Second, Version: "test", Log: slog.New(slog.NewTextHandler(logs, nil)), Redactor: red})
	return c, err
}

func paths(srv *githubtest.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

// An App with the installation id looked up mints its installation token
// once, sends it as a bearer token, and the redactor knows it.
func TestAppHappyPath(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	key := testApp(t, srv)
	inst := srv.AddInstallation(githubtest.Installation{AppID: testAppID, Account: "acme", Permissions: githubtest.AppPermissions})
	ctx := context.Background()
	for _, sc := range []struct{ url, lookup, scope string }{
		{"/acme/app", "GET /api/v3/repos/acme/app/installation", "repos/acme/app"},
		{"/acme", "GET /api/v3/orgs/acme/installation", "orgs/acme"},
	} {
		srv.ResetRequests()
		red := &secret.Redactor{}
		c, err := appConnect(t, srv, srv.URL+sc.url, key, 0, red, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(srv.Requests()) != 0 {
			t.Fatalf("Connect made requests: %v", paths(srv))
		}
		reg, err := c.RegistrationToken(ctx)
		if err != nil || !srv.ValidRegistrationToken(sc.scope, reg.Value.Reveal()) {
			t.Fatalf("%s: registration token: %v", sc.scope, err)
		}
		if _, err := c.ListRunners(ctx, ""); err != nil {
			t.Fatalf("%s: list: %v", sc.scope, err)
		}
		want := []string{sc.lookup, "POST /api/v3/app/installations/" + strconv.FormatInt(inst, 10) + "/access_tokens",
			"POST /api/v3/" + sc.scope + "/actions/runners/registration-token", "GET /api/v3/" + sc.scope + "/actions/runners"}
		if got := paths(srv); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%s: requests\n%s\nwant\n%s", sc.scope, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		reqs := srv.Requests()
		tok, _ := strings.CutPrefix(reqs[2].Authorization, "Bearer ")
		if !strings.HasPrefix(tok, "ghs_") || reqs[3].Authorization != reqs[2].Authorization {
			t.Fatalf("runner requests carried %q, %q: want the installation token, once minted", reqs[2].Authorization, reqs[3].Authorization)
		}
		if !strings.HasPrefix(reqs[0].Authorization, "Bearer ey") || reqs[0].UserAgent != "runnerctl/test" || reqs[1].UserAgent != "runnerctl/test" {
			t.Fatalf("JWT requests: %+v", reqs[:2])
		}
		if got := red.Redact("token " + tok); got != "token [REDACTED]" {
			t.Fatalf("the redactor does not know the installation token: %q", got)
		}
		// At repository scope the token reaches that repository only.
		srv.AddScope("repos/acme/site")
		code, _, _ := rawCall(t, "GET", srv.APIURL()+"/repos/acme/site/actions/runners", "Bearer "+tok, nil, nil)
		if want := map[bool]int{true: 404, false: 200}[sc.scope == "repos/acme/app"]; code != want {
			t.Fatalf("%s's token on repos/acme/site: %d, want %d", sc.scope, code, want)
		}
	}
	// With --app-installation-id: no lookup.
	srv.ResetRequests()
	c, err := appConnect(t, srv, srv.URL+"/acme", key, inst, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListRunners(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if got := paths(srv); len(got) != 2 || !strings.HasSuffix(got[0], "/access_tokens") {
		t.Fatalf("with the installation id: %v", got)
	}
}

// An installation on one organization neither finds nor reaches another
// one; a repository-only installation does not cover other repositories.
func TestAppInstallationScope(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	key := testApp(t, srv)
	srv.AddScope("orgs/other")
	srv.AddScope("repos/acme/site")
	inst := srv.AddInstallation(githubtest.Installation{AppID: testAppID, Account: "acme", Repositories: []string{"app"}, Permissions: githubtest.AppPermissions})
	ctx := context.Background()

	c, err := appConnect(t, srv, srv.URL+"/other", key, 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListRunners(ctx, "")
	if failure.KindOf(err) != failure.NotFound || !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `GitHub App 4242 is not installed on organization "other"`) {
		t.Fatalf("other org: %v", err)
	}
	c, _ = appConnect(t, srv, srv.URL+"/acme/site", key, 0, nil, nil)
	if _, err = c.ListRunners(ctx, ""); failure.KindOf(err) != failure.NotFound || !strings.Contains(err.Error(), "for this repository") {
		t.Fatalf("unselected repository: %v", err)
	}
	// The installation's token, given by id, on the other organization: 404 there.
	c, _ = appConnect(t, srv, srv.URL+"/other", key, inst, nil, nil)
	if _, err = c.ListRunners(ctx, ""); failure.KindOf(err) != failure.NotFound || !strings.Contains(err.Error(), "GitHub App 4242's installation must include it") {
		t.Fatalf("token on another org: %v", err)
	}
	// An installation id the App does not have.
	c, _ = appConnect(t, srv, srv.URL+"/acme/app", key, 99999, nil, nil)
	if _, err = c.ListRunners(ctx, ""); failure.KindOf(err) != failure.NotFound || !strings.Contains(err.Error(), "has no installation 99999") || !strings.Contains(err.Error(), "--app-installation-id") {
		t.Fatalf("unknown installation: %v", err)
	}
}

// Enterprise scope is refused before any request, and before the key is read.
func TestAppEnterpriseRefused(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	_, err := appConnect(t, srv, srv.URL+"/enterprises/big", filepath.Join(t.TempDir(), "absent.pem"), 0, nil, nil)
	if failure.KindOf(err) != failure.Auth || !strings.Contains(err.Error(), "classic PAT") || !strings.Contains(err.Error(), "manage_runners:enterprise") {
		t.Fatalf("enterprise with an App: %v, want an auth error naming a classic PAT with manage_runners:enterprise", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests before the refusal", n)
	}
}

// An installation without the runner permission: reads pass where the
// read permission does, the rest is a 403 that names the permission and
// where to grant it.
func TestAppMissingPermission(t *testing.T) {
	srv, key := appServer(t, map[string]string{"administration": "read", "metadata": "read"})
	ctx := context.Background()
	c, err := appConnect(t, srv, srv.URL+"/acme/app", key, 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListRunners(ctx, ""); err != nil {
		t.Fatalf("list with administration=read: %v", err)
	}
	_, err = c.RegistrationToken(ctx)
	for _, want := range []string{"403 Resource not accessible by integration", `repository permission "Administration: read and write"`,
		"administration=write; the installation has administration=read", "Permissions & events"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing permission: %v\nlacks %q", err, want)
		}
	}
	if failure.KindOf(err) != failure.Auth || !errors.Is(err, ErrAuth) {
		t.Errorf("missing permission: kind %v", failure.KindOf(err))
	}
	// Organization scope needs organization_self_hosted_runners.
	c, _ = appConnect(t, srv, srv.URL+"/acme", key, 0, nil, nil)
	if _, err = c.ListRunners(ctx, ""); failure.KindOf(err) != failure.Auth || !strings.Contains(err.Error(), "organization_self_hosted_runners=write; the installation has organization_self_hosted_runners=none") {
		t.Fatalf("org without the permission: %v", err)
	}
}

// A host clock too fast or too slow for the server is named as such, with the fix.
func TestAppClockSkew(t *testing.T) {
	srv, key := appServer(t, githubtest.AppPermissions)
	for _, tc := range []struct {
		server time.Duration // the server's clock against this host's
		want   string
	}{{-10 * time.Minute, "ahead of the server's"}, {+10 * time.Minute, "behind the server's"}, {-5 * time.Minute, "ahead of"}} {
		srv.SetClock(func() time.Time { return time.Now().Add(tc.server) })
		c, err := appConnect(t, srv, srv.URL+"/acme", key, 0, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.ListRunners(context.Background(), "")
		if failure.KindOf(err) != failure.Auth {
			t.Errorf("server clock %v: kind %v: %v", tc.server, failure.KindOf(err), err)
		}
		for _, w := range []string{"clock skew", tc.want, "NTP", "'"} {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("server clock %v: %v\nlacks %q", tc.server, err, w)
			}
		}
	}
	// Within the JWT's margins (30 s fast, 90 s slow): accepted.
	for _, d := range []time.Duration{-20 * time.Second, 60 * time.Second} {
		srv.SetClock(func() time.Time { return time.Now().Add(d) })
		c, _ := appConnect(t, srv, srv.URL+"/acme", key, 0, nil, nil)
		if _, err := c.ListRunners(context.Background(), ""); err != nil {
			t.Errorf("server clock %v: %v", d, err)
		}
	}
}

// A key of another App, or an unknown App id: the JWT is refused, and
// the error names --app-id and the key file.
func TestAppWrongKey(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	key := testApp(t, srv)
	other, _ := githubtest.NewAppKey()
	srv.AddApp(githubtest.App{ID: testAppID, Slug: "runner-manager", Key: &other.PublicKey})
	srv.AddInstallation(githubtest.Installation{AppID: testAppID, Account: "acme", Permissions: githubtest.AppPermissions})
	c, _ := appConnect(t, srv, srv.URL+"/acme", key, 0, nil, nil)
	_, err := c.ListRunners(context.Background(), "")
	if failure.KindOf(err) != failure.Auth || !strings.Contains(err.Error(), "--app-id 4242") || !strings.Contains(err.Error(), "--app-private-key-file") || strings.Contains(err.Error(), "clock") {
		t.Fatalf("wrong key: %v", err)
	}
}

// A malformed key file is refused without echoing its contents.
func TestAppKeyFileErrors(t *testing.T) {
	dir := t.TempDir()
	const material = "MIIEpQIBAAKCAQEAsecretKeyMaterialThatMustNotLeak"
	_, good := githubtest.NewAppKey()
	blk, _ := pem.Decode(good)
	k, _ := x509.ParsePKCS1PrivateKey(blk.Bytes)
	p8, _ := x509.MarshalPKCS8PrivateKey(k)
	for name, tc := range map[string]struct {
		body string
		want string // "" accepted
	}{
		"no pem":    {material + "\n", "no PEM block found"},
		"bad der":   {"-----BEGIN RSA PRIVATE KEY-----\n" + material + "\n-----END RSA PRIVATE KEY-----\n", `"RSA PRIVATE KEY" block does not parse`},
		"cert":      {"-----BEGIN CERTIFICATE-----\n" + material + "\n-----END CERTIFICATE-----\n", `"CERTIFICATE" PEM block, not a private key`},
		"pkcs8":     {string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8})), ""},
		"pkcs1":     {string(good), ""},
		"truncated": {string(good[:len(good)/2]), "no PEM block found"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".pem")
		if err := os.WriteFile(path, []byte(tc.body), 0o600); err != nil {
			t.Fatal(err)
		}
		tgt, _ := ParseTarget("https://ghes.example/acme", "")
		_, err := Credentials{AppID: 1, AppKeyFile: path}.AppConfig(tgt, nil)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || failure.KindOf(err) != failure.Usage {
			t.Errorf("%s: %v, want a usage error with %q", name, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), material) || strings.Contains(err.Error(), "MII") {
			t.Errorf("%s: the error echoes the key file: %v", name, err)
		}
	}
	// Only one of the two App flags.
	tgt, _ := ParseTarget("https://ghes.example/acme", "")
	if _, err := (Credentials{AppKeyFile: "x.pem"}).AppConfig(tgt, nil); failure.KindOf(err) != failure.Usage || !strings.Contains(err.Error(), "--app-id") {
		t.Errorf("key without id: %v", err)
	}
}

// A key file or token file that other users can read gets a warning.
func TestCredentialFileModeWarning(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows: file modes do not show ACLs; the check is skipped there")
	}
	srv := githubtest.New()
	defer srv.Close()
	key := testApp(t, srv)
	tokFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokFile, []byte(githubtest.Token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o600, 0o640, 0o604} {
		for _, f := range []string{key, tokFile} {
			if err := os.Chmod(f, mode); err != nil {
				t.Fatal(err)
			}
		}
		var logs bytes.Buffer
		if _, err := appConnect(t, srv, srv.URL+"/acme", key, 0, nil, &logs); err != nil {
			t.Fatal(err)
		}
		log := slog.New(slog.NewTextHandler(&logs, nil))
		if _, err := Connect(ConnectOptions{URL: srv.URL + "/acme", Credentials: Credentials{TokenFile: tokFile}, Log: log}); err != nil {
			t.Fatal(err)
		}
		out := logs.String()
		for _, flag := range []string{"--app-private-key-file is open to other users", "--access-token-file is open to other users"} {
			if got := strings.Contains(out, flag); got != (mode != 0o600) {
				t.Errorf("mode %v: warning %q present %v:\n%s", mode, flag, got, out)
			}
		}
		if strings.Contains(out, githubtest.Token) || strings.Contains(out, "PRIVATE KEY") {
			t.Fatalf("the log holds a secret:\n%s", out)
		}
	}
}

// App requests take the API's road: a GHES over TLS with a private CA
// (--ca-file), retries of transient failures and rate limits on the JWT
// and token requests alike.
func TestAppTransport(t *testing.T) {
	srv := githubtest.NewUnstarted()
	srv.StartTLS()
	defer srv.Close()
	key := testApp(t, srv)
	srv.AddInstallation(githubtest.Installation{AppID: testAppID, Account: "acme", Permissions: githubtest.AppPermissions})
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	tgt, err := ParseTarget(srv.URL+"/acme", "")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Credentials{AppID: testAppID, AppKeyFile: key}.AppConfig(tgt, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Without the CA: the lookup fails on TLS, and says what to do.
	c, err := New(Options{Target: tgt, App: cfg, Retry: fastPolicy(), Version: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListRunners(ctx, ""); err == nil || !strings.Contains(err.Error(), "--ca-file") {
		t.Fatalf("App over TLS without the CA: %v", err)
	}
	c, err = New(Options{Target: tgt, App: cfg, CAFile: ca, Retry: fastPolicy(), Version: "t"})
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetRequests()
	srv.PushFault(githubtest.Fault{Status: 502},
		githubtest.Fault{Status: 403, Header: map[string]string{"Retry-After": "0"}, Body: `{"message":"You have exceeded a secondary rate limit."}`})
	if _, err := c.ListRunners(ctx, ""); err != nil {
		t.Fatalf("App with transient failures: %v", err)
	}
	want := []string{"GET /api/v3/orgs/acme/installation", "GET /api/v3/orgs/acme/installation", "GET /api/v3/orgs/acme/installation",
		"POST /api/v3/app/installations/1001/access_tokens", "GET /api/v3/orgs/acme/actions/runners"}
	if got := paths(srv); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The token request, with the installation given.
	cfg.InstallationID = 1001
	c, _ = New(Options{Target: tgt, App: cfg, CAFile: ca, Retry: fastPolicy(), Version: "t"})
	srv.ResetRequests()
	srv.PushFault(githubtest.Fault{Status: 503}, githubtest.Fault{Reset: true})
	if _, err := c.ListRunners(ctx, ""); err != nil {
		t.Fatalf("App token with transient failures: %v", err)
	}
	if got := paths(srv); len(got) != 4 || got[2] != want[3] || got[3] != want[4] {
		t.Fatalf("requests %v: want the token request three times, then the list", got)
	}
}

// The App comes before a PAT (design.md step 2, first match wins).
func TestAppBeforePAT(t *testing.T) {
	srv, key := appServer(t, githubtest.AppPermissions)
	creds := Credentials{AppID: testAppID, AppKeyFile: key, Getenv: func(string) string { return githubtest.Token }}
	if got := creds.Kind(); got != "GitHub App 4242" {
		t.Fatalf("Kind = %q", got)
	}
	c, err := Connect(ConnectOptions{URL: srv.URL + "/acme", Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListRunners(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	for _, r := range srv.Requests() {
		if strings.Contains(r.Authorization, githubtest.Token) {
			t.Fatalf("the PAT was sent: %s %s", r.Method, r.Path)
		}
	}
	if creds.Getenv = nil; creds.Kind() != "GitHub App 4242" || (Credentials{Getenv: creds.Getenv}).Kind() != "none" {
		t.Fatal("Kind")
	}
}
