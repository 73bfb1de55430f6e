package platform

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// systemKeychain is where the admin trust domain's certificates live:
// what the LaunchDaemon's runner (and every process) trusts.
const systemKeychain = "/Library/Keychains/System.keychain"

// AddTrustedCA adds the CA certificates in pemPath (a root-only file:
// CheckRootFile) to the System keychain as trusted roots for the admin
// domain, one by one (`security add-trusted-cert -d -r trustRoot -k
// /Library/Keychains/System.keychain`), and returns the handle
// RemoveTrustedCA takes: their SHA-1 fingerprints, comma-separated.
// Adding a certificate the keychain holds updates its trust settings:
// idempotent. Unverified here: macOS is built and vetted only.
func AddTrustedCA(pemPath string) (installed string, err error) {
	if !Privileged() {
		return "", errors.New("add CA to the OS trust store: needs root")
	}
	b, err := readCA(pemPath)
	if err != nil {
		return "", fmt.Errorf("add CA to the OS trust store: %w", err)
	}
	tmp, err := os.MkdirTemp("", "runnerctl-ca-*")
	if err != nil {
		return "", fmt.Errorf("add CA to the OS trust store: %w", err)
	}
	defer os.RemoveAll(tmp)
	var ids []string
	for i, c := range b.certs {
		f := filepath.Join(tmp, fmt.Sprintf("ca-%d.pem", i))
		if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o600); err != nil {
			return "", fmt.Errorf("add CA to the OS trust store: %w", err)
		}
		if err := runSecurity("add-trusted-cert", "-d", "-r", "trustRoot", "-k", systemKeychain, f); err != nil {
			// What this call added goes again: all or nothing.
			_ = RemoveTrustedCA(strings.Join(ids, ","))
			return "", fmt.Errorf("add CA to the OS trust store: %w", err)
		}
		sum := sha1.Sum(c.Raw)
		ids = append(ids, strings.ToUpper(hex.EncodeToString(sum[:])))
	}
	return strings.Join(ids, ","), nil
}

var sha1Hex = regexp.MustCompile(`^[0-9A-F]{40}$`)

// RemoveTrustedCA removes what AddTrustedCA added (its handle): each
// certificate, with its trust settings, from the System keychain
// (`security delete-certificate -Z SHA1 -t`). One already gone is no
// error; "" does nothing.
func RemoveTrustedCA(installed string) error {
	if installed == "" {
		return nil
	}
	ids := strings.Split(installed, ",")
	for _, id := range ids {
		if !sha1Hex.MatchString(id) {
			return fmt.Errorf("remove CA from the OS trust store: %q is not a handle AddTrustedCA returns", installed)
		}
	}
	var errs []error
	for _, id := range ids {
		if !inSystemKeychain(id) {
			continue
		}
		if err := runSecurity("delete-certificate", "-Z", id, "-t", systemKeychain); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove CA from the OS trust store: %w", err)
	}
	return nil
}

// inSystemKeychain reports whether the System keychain holds the
// certificate with this SHA-1 fingerprint.
func inSystemKeychain(id string) bool {
	out, err := SystemCommand("security", "find-certificate", "-a", "-Z", systemKeychain).Output()
	if err != nil {
		return true // unknown: delete-certificate says
	}
	return bytes.Contains(bytes.ToUpper(out), []byte(id))
}

func runSecurity(args ...string) error {
	out, err := SystemCommand("security", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("security %s: %w: %s", args[0], err, strings.TrimSpace(string(out)))
	}
	return nil
}

// ownAnchor: a keychain or store entry does not say who added it.
func ownAnchor(caBundle) bool { return false }
