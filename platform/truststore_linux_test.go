package platform

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/platform/platformtest/tlsprobe"
)

func TestDetectTrust(t *testing.T) {
	set := func(xs ...string) func(string) bool {
		return func(s string) bool {
			for _, x := range xs {
				if x == s {
					return true
				}
			}
			return false
		}
	}
	for _, c := range []struct {
		name       string
		dirs, bins []string
		want       string // anchors directory, "" for ErrNoTrustStore
	}{
		{"Debian", []string{"/usr/local/share/ca-certificates"}, []string{"update-ca-certificates"}, "/usr/local/share/ca-certificates"},
		{"Debian without ca-certificates", []string{"/usr/local/share"}, nil, ""},
		{"Debian, the tool but no directory", nil, []string{"update-ca-certificates"}, ""},
		{"Fedora", []string{"/etc/pki/ca-trust/source/anchors", "/usr/local/share/ca-certificates"}, []string{"update-ca-trust"}, "/etc/pki/ca-trust/source/anchors"},
		{"SUSE", []string{"/etc/pki/trust/anchors"}, []string{"update-ca-certificates"}, "/etc/pki/trust/anchors"},
		{"Arch", []string{"/etc/ca-certificates/trust-source/anchors"}, []string{"update-ca-trust"}, "/etc/ca-certificates/trust-source/anchors"},
	} {
		m, err := detectTrust(set(c.dirs...), set(c.bins...))
		if c.want == "" {
			if !errors.Is(err, ErrNoTrustStore) {
				t.Errorf("%s: %v, %v; want ErrNoTrustStore", c.name, m, err)
			}
		} else if err != nil || m.dir != c.want {
			t.Errorf("%s: %v, %v; want %s", c.name, m.dir, err, c.want)
		}
	}
}

