package github

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
)

// A remove token is good for its own scope, while it lasts, and only as
// a remove token; what the server says never quotes the token.
func TestDeleteRunnerWithRemoveTokenRefusals(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	ctx := context.Background()
	api := newTestClient(t, srv, srv.URL+"/acme/app", githubtest.Token, fastPolicy())
	other := newTestClient(t, srv, srv.URL+"/acme", githubtest.Token, fastPolicy())
	tc := newTestClient(t, srv, srv.URL+"/acme/app", "", fastPolicy())
	id := srv.AddRunner(githubtest.Runner{Name: "r1", Scope: "repos/acme/app"})
	reg, err := api.RegistrationToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	orgRem, err := other.RemoveToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]secret.Secret{"registration token": reg.Value, "another scope's remove token": orgRem.Value, "unknown": secret.New("AAAAAAAAAAAAAAAAAAAAAAAAAAAAA")} {
		err := tc.DeleteRunnerWithRemoveToken(ctx, id, tok)
		if !errors.Is(err, ErrAuth) || failure.KindOf(err) != failure.Auth || !strings.Contains(err.Error(), "remove token") || strings.Contains(err.Error(), tok.Reveal()) {
			t.Errorf("%s: %v, want an auth error naming the remove token without quoting it", name, err)
		}
	}
	srv.ExpireNextTokens(1)
	expired, err := api.RemoveToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tc.DeleteRunnerWithRemoveToken(ctx, id, expired.Value); !errors.Is(err, ErrAuth) {
		t.Errorf("expired: %v", err)
	}
	if err := tc.DeleteRunnerWithRemoveToken(ctx, id, secret.Secret{}); failure.KindOf(err) != failure.Usage {
		t.Errorf("empty: %v", err)
	}
	if _, err := api.GetRunner(ctx, id); err != nil {
		t.Fatalf("the runner went after refused deletions: %v", err)
	}
}

// ConnectTokenOnly needs no credential and keeps the plain-http rule.
func TestConnectTokenOnly(t *testing.T) {
	c, err := ConnectTokenOnly(ConnectOptions{URL: "https://ghes.example/acme/app", Credentials: Credentials{Getenv: func(string) string { return "" }}})
	if err != nil || c.Target().APIBase.String() != "https://ghes.example/api/v3/" {
		t.Fatalf("%v %v", c, err)
	}
	if _, err := ConnectTokenOnly(ConnectOptions{URL: "http://ghes.example/acme/app"}); failure.KindOf(err) != failure.Usage {
		t.Fatalf("plain http to a remote host: %v", err)
	}
}

// A credential file others can read gets the one warning, whichever flag it is.
func TestReadCredentialFileWarnsShared(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("mode bits do not show Windows ACLs")
	}
	p := filepath.Join(t.TempDir(), "tok")
	if err := os.WriteFile(p, []byte("AAAABBBBCCCC\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	log := slog.New(slog.NewTextHandler(&b, nil))
	s, err := ReadCredentialFile(p, "--registration-token-file", log)
	if err != nil || s.Reveal() != "AAAABBBBCCCC" || !strings.Contains(b.String(), "--registration-token-file is open to other users") {
		t.Fatalf("%v %q", err, b.String())
	}
	b.Reset()
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadCredentialFile(p, "--remove-token-file", log); err != nil || b.Len() != 0 {
		t.Fatalf("0600: %v %q", err, b.String())
	}
	if _, err := ReadCredentialFile(filepath.Join(t.TempDir(), "none"), "--remove-token-file", log); failure.KindOf(err) != failure.Usage {
		t.Fatalf("missing: %v", err)
	}
}
