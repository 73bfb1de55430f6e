package bootstrap

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/github"
	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
	"github.com/runnerctl/runnerctl/platform"
)

type fakeManager string

func (m fakeManager) Platform() string { return string(m) }

// fullCache is a loader cache with every library the runner loads.
func fullCache() (LibCache, bool, error) {
	return ParseLibCache(`	libicuuc.so.72 (libc6,x86-64) => /x
	libssl.so.3 (libc6,x86-64) => /x
	libz.so.1 (libc6,x86-64) => /x
	libgssapi_krb5.so.2 (libc6,x86-64) => /x
	liblttng-ust.so.1 (libc6,x86-64) => /x
`), true, nil
}

// doctorDeps are deps under which every local check passes.
func doctorDeps(t *testing.T, token string) DoctorDeps {
	return DoctorDeps{
		Conn:      github.ConnectOptions{Credentials: github.Credentials{Getenv: func(k string) string { return map[string]string{"GITHUB_TOKEN": token}[k] }}, Version: "test"},
		Services:  fakeManager("linux-systemd"),
		Store:     Store{Dir: filepath.Join(t.TempDir(), "state")},
		Log:       slog.New(slog.DiscardHandler),
		LibCache:  fullCache,
		FreeSpace: func(string) (uint64, error) { return 10 << 30, nil },
		Timeout:   5 * time.Second,
	}
}

func find(t *testing.T, checks []Check, name string) Check {
	t.Helper()
	for _, c := range checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", name, checks)
	return Check{}
}

func wantCheck(t *testing.T, checks []Check, name string, st CheckStatus, in ...string) Check {
	t.Helper()
	c := find(t, checks, name)
	if c.Status != st {
		t.Errorf("%s: %s (%s; fix %s), want %s", name, c.Status, c.Message, c.Fix, st)
	}
	for _, s := range in {
		if !strings.Contains(c.Message+" fix: "+c.Fix, s) {
			t.Errorf("%s: %q (fix %q) lacks %q", name, c.Message, c.Fix, s)
		}
	}
	return c
}

func TestDoctorHealthy(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	d := doctorDeps(t, githubtest.Token)
	dir := filepath.Join(t.TempDir(), "r")
	checks := Doctor(context.Background(), d, DoctorOptions{URL: srv.URL + "/acme", Dir: dir})
	for _, c := range checks {
		if c.Status == CheckFail {
			t.Errorf("failed: %+v", c)
		}
	}
	wantCheck(t, checks, "api dns", CheckOK, "is an address")
	wantCheck(t, checks, "api tcp", CheckOK)
	wantCheck(t, checks, "api tls", CheckOK, "plain http to a loopback host")
	wantCheck(t, checks, "clock", CheckOK)
	wantCheck(t, checks, "credential", CheckOK, `organization "acme"`, "Self-hosted runners: read and write")
	wantCheck(t, checks, "service manager", CheckOK, "linux-systemd")
	if err := DoctorError(checks); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("doctor made %s: %v", dir, err)
	}
	// Nothing but reads: the list and the downloads list.
	for _, r := range srv.Requests() {
		if r.Method != "GET" {
			t.Errorf("doctor sent %s %s", r.Method, r.Path)
		}
	}
	// The token is never printed.
	for _, f := range []Format{"text", "json"} {
		var out bytes.Buffer
		if err := WriteDoctor(&out, f, checks); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), githubtest.Token) {
			t.Fatalf("%s output holds the token:\n%s", f, out.String())
		}
	}
}