func TestMechanismOf(t *testing.T) {
	for _, p := range []string{
		"/usr/local/share/ca-certificates/runnerctl-0123456789abcdef.crt",
		"/etc/pki/ca-trust/source/anchors/runnerctl-0123456789abcdef.pem",
		"/etc/pki/trust/anchors/runnerctl-0123456789abcdef.pem",
	} {
		if _, err := mechanismOf(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	for _, p := range []string{
		"", "/etc/passwd", "/usr/local/share/ca-certificates/other.crt",
		"/usr/local/share/ca-certificates/runnerctl-0123456789abcdef.pem", // not this tool's extension
		"/usr/local/share/ca-certificates/../ca-certificates/runnerctl-0123456789abcdef.crt",
		"/tmp/runnerctl-0123456789abcdef.crt",
	} {
		if _, err := mechanismOf(p); err == nil {
			t.Errorf("%q accepted", p)
		}
		if err := RemoveTrustedCA(p); p != "" && err == nil {
			t.Errorf("RemoveTrustedCA(%q) accepted it", p)
		}
	}
}

// removeLinksTo removes the dangling links to the anchor and to those
// links, nothing else.
func TestRemoveLinksTo(t *testing.T) {
	anchors, links := t.TempDir(), t.TempDir()
	target := filepath.Join(anchors, "runnerctl-x.crt")
	other := filepath.Join(anchors, "other.crt")
	for _, f := range []string{target, other} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, to := range map[string]string{
		"runnerctl-x.pem": target, "abcd1234.0": "runnerctl-x.pem", // ours, and its hash link
		"other.pem": other, "beef0000.0": "other.pem", // another anchor's
		"dangling.pem": filepath.Join(anchors, "gone.crt"), // dangling, not ours
	} {
		if err := os.Symlink(to, filepath.Join(links, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(target); err != nil {
		t.Fatal(err)
	}
	if err := removeLinksTo(links, target); err != nil {
		t.Fatal(err)
	}
	var left []string
	ents, _ := os.ReadDir(links)
	for _, e := range ents {
		left = append(left, e.Name())
	}
	if got := strings.Join(left, " "); got != "beef0000.0 dangling.pem other.pem" {
		t.Errorf("left %q", got)
	}
}

// goProbe: does Go, with only the system roots (read afresh), verify url?
func goProbe(t *testing.T, url string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return tlsprobe.Go(ctx, url)
}

// curlProbe: does curl (OpenSSL's default store) verify url? ok is
// false when curl is not installed.
func curlProbe(t *testing.T, url string) (ok bool, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return tlsprobe.Curl(ctx, url)
}

// On this host, as root: a fresh CA goes into the OS store, where a new
// process (Go's system roots, curl's OpenSSL) verifies a server whose
// certificate it signed, and goes again, leaving no file nor link.
func TestAddTrustedCA(t *testing.T) {
	if os.Geteuid() != 0 {
		skipOrFailTrust(t, "skipped: adding to the OS trust store needs root")
	}
	m, err := detectTrust(dirExists, toolFound)
	if err != nil {
		skipOrFailTrust(t, "skipped: %v (apt-get install ca-certificates)", err)
	}
	ca := newTestCA(t, true)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca.pem, 0o644); err != nil {
		t.Fatal(err)
	}
	fp, err := CAFingerprint(caFile)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(m.dir, "runnerctl-"+fp[:16]+m.ext)
	t.Cleanup(func() {
		// Whatever happened above, the host's store is as it was.
		if _, err := os.Lstat(want); err == nil {
			os.Remove(want)
			if err := runTrustTool(m); err != nil {
				t.Errorf("cleanup: %v", err)
			}
			removeLinksTo(m.links, want)
		}
	})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.leaf}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	defer srv.Close()

	if err := goProbe(t, srv.URL); err == nil {
		t.Fatal("the server verifies before its CA is added: the probe cannot fail")
	}
	if has, err := curlProbe(t, srv.URL); has && err == nil {
		t.Fatal("curl verifies the server before its CA is added")
	}
	if trusted, err := CATrustedByOS(caFile); err != nil || trusted {
		t.Fatalf("CATrustedByOS before = %v, %v", trusted, err)
	}

	// A CA file another user can change is refused.
	if err := os.Chown(caFile, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, err := AddTrustedCA(caFile); err == nil {
		t.Fatal("a CA file owned by nobody was added")
	}
	if err := os.Chown(caFile, 0, 0); err != nil {
		t.Fatal(err)
	}

	installed, err := AddTrustedCA(caFile)
	if err != nil {
		t.Fatal(err)
	}
	if installed != want {
		t.Errorf("installed as %s, want %s", installed, want)
	}
	fi, err := os.Lstat(installed)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o644 || !rootOnly(fi) {
		t.Errorf("%s: %v, %v: want a regular root file, 0644", installed, fi, err)
	}
	if got, _ := os.ReadFile(installed); !bytes.Equal(got, ca.pem) {
		t.Errorf("%s holds %q, want the CA's certificate only", installed, got)
	}
	if m.links != "" && !bundleHas(t, ca.cert.Raw) {
		t.Error("the CA is not in /etc/ssl/certs/ca-certificates.crt")
	}
	if err := goProbe(t, srv.URL); err != nil {
		t.Errorf("Go with the system roots does not verify the server after AddTrustedCA: %v", err)
	}
	if has, err := curlProbe(t, srv.URL); !has {
		t.Log("curl is not installed: only Go's verification is checked")
	} else if err != nil {
		t.Errorf("curl (OpenSSL's default store) does not verify the server after AddTrustedCA: %v", err)
	}
	if trusted, err := CATrustedByOS(caFile); err != nil || trusted {
		t.Errorf("CATrustedByOS with only runnerctl's anchor = %v, %v; want false (it is ours to remove)", trusted, err)
	}
	again, err := AddTrustedCA(caFile)
	if err != nil || again != installed {
		t.Errorf("AddTrustedCA again = %q, %v; want %q", again, err, installed)
	}

	if err := RemoveTrustedCA(installed); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(installed); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s is still there: %v", installed, err)
	}
	if m.links != "" {
		if bundleHas(t, ca.cert.Raw) {
			t.Error("the CA is still in /etc/ssl/certs/ca-certificates.crt")
		}
		ents, _ := os.ReadDir(m.links)
		for _, e := range ents {
			if to, err := os.Readlink(filepath.Join(m.links, e.Name())); err == nil && strings.Contains(to, filepath.Base(strings.TrimSuffix(installed, m.ext))) {
				t.Errorf("%s still links to %s", e.Name(), to)
			}
		}
	}
	if err := goProbe(t, srv.URL); err == nil {
		t.Error("Go with the system roots still verifies the server after RemoveTrustedCA")
	}
	if has, err := curlProbe(t, srv.URL); has && err == nil {
		t.Error("curl still verifies the server after RemoveTrustedCA")
	}
	if err := RemoveTrustedCA(installed); err != nil {
		t.Errorf("RemoveTrustedCA again: %v", err)
	}
}

// bundleHas reports whether Debian's bundle holds the certificate.
func bundleHas(t *testing.T, der []byte) bool {
	t.Helper()
	data, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err != nil {
		t.Fatal(err)
	}
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return false
		}
		if bytes.Equal(b.Bytes, der) {
			return true
		}
	}
}

// skipOrFailTrust skips, or fails under CI (which installs what this
// test needs).
func skipOrFailTrust(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set, so this test must run: "+format, args...)
	}
	t.Skipf(format, args...)
}
