package platform

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"
)

// testCA is a fresh CA: its certificate (PEM) and a leaf for the
// loopback addresses it signed.
type testCA struct {
	cert *x509.Certificate
	pem  []byte
	leaf tls.Certificate
}

func newTestCA(t *testing.T, isCA bool) testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: "runnerctl test CA " + t.Name() + " " + serial.String()},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true, IsCA: isCA,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	lkey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ltmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}, DNSNames: []string{"localhost"},
	}
	lder, err := x509.CreateCertificate(rand.Reader, ltmpl, cert, &lkey.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return testCA{cert: cert, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		leaf: tls.Certificate{Certificate: [][]byte{lder}, PrivateKey: lkey}}
}

func TestParseCA(t *testing.T) {
	a, b := newTestCA(t, true), newTestCA(t, true)
	leaf := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.leaf.Certificate[0]})
	notCA := newTestCA(t, false)
	key := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}})
	ecKey := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte{1, 2, 3}})
	text := []byte("Certificate:\n    Data: ...\n")
	cat := func(bs ...[]byte) []byte {
		var out []byte
		for _, b := range bs {
			out = append(out, b...)
		}
		return out
	}
	for _, c := range []struct {
		name  string
		data  []byte
		certs int
		err   string
	}{
		{"one CA", a.pem, 1, ""},
		{"two CAs", cat(a.pem, b.pem), 2, ""},
		{"a duplicate counts once", cat(a.pem, a.pem), 1, ""},
		{"text around blocks", cat(text, a.pem, text), 1, ""},
		{"empty", nil, 0, "no PEM certificate"},
		{"DER", a.cert.Raw, 0, "no PEM certificate"},
		{"a leaf", leaf, 0, "not a CA certificate"},
		{"CA:FALSE", notCA.pem, 0, "not a CA certificate"},
		{"a CA then a leaf", cat(a.pem, leaf), 0, "certificate 2"},
		{"a private key", cat(a.pem, key), 0, "private key"},
		{"an EC private key first", cat(ecKey, a.pem), 0, "private key"},
		{"another block", cat(a.pem, pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: []byte{1}})), 0, `"X509 CRL"`},
		{"garbage certificate", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2}}), 0, "certificate 1"},
		{"a broken block", cat(a.pem, []byte("-----BEGIN CERTIFICATE-----\n!!\n")), 0, "does not parse"},
	} {
		got, err := parseCA(c.data)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err = %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if len(got.certs) != c.certs || len(got.sha256) != 64 || strings.Count(string(got.pem), "BEGIN CERTIFICATE") != c.certs {
			t.Errorf("%s: %d certs, sha256 %q, pem %q", c.name, len(got.certs), got.sha256, got.pem)
		}
	}
	// The fingerprint is the certificates', not the file's.
	x, _ := parseCA(cat(text, a.pem))
	y, _ := parseCA(a.pem)
	z, _ := parseCA(b.pem)
	if x.sha256 != y.sha256 || x.sha256 == z.sha256 {
		t.Errorf("fingerprints: %s %s %s", x.sha256, y.sha256, z.sha256)
	}
}
