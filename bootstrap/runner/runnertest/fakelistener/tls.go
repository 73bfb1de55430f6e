package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// diagRoot is the runner root, for the TLS log.
var diagRoot string

var (
	clientOnce sync.Once
	client     *http.Client
	clientErr  error
)

// httpClient verifies TLS as the real listener does on Linux (.NET on
// OpenSSL) and macOS: with the operating system's trust store only
// (x509.SystemCertPool: /etc/ssl/certs, or SSL_CERT_FILE/SSL_CERT_DIR as
// OpenSSL honours them; the Keychain on macOS). No CA file of runnerctl and
// no NODE_EXTRA_CA_CERTS is read. Every verified handshake is logged to
// _diag/Runner_TLS.log with the chain that verified it.
func httpClient() (*http.Client, error) {
	clientOnce.Do(func() {
		pool, err := x509.SystemCertPool()
		if err != nil {
			clientErr = fmt.Errorf("the system trust store cannot be read: %w", err)
			return
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, VerifyConnection: logTLS}
		client = &http.Client{Transport: tr, Timeout: 10 * time.Second}
	})
	return client, clientErr
}

func logTLS(cs tls.ConnectionState) error {
	root := "?"
	if len(cs.VerifiedChains) > 0 {
		chain := cs.VerifiedChains[0]
		root = chain[len(chain)-1].Subject.String()
	}
	logf(diagRoot, "Runner_TLS.log", "%s server=%s verified=%v root=%q (system trust store)\n", stamp(), cs.ServerName, len(cs.VerifiedChains) > 0, root)
	return nil
}

// tlsError words a verification failure as .NET does, keeping Go's error.
func tlsError(err error) error {
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ce x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua):
		return fmt.Errorf("The SSL connection could not be established, see inner exception. The remote certificate is invalid because of errors in the certificate chain: UntrustedRoot (%w)", err)
	case errors.As(err, &he):
		return fmt.Errorf("The SSL connection could not be established, see inner exception. The remote certificate is invalid according to the validation procedure: RemoteCertificateNameMismatch (%w)", err)
	case errors.As(err, &ce):
		return fmt.Errorf("The SSL connection could not be established, see inner exception. The remote certificate is invalid according to the validation procedure: RemoteCertificateChainErrors (%w)", err)
	}
	return err
}
