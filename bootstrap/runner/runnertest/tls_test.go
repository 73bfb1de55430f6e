//go:build !windows

package runnertest_test

import (
	"context"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/bootstrap/runner/runnertest"
)

// The listener and config.sh trust the OS store only: a GHES whose CA is
// not there fails with an unknown-authority error (NODE_EXTRA_CA_CERTS does
// not help); with the CA in the store (SSL_CERT_FILE, as OpenSSL reads it)
// the runner registers and comes online over TLS, and _diag records the
// verified chain.
func TestFakeTLSSystemTrustStore(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("skipped: no go tool to build the fake listener")
	}
	pkg, err := runnertest.Build(context.Background(), t.TempDir(), runnertest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := githubtest.NewUnstarted()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	srv.SetHeartbeat(100 * time.Millisecond)
	if !strings.HasPrefix(srv.URL, "https://") {
		t.Fatalf("not TLS: %s", srv.URL)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := extract(t, pkg)
	args := []string{"config.sh", "--unattended", "--url", srv.URL + "/acme/app", "--name", "tls-1"}
	base := []string{"RUNNER_ALLOW_RUNASROOT=1", "ACTIONS_RUNNER_INPUT_TOKEN=" + mint(t, srv, "registration")}

	out, code := script(dir, append(base, "NODE_EXTRA_CA_CERTS="+ca), args...)
	if code != 1 || !strings.Contains(out, "certificate signed by unknown authority") || !strings.Contains(out, "UntrustedRoot") {
		t.Fatalf("untrusted CA: %d %q", code, out)
	}
	if len(srv.Runners("repos/acme/app")) != 0 {
		t.Fatal("registered over an unverified connection")
	}

	trusted := append(base, "SSL_CERT_FILE="+ca)
	if out, code := script(dir, trusted, args...); code != 0 {
		t.Fatalf("CA in the trust store: %d %s", code, out)
	}
	// githubtest answers the registration with an http:// server_url even
	// over TLS (runnerproto.go); the real GHES gives https. Correct .runner
	// so the listener talks TLS (a no-op once githubtest is fixed).
	rb, err := os.ReadFile(filepath.Join(dir, ".runner"))
	if err != nil {
		t.Fatal(err)
	}
	rb = []byte(strings.ReplaceAll(string(rb), `"serverUrl": "http://`, `"serverUrl": "https://`))
	if err := os.WriteFile(filepath.Join(dir, ".runner"), rb, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(dir, "bin", "Runner.Listener"), "run")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+ca)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitStatus(t, srv, "tls-1", "online")
	b, _ := os.ReadFile(filepath.Join(dir, "_diag", "Runner_TLS.log"))
	if !strings.Contains(string(b), "verified=true") {
		t.Errorf("no verified handshake in _diag/Runner_TLS.log: %q", b)
	}

	// The same listener without the CA in its store cannot heartbeat.
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	out, _ = scriptTimeout(t, dir, nil, 3*time.Second, "bin/Runner.Listener", "run")
	if !strings.Contains(out, "certificate signed by unknown authority") {
		t.Errorf("listener with an untrusted CA: %q", out)
	}
}

// scriptTimeout runs a program of the package and kills it after d (for
// the listener, which retries forever).
func scriptTimeout(t *testing.T, dir string, env []string, d time.Duration, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(dir, args[0]), args[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	b, err := cmd.CombinedOutput()
	return string(b), exitCode(err)
}
