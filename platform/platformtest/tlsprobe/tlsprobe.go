// Package tlsprobe asks whether a TLS server verifies with the host's OS
// trust store alone, as the runner (.NET on OpenSSL) and jobs' tools see
// it: Go with the system roots read afresh, and curl (OpenSSL's default
// store). For tests; never linked into runnerctl. It imports nothing of
// ours, so platform's own tests can use it.
package tlsprobe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"
)

// bundles are where Go on Linux finds the system roots (crypto/x509's
// certFiles); the first one that exists is read.
var bundles = []string{
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/ca-bundle.pem",
	"/etc/pki/tls/cacert.pem",
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	"/etc/ssl/cert.pem",
}

// Env is the environment without what points TLS clients at another
// store than the OS default, or through a proxy.
func Env(extra ...string) []string {
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

// Go GETs url with the system roots read now (x509.SystemCertPool keeps
// what it read first for the life of the process); any HTTP answer means
// TLS verified.
func Go(ctx context.Context, url string) error {
	pool := x509.NewCertPool()
	read := false
	for _, b := range bundles {
		if pem, err := os.ReadFile(b); err == nil {
			pool.AppendCertsFromPEM(pem)
			read = true
			break
		}
	}
	if !read {
		return errors.New("tlsprobe: no system CA bundle found")
	}
	c := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

// Curl asks curl (OpenSSL's default store) to GET url; installed is
// false when there is no curl. An error with exit code 60 is an
// unverified peer.
func Curl(ctx context.Context, url string) (installed bool, err error) {
	if _, err := exec.LookPath("curl"); err != nil {
		return false, nil
	}
	cmd := exec.CommandContext(ctx, "curl", "-sS", "-o", "/dev/null", "--noproxy", "*", "--max-time", "20", url)
	cmd.Env = Env()
	if out, err := cmd.CombinedOutput(); err != nil {
		return true, fmt.Errorf("%w: %s", err, out)
	}
	return true, nil
}
