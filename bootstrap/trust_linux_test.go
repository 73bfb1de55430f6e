package bootstrap

import (
	"context"
	"errors"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/platform"
)

// TestSystemTLSProbeHelper is run as a subprocess by
// TestTrustCAFakeGHES: a fresh process, so Go reads the system roots
// afresh. It GETs RUNNERCTL_TEST_SYSTEM_TLS_PROBE with the system roots
// only; any HTTP answer means TLS verified.
func TestSystemTLSProbeHelper(t *testing.T) {
	url := os.Getenv("RUNNERCTL_TEST_SYSTEM_TLS_PROBE")
	if url == "" {
		t.Skip("a helper for TestTrustCAFakeGHES")
	}
	c := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{Proxy: nil}}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// systemTLSEnv is the environment without what points TLS clients
// elsewhere than the OS default store, or through a proxy.
func systemTLSEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY":
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// systemVerifies says whether url's TLS verifies with the OS store alone:
// for Go (a fresh process) and, when installed, curl (OpenSSL's default
// store, as .NET's on Linux). The two must agree.
func systemVerifies(t *testing.T, url string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	probe := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSystemTLSProbeHelper$", "-test.count=1")
	probe.Env = systemTLSEnv("RUNNERCTL_TEST_SYSTEM_TLS_PROBE=" + url)
	out, err := probe.CombinedOutput()
	goOK := err == nil
	if !goOK && !strings.Contains(string(out), "certificate") {
		t.Fatalf("the Go probe failed otherwise than on the certificate: %v: %s", err, out)
	}
	if _, err := exec.LookPath("curl"); err != nil {
		return goOK
	}
	curl := exec.CommandContext(ctx, "curl", "-sS", "-o", "/dev/null", "--noproxy", "*", "--max-time", "20", url)
	curl.Env = systemTLSEnv()
	cout, err := curl.CombinedOutput()
	var ee *exec.ExitError
	curlOK := err == nil
	if !curlOK && !(errors.As(err, &ee) && ee.ExitCode() == 60) { // 60: peer certificate cannot be authenticated
		t.Fatalf("curl failed otherwise than on the certificate: %v: %s", err, cout)
	}
	if goOK != curlOK {
		t.Fatalf("Go (verified: %v: %s) and curl (verified: %v: %s) disagree", goOK, out, curlOK, cout)
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
