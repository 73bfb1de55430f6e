//go:build linux

package service_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/platform/platformtest"
)

// A GHES with a private CA: with --ca-file, install puts the CA into the
// OS trust store, so the runner itself (whose listener, like the real
// .NET one, trusts only the OS store) registers and comes online over
// TLS it verified; the last uninstall takes the CA out again.
func TestPrivateCAGHES(t *testing.T) {
	if os.Geteuid() != 0 {
		skipOrFail(t, "skipped: needs root (the OS trust store)")
	}
	if _, err := exec.LookPath("update-ca-certificates"); err != nil {
		skipOrFail(t, "skipped: update-ca-certificates is not installed (apt-get install ca-certificates)")
	}
	srv, ca, err := githubtest.NewTLSWithPrivateCA()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	f := newFixtureOn(t, srv)
	base := platformtest.RootOnlyTempDir(t)
	caFile := filepath.Join(base, "ghes-ca.pem")
	if err := os.WriteFile(caFile, ca.PEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	bundle := "/etc/ssl/certs/ca-certificates.crt"
	pemLine := strings.Split(strings.TrimSpace(string(ca.PEM())), "\n")[1]
	inBundle := func() bool { b, _ := os.ReadFile(bundle); return strings.Contains(string(b), pemLine) }
	name := "tls-" + strconv.FormatInt(time.Now().UnixNano()%1e6, 36)
	dir, state := filepath.Join(base, "runner"), filepath.Join(base, "state")
	run := func(args ...string) (string, int) {
		cmd := exec.Command(f.bin, append(args, "--state-dir", state)...)
		cmd.Env = append(os.Environ(), "RUNNERCTL_ACCESS_TOKEN="+githubtest.Token)
		return runCmd(cmd)
	}
	t.Cleanup(func() {
		if out, code := run("uninstall", "--dir", dir, "--url", srv.URL+"/acme/app", "--ca-file", caFile); code != 0 {
			t.Logf("cleanup uninstall: %d %s", code, out)
		}
		if inBundle() { // whatever happened, the test's CA does not stay trusted
			t.Errorf("the CA is still in %s after uninstall", bundle)
			for _, p := range []string{"/usr/local/share/ca-certificates"} {
				matches, _ := filepath.Glob(filepath.Join(p, "runnerctl-*.crt"))
				for _, m := range matches {
					os.Remove(m)
				}
			}
			exec.Command("update-ca-certificates", "--fresh").Run()
		}
	})
	if inBundle() {
		t.Fatal("the fresh CA is trusted before install")
	}
	out, code := run("install", "--url", srv.URL+"/acme/app", "--name", name, "--dir", dir, "--allow-root", "--no-service",
		"--ca-file", caFile, "--cache-dir", filepath.Join(base, "cache"))
	if code != 0 {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	if !inBundle() {
		t.Fatalf("install did not put the CA into %s", bundle)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sup := exec.CommandContext(ctx, f.bin, "run", "--dir", dir, "--state-dir", state)
	sup.Cancel = func() error { return sup.Process.Signal(syscall.SIGTERM) }
	if err := sup.Start(); err != nil {
		t.Fatal(err)
	}
	f.waitStatus(t, name, "online", 30*time.Second)
	tlsLog, err := os.ReadFile(filepath.Join(dir, "_diag", "Runner_TLS.log"))
	if err != nil || !strings.Contains(string(tlsLog), "verified=true") || !strings.Contains(string(tlsLog), ca.Cert.Subject.CommonName) ||
		!strings.Contains(string(tlsLog), "(system trust store)") {
		t.Errorf("the listener's TLS log %q (%v) does not show a connection verified by the private CA through the system trust store", tlsLog, err)
	}
	t.Logf("online over TLS with a private CA; the listener's TLS log: %s", strings.TrimSpace(lastLine(string(tlsLog))))
	cancel()
	_ = sup.Wait()
	if out, code := run("uninstall", "--dir", dir); code != 0 {
		t.Fatalf("uninstall: exit %d\n%s", code, out)
	}
	if inBundle() {
		t.Error("uninstall left the CA in the OS trust store")
	}
}
