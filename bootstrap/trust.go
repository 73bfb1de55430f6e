package bootstrap

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/platform"
)

// A GHES with a private CA (--ca-file) must be trusted where the runner
// looks. runnerctl reads --ca-file into its own transport, and install
// sets NODE_EXTRA_CA_CERTS, but that covers only the node that runs
// JavaScript actions: the listener and config.sh are .NET, which verifies
// with the OS store (OpenSSL's default store on Linux, the Keychain on
// macOS, the certificate store on Windows), and so do jobs' git and curl.
// So install puts the CA into the OS trust store (platform.AddTrustedCA)
// before config.sh talks to the server, and records it in the trusted
// store (TrustedCA, with the runner's record). The OS store is host-wide,
// while runners come and go one by one: the CA stays as long as one
// runner in the trusted store references it (by its certificates'
// SHA-256) and goes with the last one (uninstall, or the rollback of the
// install that added it). A CA the OS trusted before runnerctl came is
// recorded without a handle: it is never removed.
//
// Not NODE_EXTRA_CA_CERTS alone: the listener would fail TLS at its first
// connection. Not a CA bundle of runnerctl's own in the runner's
// environment (SSL_CERT_FILE): .NET on macOS and Windows ignores it, it
// replaces the system roots for every tool a job runs, and jobs change
// their environment.

// TrustedCA is what the trusted store keeps of the CA a runner's
// --ca-file made trusted by the OS.
type TrustedCA struct {
	// SHA256 is platform.CAFingerprint: references are counted by it.
	SHA256 string `json:"sha256"`
	// Installed is platform.AddTrustedCA's handle (on Linux the file in
	// the distribution's anchors directory); "" when the OS trusted the
	// CA before runnerctl: nothing to remove.
	Installed string `json:"installed,omitempty"`
}

// TrustStore is the host's OS trust store: OSTrustStore, or a fake in
// tests (adding to the real one needs root and changes the host).
type TrustStore interface {
	Fingerprint(pemPath string) (string, error)
	TrustedByOS(pemPath string) (bool, error)
	Add(pemPath string) (installed string, err error)
	Remove(installed string) error
}

// OSTrustStore is the real OS trust store (package platform).
type OSTrustStore struct{}

func (OSTrustStore) Fingerprint(p string) (string, error) { return platform.CAFingerprint(p) }
func (OSTrustStore) TrustedByOS(p string) (bool, error)   { return platform.CATrustedByOS(p) }
func (OSTrustStore) Add(p string) (string, error)         { return platform.AddTrustedCA(p) }
func (OSTrustStore) Remove(installed string) error        { return platform.RemoveTrustedCA(installed) }

// otherCAs are the CAs the records reference, but dir's ("": every
// record's): what uninstall and rollback of dir count references with.
// caOf gives a record's CA (nil for none): the trusted store's Record.CA.
func otherCAs(recs []Record, dir string, caOf func(Record) *TrustedCA) []TrustedCA {
	var out []TrustedCA
	for _, r := range recs {
		if r.Dir == dir {
			continue
		}
		if ca := caOf(r); ca != nil && ca.SHA256 != "" {
			out = append(out, *ca)
		}
	}
	return out
}

