//go:build !linux && !darwin && !windows

package platform

import "errors"

// AddTrustedCA: runnerctl knows no OS trust store here.
func AddTrustedCA(pemPath string) (installed string, err error) {
	if _, err := readCA(pemPath); err != nil {
		return "", err
	}
	return "", ErrNoTrustStore
}

// RemoveTrustedCA: nothing was added; a handle from elsewhere is refused.
func RemoveTrustedCA(installed string) error {
	if installed == "" {
		return nil
	}
	return errors.New("remove CA from the OS trust store: no OS trust store here")
}

// ownAnchor: a keychain or store entry does not say who added it.
func ownAnchor(caBundle) bool { return false }