func TestDoctorCredential(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "r")

	checks := Doctor(ctx, doctorDeps(t, "ghp_wrong"), DoctorOptions{URL: srv.URL + "/acme", Dir: dir})
	c := wantCheck(t, checks, "credential", CheckFail, "refuses the token", "admin:org")
	if err := DoctorError(checks); failure.KindOf(err) != failure.Auth || c.Exit != 3 {
		t.Fatalf("bad token: %v (exit %d), want an auth failure", err, c.Exit)
	}

	checks = Doctor(ctx, doctorDeps(t, githubtest.Token), DoctorOptions{URL: srv.URL + "/nosuchorg", Dir: dir})
	wantCheck(t, checks, "credential", CheckFail, "not found", "check --url")
	if err := DoctorError(checks); failure.KindOf(err) != failure.NotFound {
		t.Fatalf("unknown org: %v, want not found", err)
	}

	// A classic PAT: its X-OAuth-Scopes decide (a fault is the fake's way to send the header).
	srv.PushFault(githubtest.Fault{Status: 404, Header: map[string]string{"X-OAuth-Scopes": "repo, workflow"}})
	checks = Doctor(ctx, doctorDeps(t, githubtest.Token), DoctorOptions{URL: srv.URL + "/acme", Dir: dir})
	wantCheck(t, checks, "credential", CheckFail, `classic token scopes "repo, workflow" (needs admin:org)`)
	if err := DoctorError(checks); failure.KindOf(err) != failure.Auth {
		t.Fatalf("missing scope: %v, want auth", err)
	}
	srv.PushFault(githubtest.Fault{Status: 200, Header: map[string]string{"X-OAuth-Scopes": "admin:org, repo"}, Body: `{"total_count":0,"runners":[]}`})
	checks = Doctor(ctx, doctorDeps(t, githubtest.Token), DoctorOptions{URL: srv.URL + "/acme", Dir: dir})
	wantCheck(t, checks, "credential", CheckOK, "admin:org, repo")

	// No credential: a warning, not a failure.
	checks = Doctor(ctx, doctorDeps(t, ""), DoctorOptions{URL: srv.URL + "/acme", Dir: dir})
	wantCheck(t, checks, "credential", CheckWarn, "--access-token-file")
}

func TestDoctorClock(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	for _, tc := range []struct {
		skew time.Duration
		want CheckStatus
		in   string
	}{{time.Minute, CheckWarn, "ahead of the server"}, {-10 * time.Minute, CheckFail, "behind the server"}} {
		d := doctorDeps(t, githubtest.Token)
		d.Now = func() time.Time { return time.Now().Add(tc.skew) }
		checks := Doctor(context.Background(), d, DoctorOptions{URL: srv.URL + "/acme", Dir: filepath.Join(t.TempDir(), "r")})
		wantCheck(t, checks, "clock", tc.want, tc.in, "timedatectl")
	}
}

func TestDoctorTLS(t *testing.T) {
	srv := githubtest.NewUnstarted()
	srv.StartTLS()
	defer srv.Close()
	d := doctorDeps(t, githubtest.Token)
	checks := Doctor(context.Background(), d, DoctorOptions{URL: srv.URL + "/acme", Dir: filepath.Join(t.TempDir(), "r")})
	c := wantCheck(t, checks, "api tls", CheckFail, "which the system store does not trust", "--ca-file", "OS trust store")
	if c.Exit != 2 {
		t.Errorf("untrusted CA: exit %d, want 2", c.Exit)
	}
	// The fake's CA through --ca-file: trusted, and noted as not the OS store's.
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	d.Conn.CAFile = ca
	checks = Doctor(context.Background(), d, DoctorOptions{URL: srv.URL + "/acme", Dir: filepath.Join(t.TempDir(), "r")})
	wantCheck(t, checks, "api tls", CheckOK, "trusted through --ca-file "+ca+" only")
	wantCheck(t, checks, "credential", CheckOK)
}

func TestDoctorNetworkFailures(t *testing.T) {
	d := doctorDeps(t, githubtest.Token)
	// A port nothing listens on (a closed listener's).
	srv := githubtest.New()
	url := srv.URL
	srv.Close()
	checks := Doctor(context.Background(), d, DoctorOptions{URL: url + "/acme", Dir: filepath.Join(t.TempDir(), "r")})
	wantCheck(t, checks, "api tcp", CheckFail, "cannot connect", "firewall")
	// A name that cannot resolve (.invalid, RFC 2606).
	checks = Doctor(context.Background(), d, DoctorOptions{URL: "https://ghes.runnerctl-test.invalid/acme", Dir: filepath.Join(t.TempDir(), "r")})
	wantCheck(t, checks, "api dns", CheckFail, "cannot resolve ghes.runnerctl-test.invalid", "resolver")
	if err := DoctorError(checks); failure.KindOf(err) != failure.Usage {
		t.Fatalf("dns: %v, want usage/config", err)
	}
}