// trustCA makes the CA in pemPath (absolute, root's alone: the platform
// checks) trusted by the OS for a runner, given the CAs the store's other
// records reference. A CA another runner recorded is shared: its record
// is copied, nothing is added. One the OS trusts already is recorded
// without a handle. Otherwise it is added, and added is true: the caller
// pushes the rollback (untrustCA) and stores the TrustedCA with the
// runner's record at once. When runnerctl runs as an unprivileged user
// (the runner runs as that user) the OS store is out of reach: nil, with
// a warning.
func trustCA(ts TrustStore, pemPath string, others []TrustedCA, log *slog.Logger) (ca *TrustedCA, added bool, err error) {
	if !platform.Privileged() && platform.RunsAsUser() {
		log.Warn("not root: the CA is not added to the OS trust store; the runner's listener and jobs' tools will not trust the server unless it is there already", "ca_file", pemPath)
		return nil, false, nil
	}
	sum, err := ts.Fingerprint(pemPath)
	if err != nil {
		return nil, false, failure.Wrap(failure.Usage, fmt.Errorf("--ca-file: %w", err))
	}
	for _, o := range others {
		if o.SHA256 == sum {
			log.Debug("CA already in the OS trust store for another runner", "sha256", sum, "installed", o.Installed)
			c := o
			return &c, false, nil
		}
	}
	trusted, err := ts.TrustedByOS(pemPath)
	if err != nil {
		return nil, false, failure.Wrap(failure.Usage, fmt.Errorf("--ca-file: %w", err))
	}
	if trusted {
		log.Info("the OS trusts the CA already: it is not added, and uninstall leaves it", "ca_file", pemPath)
		return &TrustedCA{SHA256: sum}, false, nil
	}
	installed, err := ts.Add(pemPath)
	if err != nil {
		if errors.Is(err, platform.ErrNoTrustStore) {
			err = failure.Wrap(failure.Usage, err)
		}
		return nil, false, fmt.Errorf("install: --ca-file: %w", err)
	}
	log.Info("CA added to the OS trust store", "ca_file", pemPath, "installed", installed)
	return &TrustedCA{SHA256: sum, Installed: installed}, true, nil
}

// untrustCA removes a runner's CA from the OS trust store unless another
// runner still references it (others, by SHA-256) or the OS trusted it
// before runnerctl (no handle); removed says whether it went. Uninstall
// calls it once the runner's record is gone (after deregistration: until
// then runnerctl itself still talks to the server), install's rollback
// when trustCA added it.
func untrustCA(ts TrustStore, ca *TrustedCA, others []TrustedCA, log *slog.Logger) (removed bool, err error) {
	if ca == nil || ca.Installed == "" {
		return false, nil
	}
	for _, o := range others {
		if o.SHA256 == ca.SHA256 {
			log.Info("the CA stays in the OS trust store: another runner needs it", "sha256", ca.SHA256)
			return false, nil
		}
	}
	if err := ts.Remove(ca.Installed); err != nil {
		return false, err
	}
	log.Info("CA removed from the OS trust store: no runner needs it", "installed", ca.Installed)
	return true, nil
}

// installCA is Install's step for --ca-file (caFile absolute), before
// config.sh first talks to the server: trustCA against every record in
// the store, dir's own old one too (a runner registered again keeps the
// CA its record holds: nothing added, nothing to undo). What it adds, the
// rollback removes unless another record references it by then. The
// caller stores the result in dir's record (Record.CA) in the same Put
// that first records dir, so that a failure kept by --keep-on-failure,
// or a crash, leaves a record uninstall removes the CA with.
func installCA(ts TrustStore, st Store, caFile, dir string, caOf func(Record) *TrustedCA, rb *rollback, log *slog.Logger) (*TrustedCA, error) {
	recs, err := st.Records()
	if err != nil {
		return nil, err
	}
	ca, added, err := trustCA(ts, caFile, otherCAs(recs, "", caOf), log)
	if err != nil || !added {
		return ca, err
	}
	rb.push("remove the CA "+caFile+" from the OS trust store", func() error {
		recs, err := st.Records()
		if err != nil {
			return err
		}
		_, err = untrustCA(ts, ca, otherCAs(recs, dir, caOf), log)
		return err
	})
	return ca, nil
}

// removeUnusedCA is Uninstall's step: once dir's record is gone from the
// store (after the service and the registration), its CA (the record's
// CA, nil for none) leaves the OS trust store unless another record
// references it.
func removeUnusedCA(ts TrustStore, st Store, ca *TrustedCA, dir string, caOf func(Record) *TrustedCA, log *slog.Logger) error {
	if ca == nil || ca.Installed == "" {
		return nil
	}
	recs, err := st.Records()
	if err != nil {
		return err
	}
	_, err = untrustCA(ts, ca, otherCAs(recs, dir, caOf), log)
	return err
}
