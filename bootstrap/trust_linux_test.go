package bootstrap

import (
	"context"
	"errors"
	"io"
	"log"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/platform"
	"github.com/runnerctl/runnerctl/platform/platformtest/tlsprobe"
)

// systemVerifies says whether url's TLS verifies with the OS store alone:
// for Go (the system roots read afresh) and, when installed, curl
// (OpenSSL's default store, as .NET's on Linux). The two must agree.
func systemVerifies(t *testing.T, url string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	gerr := tlsprobe.Go(ctx, url)
	goOK := gerr == nil
	if !goOK && !strings.Contains(gerr.Error(), "certificate") {
		t.Fatalf("the Go probe failed otherwise than on the certificate: %v", gerr)
	}
	installed, cerr := tlsprobe.Curl(ctx, url)
	if !installed {
		return goOK
	}
	var ee *exec.ExitError
	curlOK := cerr == nil
	if !curlOK && !(errors.As(cerr, &ee) && ee.ExitCode() == 60) { // 60: peer certificate cannot be authenticated
		t.Fatalf("curl failed otherwise than on the certificate: %v", cerr)
	}
	if goOK != curlOK {
		t.Fatalf("Go (verified: %v: %v) and curl (verified: %v: %v) disagree", goOK, gerr, curlOK, cerr)
	}
	return goOK
}

// The fake GHES over TLS with a private CA: nothing on the host trusts it
// until install's trustCA puts --ca-file into the OS store; a second
// runner with the same CA shares it; it goes with the last runner, and
// then nothing trusts the server again. As root, on the host's own store
// (the CA is fresh, its key in this process only).
func TestTrustCAFakeGHES(t *testing.T) {
	if os.Geteuid() != 0 {
		skipOrFailCI(t, "skipped: changing the OS trust store needs root")
	}
	if _, err := exec.LookPath("update-ca-certificates"); err != nil {
		if _, err2 := exec.LookPath("update-ca-trust"); err2 != nil {
			skipOrFailCI(t, "skipped: no OS trust store tool (apt-get install ca-certificates)")
		}
	}
	srv, ca, err := githubtest.NewTLSWithPrivateCA()
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes the probes refuse
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "ghes-ca.pem")
	if err := os.WriteFile(caFile, ca.PEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	lg := slog.New(slog.NewTextHandler(io.Discard, nil))
	url := srv.APIURL() + "/meta"

	if systemVerifies(t, url) {
		t.Fatal("the fake GHES verifies before its CA is trusted: the probes cannot fail")
	}
	ts := OSTrustStore{}
	a, added, err := trustCA(ts, caFile, nil, lg)
	if a != nil {
		t.Cleanup(func() {
			if err := platform.RemoveTrustedCA(a.Installed); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		})
	}
	if err != nil || !added || a.Installed == "" {
		t.Fatalf("trustCA = %+v, %v, %v; want added", a, added, err)
	}
	if !systemVerifies(t, url) {
		t.Fatal("the fake GHES does not verify with the OS store after trustCA")
	}

	b, added, err := trustCA(ts, caFile, []TrustedCA{*a}, lg)
	if err != nil || added || *b != *a {
		t.Fatalf("a second runner: %+v, %v, %v; want %+v shared", b, added, err, a)
	}
	if removed, err := untrustCA(ts, a, []TrustedCA{*b}, lg); err != nil || removed {
		t.Fatalf("the first uninstall: removed %v, %v; the second runner needs the CA", removed, err)
	}
	if !systemVerifies(t, url) {
		t.Fatal("the fake GHES no longer verifies while a runner needs its CA")
	}
	if removed, err := untrustCA(ts, b, nil, lg); err != nil || !removed {
		t.Fatalf("the last uninstall: removed %v, %v", removed, err)
	}
	if systemVerifies(t, url) {
		t.Fatal("the fake GHES still verifies after the last runner's uninstall")
	}
}

// skipOrFailCI skips, or fails when CI is set (CI installs what the
// root tests need).
func skipOrFailCI(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set, so this test must run: "+format, args...)
	}
	t.Skipf(format, args...)
}
