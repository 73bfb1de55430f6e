//go:build darwin || windows

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

// certTool is an OS trust store driven one certificate at a time by a
// command-line tool (macOS `security`, Windows `certutil`). Its handles
// are the certificates' SHA-1 fingerprints, comma-separated.
type certTool struct {
	ext   string // the temporary certificate file's extension
	upper bool   // fingerprints in upper case
	add   func(file string) error
	has   func(id string) bool  // the store holds the certificate
	del   func(id string) error // remove one certificate
}

var sha1Handle = regexp.MustCompile(`^(?i)[0-9a-f]{40}$`)

// addCA adds the CA certificates in pemPath one by one, all or nothing.
func (t certTool) addCA(pemPath string) (installed string, err error) {
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
		f := filepath.Join(tmp, fmt.Sprintf("ca-%d.%s", i, t.ext))
		if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o600); err != nil {
			return "", fmt.Errorf("add CA to the OS trust store: %w", err)
		}
		if err := t.add(f); err != nil {
			// What this call added goes again: all or nothing.
			_ = t.removeCA(strings.Join(ids, ","))
			return "", fmt.Errorf("add CA to the OS trust store: %w", err)
		}
		sum := sha1.Sum(c.Raw)
		id := hex.EncodeToString(sum[:])
		if t.upper {
			id = strings.ToUpper(id)
		}
		ids = append(ids, id)
	}
	return strings.Join(ids, ","), nil
}

// removeCA removes what addCA added (its handle); one already gone is
// no error, "" does nothing.
func (t certTool) removeCA(installed string) error {
	if installed == "" {
		return nil
	}
	ids := strings.Split(installed, ",")
	for _, id := range ids {
		if !sha1Handle.MatchString(id) {
			return fmt.Errorf("remove CA from the OS trust store: %q is not a handle AddTrustedCA returns", installed)
		}
	}
	var errs []error
	for _, id := range ids {
		if !t.has(id) {
			continue
		}
		if err := t.del(id); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove CA from the OS trust store: %w", err)
	}
	return nil
}

// runTool runs a trust-store tool, its output in the error.
func runTool(name string, args ...string) error {
	out, err := SystemCommand(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, args[0], err, strings.TrimSpace(string(out)))
	}
	return nil
}

// ownAnchor: a keychain or store entry does not say who added it.
func ownAnchor(caBundle) bool { return false }
