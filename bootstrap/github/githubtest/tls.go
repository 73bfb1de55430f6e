package githubtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// PrivateCA is a certificate authority made for one test run: a GHES
// with a private CA. Its key lives in memory only, and its certificate
// expires within a day, so a CA a test leaves trusted (in the OS store)
// vouches for nothing anyone else can serve. httptest's own certificate is
// no substitute there: its key is public.
type PrivateCA struct {
	Cert *x509.Certificate
	key  crypto.Signer
}

// NewPrivateCA makes a fresh CA (ECDSA P-256, CA:TRUE, a unique subject).
func NewPrivateCA() (*PrivateCA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"runnerctl fake GHES"}, CommonName: "private CA " + serial.Text(16)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &PrivateCA{Cert: cert, key: key}, nil
}

// PEM is the CA's certificate, PEM encoded: what --ca-file holds.
func (ca *PrivateCA) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
}

// Pool is a pool holding the CA alone.
func (ca *PrivateCA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// ServerCertificate is a server certificate the CA signed for hosts
// (IP addresses or DNS names); none: 127.0.0.1, ::1 and localhost.
func (ca *PrivateCA) ServerCertificate(hosts ...string) (tls.Certificate, error) {
	if len(hosts) == 0 {
		hosts = []string{"127.0.0.1", "::1", "localhost"}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der, ca.Cert.Raw}, PrivateKey: key}, nil
}

// StartTLSWithCA starts a fake made by NewUnstarted over TLS, with a
// certificate ca signed for the loopback addresses: a GHES with a private
// CA. Its URL is then https://127.0.0.1:PORT.
func (s *Server) StartTLSWithCA(ca *PrivateCA) error {
	cert, err := ca.ServerCertificate()
	if err != nil {
		return fmt.Errorf("githubtest: server certificate: %w", err)
	}
	s.Server.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.Server.StartTLS() // Client trusts the server's certificate (Go takes any pooled certificate as a root)
	return nil
}

// NewTLSWithPrivateCA starts a fake (as New) over TLS with a fresh
// private CA, which it returns: trust ca.PEM() (--ca-file) to reach it.
func NewTLSWithPrivateCA() (*Server, *PrivateCA, error) {
	ca, err := NewPrivateCA()
	if err != nil {
		return nil, nil, err
	}
	s := NewUnstarted()
	if err := s.StartTLSWithCA(ca); err != nil {
		return nil, nil, err
	}
	return s, ca, nil
}
