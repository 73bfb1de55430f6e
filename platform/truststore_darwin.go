package platform

import (
	"bytes"
	"errors"
)

// systemKeychain is where the admin trust domain's certificates live:
// what the LaunchDaemon's runner (and every process) trusts.
const systemKeychain = "/Library/Keychains/System.keychain"

// keychain is the System keychain, driven by `security`.
var keychain = certTool{ext: "pem", upper: true,
	add: func(f string) error {
		return runTool("security", "add-trusted-cert", "-d", "-r", "trustRoot", "-k", systemKeychain, f)
	},
	has: inSystemKeychain,
	del: func(id string) error {
		return runTool("security", "delete-certificate", "-Z", id, "-t", systemKeychain)
	},
}

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
	return keychain.addCA(pemPath)
}

// RemoveTrustedCA removes what AddTrustedCA added (its handle): each
// certificate, with its trust settings, from the System keychain
// (`security delete-certificate -Z SHA1 -t`). One already gone is no
// error; "" does nothing.
func RemoveTrustedCA(installed string) error { return keychain.removeCA(installed) }

// inSystemKeychain reports whether the System keychain holds the
// certificate with this SHA-1 fingerprint.
func inSystemKeychain(id string) bool {
	out, err := SystemCommand("security", "find-certificate", "-a", "-Z", systemKeychain).Output()
	if err != nil {
		return true // unknown: delete-certificate says
	}
	return bytes.Contains(bytes.ToUpper(out), []byte(id))
}
