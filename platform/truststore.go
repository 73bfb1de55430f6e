package platform

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// The OS trust store.
//
// A GHES with a private CA must be trusted where the runner looks, not
// only by runnerctl (which takes --ca-file in its own transport). The
// real runner's listener and config.sh are .NET: on Linux .NET verifies
// with OpenSSL's default store (the distribution's bundle and hashed
// directory), on macOS with the Keychain, on Windows with the certificate
// store; none of them reads NODE_EXTRA_CA_CERTS, which only the node that
// runs JavaScript actions reads. Jobs' own tools (git, curl, package
// managers) read the same OS store. So --ca-file puts the CA into the OS
// store (AddTrustedCA) and NODE_EXTRA_CA_CERTS stays only for actions'
// node. The store is host-wide: the caller keeps what it added
// (AddTrustedCA's handle, the CA's CAFingerprint) in its trusted record
// and removes it (RemoveTrustedCA) when the last runner that needed it is
// uninstalled; a CA the OS trusted before (CATrustedByOS) is never added
// nor removed.
//
// The CA file must be root's alone (CheckRootFile): what is added to the
// host's trust store decides whom every TLS client on the host believes.
// Only its certificates go in, re-encoded: each must be a CA certificate,
// and a file holding a private key (or anything but certificates) is
// refused.

// ErrNoTrustStore says that the host has no OS trust store tool runnerctl
// knows (update-ca-certificates, update-ca-trust).
var ErrNoTrustStore = errors.New("no OS trust store tool found (update-ca-certificates or update-ca-trust): install the ca-certificates package")

// maxCAFile bounds what is read of a CA file: a bundle of a few
// certificates is some kilobytes.
const maxCAFile = 1 << 20

// caBundle is a validated CA file: its certificates in file order
// (duplicates dropped), their fingerprint and their PEM, nothing else.
type caBundle struct {
	certs  []*x509.Certificate
	sha256 string // hex SHA-256 over the certificates' DER, in order
	pem    []byte
}

// parseCA validates a CA file's content: PEM certificates only (at least
// one), each a CA certificate (basic constraints CA:TRUE); a private key
// or any other PEM block is refused, as is a block that does not decode
// (text around the blocks, as `openssl x509 -text` writes, is ignored).
func parseCA(data []byte) (caBundle, error) {
	var b caBundle
	h := sha256.New()
	seen := map[string]bool{}
	rest := data
	for {
		blk, r := pem.Decode(rest)
		if blk == nil {
			break
		}
		rest = r
		switch {
		case strings.Contains(blk.Type, "PRIVATE KEY"):
			return caBundle{}, errors.New("it holds a private key: give only the CA's certificate")
		case blk.Type != "CERTIFICATE":
			return caBundle{}, fmt.Errorf("it holds a %q PEM block: only CERTIFICATE blocks are taken", blk.Type)
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return caBundle{}, fmt.Errorf("certificate %d: %w", len(b.certs)+1, err)
		}
		if !c.BasicConstraintsValid || !c.IsCA {
			return caBundle{}, fmt.Errorf("certificate %d (%s) is not a CA certificate: give the CA that issued the server's certificate", len(b.certs)+1, c.Subject)
		}
		if seen[string(c.Raw)] {
			continue
		}
		seen[string(c.Raw)] = true
		b.certs = append(b.certs, c)
		h.Write(c.Raw)
		b.pem = append(b.pem, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	if len(b.certs) == 0 {
		return caBundle{}, errors.New("it holds no PEM certificate")
	}
	if len(bytes.TrimSpace(rest)) != 0 && bytes.Contains(rest, []byte("-----BEGIN")) {
		return caBundle{}, errors.New("it holds a PEM block that does not parse")
	}
	b.sha256 = hex.EncodeToString(h.Sum(nil))
	return b, nil
}

// readCA reads and validates the CA file at pemPath; as root, only a
// file no other user can change (CheckRootFile).
func readCA(pemPath string) (caBundle, error) {
	if Privileged() {
		if err := CheckRootFile(pemPath); err != nil {
			return caBundle{}, fmt.Errorf("CA file %s: %w", pemPath, err)
		}
	}
	f, err := os.Open(pemPath)
	if err != nil {
		return caBundle{}, fmt.Errorf("CA file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCAFile+1))
	if err != nil {
		return caBundle{}, fmt.Errorf("CA file %s: %w", pemPath, err)
	}
	if len(data) > maxCAFile {
		return caBundle{}, fmt.Errorf("CA file %s: larger than %d bytes", pemPath, maxCAFile)
	}
	b, err := parseCA(data)
	if err != nil {
		return caBundle{}, fmt.Errorf("CA file %s: %w", pemPath, err)
	}
	return b, nil
}

// CAFingerprint validates the CA file at pemPath as AddTrustedCA does and
// returns the hex SHA-256 of its certificates: what a caller counts
// references by (two files with the same certificates are one CA).
func CAFingerprint(pemPath string) (string, error) {
	b, err := readCA(pemPath)
	if err != nil {
		return "", err
	}
	return b.sha256, nil
}

// CATrustedByOS reports whether the OS already trusts every certificate
// in the CA file at pemPath (each verifies with the system roots), so
// there is nothing to add, and nothing runnerctl may remove. On Linux Go
// reads the system bundle once per process: ask before AddTrustedCA. A
// CA trusted only through what AddTrustedCA added is not (on Linux: its
// file is there), so a second runner's install adds it again (the same
// file) and records it, instead of recording that it need not be removed.
func CATrustedByOS(pemPath string) (bool, error) {
	b, err := readCA(pemPath)
	if err != nil {
		return false, err
	}
	if ownAnchor(b) {
		return false, nil
	}
	for _, c := range b.certs {
		if _, err := c.Verify(x509.VerifyOptions{KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			return false, nil
		}
	}
	return true, nil
}