func TestDoctorLocal(t *testing.T) {
	d := doctorDeps(t, "")
	d.LibCache = func() (LibCache, bool, error) {
		return ParseLibCache("\tlibz.so.1 (libc6,x86-64) => /x\n\tlibssl.so.3 (libc6,x86-64) => /x\n"), true, nil
	}
	d.FreeSpace = func(string) (uint64, error) { return 100 << 20, nil }
	d.Services = fakeManager("")
	checks := Doctor(context.Background(), d, DoctorOptions{Dir: filepath.Join(t.TempDir(), "r")})
	wantCheck(t, checks, "target", CheckWarn, "--url")
	wantCheck(t, checks, "libraries", CheckFail, "libicu", "--install-dependencies")
	wantCheck(t, checks, "disk", CheckFail, "100 MB free", "500 MB")
	wantCheck(t, checks, "service manager", CheckFail, "--no-service")
	if err := DoctorError(checks); failure.KindOf(err) != failure.Usage || !strings.Contains(err.Error(), "disk, libraries, service manager") {
		t.Fatalf("%v: want a usage failure naming disk, libraries, service manager", err)
	}
}

func TestDoctorUnreachableDir(t *testing.T) {
	if !platform.RunsAsUser() {
		t.Skip("no runner user here")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	if me, _ := user.Current(); me != nil && me.Uid == nobody.Uid {
		t.Skip("running as nobody")
	}
	base, err := os.MkdirTemp("", "runnerctl-doctor-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil { // t.TempDir's parent is 0700
		t.Fatal(err)
	}
	locked := filepath.Join(base, "locked")
	if err := os.Mkdir(locked, 0o700); err != nil {
		t.Fatal(err)
	}
	checks := Doctor(context.Background(), doctorDeps(t, ""), DoctorOptions{Dir: filepath.Join(locked, "r"), User: "nobody"})
	wantCheck(t, checks, "dir reachable", CheckFail, "nobody cannot reach", "chmod o+x "+locked)
	wantCheck(t, checks, "user", CheckOK, "nobody exists")
	var out bytes.Buffer
	if err := WriteDoctor(&out, "json", checks); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || len(got) != len(checks) || got[0]["name"] == nil || got[0]["status"] == nil {
		t.Fatalf("json %s: %v", out.String(), err)
	}
}

// TestPreflight: install's run of doctor asks the API nothing (a test's
// fault queue and request counts stay install's), passes on a healthy
// host and fails before anything happens on an untrusted CA, naming the fix.
func TestPreflight(t *testing.T) {
	srv := githubtest.NewUnstarted()
	srv.StartTLS()
	defer srv.Close()
	e := Env{Log: slog.New(slog.DiscardHandler), StateDir: filepath.Join(t.TempDir(), "state"), Services: &fakeServices{},
		Conn: doctorDeps(t, githubtest.Token).Conn}
	o := DoctorOptions{Dir: filepath.Join(t.TempDir(), "r")}
	err := Preflight(context.Background(), e, srv.URL+"/acme", o)
	if failure.KindOf(err) != failure.Usage || !strings.Contains(err.Error(), "install: preflight (runnerctl doctor): api tls: ") || !strings.Contains(err.Error(), "fix: give --ca-file") {
		t.Fatalf("untrusted CA: %v", err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	e.Conn.CAFile = ca
	if err := Preflight(context.Background(), e, srv.URL+"/acme", o); err != nil {
		t.Fatalf("healthy: %v", err)
	}
	if rs := srv.Requests(); len(rs) != 0 {
		t.Fatalf("the preflight asked the API: %+v", rs)
	}
	// --no-service needs no service manager.
	e.Services = nil // none found
	if err := Preflight(context.Background(), e, srv.URL+"/acme", o); failure.KindOf(err) != failure.Service || !strings.Contains(err.Error(), "--no-service") {
		t.Fatalf("no service manager: %v", err)
	}
	o.NoService = true
	if err := Preflight(context.Background(), e, srv.URL+"/acme", o); err != nil {
		t.Fatalf("--no-service without a manager: %v", err)
	}
}

// appDoctorDeps are doctorDeps with App 4242's credentials (installation
// looked up unless given); the App is registered with srv.
func appDoctorDeps(t *testing.T, srv *githubtest.Server, installation int64) DoctorDeps {
	t.Helper()
	key, pemBytes := githubtest.NewAppKey()
	srv.AddApp(githubtest.App{ID: 4242, Slug: "runner-manager", Key: &key.PublicKey})
	file := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(file, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	d := doctorDeps(t, "")
	d.Conn.Credentials = github.Credentials{AppID: 4242, AppKeyFile: file, AppInstallationID: installation}
	return d
}

func TestDoctorApp(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	srv.AddScope("orgs/other")
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "r")
	inst := srv.AddInstallation(githubtest.Installation{AppID: 4242, Account: "acme", Permissions: githubtest.AppPermissions})
	srv.AddInstallation(githubtest.Installation{AppID: 4242, Account: "other", Permissions: map[string]string{"organization_self_hosted_runners": "read"}})
	d := appDoctorDeps(t, srv, 0)
	red := &secret.Redactor{}
	d.Conn.Redactor = red

	checks := Doctor(ctx, d, DoctorOptions{URL: srv.URL + "/acme", Dir: dir})
	wantCheck(t, checks, "app jwt", CheckOK, `GitHub App 4242 ("runner-manager") accepts this host's JWT`)
	wantCheck(t, checks, "app installation", CheckOK, "installation "+strconv.FormatInt(inst, 10)+" on acme")
	wantCheck(t, checks, "app permissions", CheckOK, "organization_self_hosted_runners=write")
	wantCheck(t, checks, "credential", CheckOK, `GitHub App 4242's installation token can list the runners of organization "acme"`)
	if err := DoctorError(checks); err != nil {
		t.Fatal(err)
	}
	var minted string
	for _, r := range srv.Requests() {
		if r.Method != "GET" && !strings.HasSuffix(r.Path, "/access_tokens") {
			t.Errorf("doctor sent %s %s", r.Method, r.Path)
		}
		if tok, ok := strings.CutPrefix(r.Authorization, "Bearer ghs_"); ok {
			minted = "ghs_" + tok
		}
	}
	var out bytes.Buffer
	if err := WriteDoctor(&out, "json", checks); err != nil || minted == "" || strings.Contains(out.String(), minted) || red.Redact(minted) != "[REDACTED]" {
		t.Fatalf("the installation token (%q) is printed or not redacted: %v\n%s", minted, err, out.String())
	}

	// The installation lacks the permission: named, with where to grant it.
	checks = Doctor(ctx, d, DoctorOptions{URL: srv.URL + "/other", Dir: dir})
	c := wantCheck(t, checks, "app permissions", CheckFail, `organization permission "Self-hosted runners: read and write"`,
		"organization_self_hosted_runners=read", "Permissions & events")
	if c.Exit != 3 {
		t.Errorf("missing permission: exit %d, want 3", c.Exit)
	}
	// Not installed on the target.
	srv.AddScope("orgs/third")
	checks = Doctor(ctx, d, DoctorOptions{URL: srv.URL + "/third", Dir: dir})
	if c := wantCheck(t, checks, "app installation", CheckFail, `not installed on organization "third"`, "Install App"); c.Exit != 4 {
		t.Errorf("not installed: exit %d, want 4", c.Exit)
	}
	// An installation id of another account.
	d2 := d
	d2.Conn.Credentials.AppInstallationID = inst
	checks = Doctor(ctx, d2, DoctorOptions{URL: srv.URL + "/other", Dir: dir})
	wantCheck(t, checks, "app installation", CheckFail, "--app-installation-id "+strconv.FormatInt(inst, 10)+" is not the App's installation")
	// Enterprise scope: refused, naming the classic PAT, and nothing asked.
	srv.ResetRequests()
	checks = Doctor(ctx, d, DoctorOptions{URL: srv.URL + "/enterprises/big", Dir: dir})
	wantCheck(t, checks, "credential", CheckFail, "manage_runners:enterprise", "classic PAT")
	for _, r := range srv.Requests() {
		t.Errorf("doctor asked the API at enterprise scope with an App: %s %s", r.Method, r.Path)
	}
	// The server's clock 10 minutes behind this host's: the JWT is refused for clock skew.
	srv.SetClock(func() time.Time { return time.Now().Add(-10 * time.Minute) })
	checks = Doctor(ctx, d, DoctorOptions{URL: srv.URL + "/acme", Dir: dir})
	wantCheck(t, checks, "app jwt", CheckFail, "clock skew", "ahead of the server's", "timedatectl")
}

// With an App, a clock 1 minute fast fails (its JWTs fail), where a PAT only warns.
func TestDoctorClockApp(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	srv.AddInstallation(githubtest.Installation{AppID: 4242, Account: "acme", Permissions: githubtest.AppPermissions})
	d := appDoctorDeps(t, srv, 0)
	d.Now = func() time.Time { return time.Now().Add(time.Minute) }
	checks := Doctor(context.Background(), d, DoctorOptions{URL: srv.URL + "/acme", Dir: filepath.Join(t.TempDir(), "r")})
	wantCheck(t, checks, "clock", CheckFail, "ahead of the server's", "GitHub App's JWTs", "timedatectl")
}
