package platform

import (
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

// AddTrustedCA adds the CA certificates in pemPath to the local
// machine's Trusted Root Certification Authorities store, one by one
// (`certutil -addstore Root FILE`: what the runner's .NET, git for
// Windows' schannel backend and curl.exe trust), and returns the handle
// RemoveTrustedCA takes: their SHA-1 thumbprints, comma-separated. A
// certificate the store holds is left as it is ("already in store"):
// idempotent. Needs an elevated process. Unverified here: Windows is
// built and vetted only.
func AddTrustedCA(pemPath string) (installed string, err error) {
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
		f := filepath.Join(tmp, fmt.Sprintf("ca-%d.cer", i))
		if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o600); err != nil {
			return "", fmt.Errorf("add CA to the OS trust store: %w", err)
		}
		if err := runCertutil("-addstore", "Root", f); err != nil {
			_ = RemoveTrustedCA(strings.Join(ids, ","))
			return "", fmt.Errorf("add CA to the OS trust store: %w", err)
		}
		sum := sha1.Sum(c.Raw)
		ids = append(ids, hex.EncodeToString(sum[:]))
	}
	return strings.Join(ids, ","), nil
}

var thumbprint = regexp.MustCompile(`^[0-9a-f]{40}$`)

// RemoveTrustedCA removes what AddTrustedCA added (its handle) from the
// Root store (`certutil -delstore Root THUMBPRINT`). One already gone is
// no error; "" does nothing.
func RemoveTrustedCA(installed string) error {
	if installed == "" {
		return nil
	}
	ids := strings.Split(installed, ",")
	for _, id := range ids {
		if !thumbprint.MatchString(id) {
			return fmt.Errorf("remove CA from the OS trust store: %q is not a handle AddTrustedCA returns", installed)
		}
	}
	var errs []error
	for _, id := range ids {
		if SystemCommand("certutil", "-store", "Root", id).Run() != nil {
			continue // not in the store
		}
		if err := runCertutil("-delstore", "Root", id); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove CA from the OS trust store: %w", err)
	}
	return nil
}

func runCertutil(args ...string) error {
	out, err := SystemCommand("certutil", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("certutil %s: %w: %s", args[0], err, strings.TrimSpace(string(out)))
	}
	return nil
}

// ownAnchor: a keychain or store entry does not say who added it.
func ownAnchor(caBundle) bool { return false }
