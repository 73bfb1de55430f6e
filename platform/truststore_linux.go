package platform

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
)

// trustMechanism is how a Linux distribution builds its trust store: an
// anchors directory an administrator drops CA files in, and the tool that
// rebuilds the bundles (OpenSSL's default file and hashed directory,
// p11-kit's extracts) from it.
type trustMechanism struct {
	name   string // for messages
	dir    string // the anchors directory
	ext    string // what the tool takes there
	update []string
	// links is where the tool links each anchor (update-ca-certificates
	// on Debian and Alpine: /etc/ssl/certs/NAME.pem and its hash link);
	// it leaves those dangling when an anchor goes, so removal cleans
	// them. "" when the tool keeps no links to anchors.
	links string
}

// trustMechanisms, most specific first: the RHEL family and SUSE also
// have /usr/local/share (but not the Debian tool's directory there).
var trustMechanisms = []trustMechanism{
	{"update-ca-trust (RHEL, Fedora, CentOS)", "/etc/pki/ca-trust/source/anchors", ".pem", []string{"update-ca-trust", "extract"}, ""},
	{"update-ca-certificates (SUSE)", "/etc/pki/trust/anchors", ".pem", []string{"update-ca-certificates"}, ""},
	{"update-ca-trust (Arch)", "/etc/ca-certificates/trust-source/anchors", ".crt", []string{"update-ca-trust", "extract"}, ""},
	{"update-ca-certificates (Debian, Ubuntu, Alpine)", "/usr/local/share/ca-certificates", ".crt", []string{"update-ca-certificates"}, "/etc/ssl/certs"},
}

// detectTrust is the host's mechanism: the first whose anchors
// directory exists and whose tool is installed.
func detectTrust(isDir, found func(string) bool) (trustMechanism, error) {
	for _, m := range trustMechanisms {
		if isDir(m.dir) && found(m.update[0]) {
			return m, nil
		}
	}
	return trustMechanism{}, ErrNoTrustStore
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func toolFound(name string) bool {
	return filepath.IsAbs(SystemCommand(name).Path)
}

// installedName is the file name AddTrustedCA gives a CA: its
// fingerprint's first 16 hex digits.
var installedName = regexp.MustCompile(`^runnerctl-[0-9a-f]{16}\.(crt|pem)$`)

// mechanismOf is the mechanism a handle AddTrustedCA returned belongs to;
// anything else is refused (the handle comes from a record: it never
// names a file runnerctl did not write).
func mechanismOf(installed string) (trustMechanism, error) {
	if filepath.Clean(installed) == installed && installedName.MatchString(filepath.Base(installed)) {
		for _, m := range trustMechanisms {
			if filepath.Dir(installed) == m.dir && filepath.Ext(installed) == m.ext {
				return m, nil
			}
		}
	}
	return trustMechanism{}, fmt.Errorf("%q is not a CA runnerctl put in the OS trust store", installed)
}

// AddTrustedCA adds the CA certificates in pemPath (a root-only file:
// CheckRootFile) to the OS trust store and returns the handle
// RemoveTrustedCA takes. On Linux: the certificates, re-encoded, written
// atomically by root, 0644, as ANCHORS/runnerctl-FINGERPRINT.crt (.pem for
// update-ca-trust and SUSE), then the distribution's tool rebuilds the
// bundles (update-ca-certificates on Debian, Ubuntu, Alpine and SUSE;
// update-ca-trust extract on RHEL, Fedora, Arch). Adding a CA again
// rewrites the same file: idempotent. Concurrent runnerctl calls are
// serialised (a lock on the anchors directory): the tools rebuild the
// bundle through one fixed temporary file.
func AddTrustedCA(pemPath string) (installed string, err error) {
	if !Privileged() {
		return "", errors.New("add CA to the OS trust store: needs root")
	}
	b, err := readCA(pemPath)
	if err != nil {
		return "", fmt.Errorf("add CA to the OS trust store: %w", err)
	}
	m, err := detectTrust(dirExists, toolFound)
	if err != nil {
		return "", fmt.Errorf("add CA to the OS trust store: %w", err)
	}
	if err := CheckNoOtherWriter(m.dir); err != nil {
		return "", fmt.Errorf("add CA to the OS trust store: %w", err)
	}
	installed = filepath.Join(m.dir, "runnerctl-"+b.sha256[:16]+m.ext)
	unlock, err := lockDir(m.dir)
	if err != nil {
		return "", fmt.Errorf("add CA to the OS trust store: %w", err)
	}
	defer unlock()
	_, statErr := os.Lstat(installed)
	if err := WriteBytesAtomic(installed, b.pem, 0o644); err != nil {
		return "", fmt.Errorf("add CA to the OS trust store: %w", err)
	}
	if err := runTrustTool(m); err != nil {
		if errors.Is(statErr, fs.ErrNotExist) {
			// Not left where the next rebuild would take it.
			_ = os.Remove(installed)
			_ = runTrustTool(m)
		}
		return "", fmt.Errorf("add CA to the OS trust store: %w", err)
	}
	return installed, nil
}

// ownAnchor reports whether the file AddTrustedCA writes for b is there.
func ownAnchor(b caBundle) bool {
	m, err := detectTrust(dirExists, toolFound)
	if err != nil {
		return false
	}
	_, err = os.Lstat(filepath.Join(m.dir, "runnerctl-"+b.sha256[:16]+m.ext))
	return err == nil
}

// RemoveTrustedCA removes what AddTrustedCA added (its handle): the file,
// then the bundles are rebuilt and the tool's links to the file removed.
// A file already gone is no error (the bundles are rebuilt all the same:
// an earlier removal may have stopped before that); "" does nothing.
func RemoveTrustedCA(installed string) error {
	if installed == "" {
		return nil
	}
	m, err := mechanismOf(installed)
	if err != nil {
		return fmt.Errorf("remove CA from the OS trust store: %w", err)
	}
	if !dirExists(m.dir) {
		return nil // the tool's package is gone, and the file with it
	}
	if !Privileged() {
		return errors.New("remove CA from the OS trust store: needs root")
	}
	unlock, err := lockDir(m.dir)
	if err != nil {
		return fmt.Errorf("remove CA from the OS trust store: %w", err)
	}
	defer unlock()
	if err := os.Remove(installed); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove CA from the OS trust store: %w", err)
	}
	if err := runTrustTool(m); err != nil {
		return fmt.Errorf("remove CA from the OS trust store: %w", err)
	}
	if err := removeLinksTo(m.links, installed); err != nil {
		return fmt.Errorf("remove CA from the OS trust store: %w", err)
	}
	return nil
}

// runTrustTool rebuilds the trust store. The tools are shell scripts:
// they get the system directories on PATH when the caller has none.
func runTrustTool(m trustMechanism) error {
	cmd := SystemCommand(m.update[0], m.update[1:]...)
	cmd.Env = ChildEnv()
	if os.Getenv("PATH") == "" {
		cmd.Env = append(cmd.Env, "PATH="+strings.Join(systemDirs(), ":"))
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if len(msg) > 2000 {
			msg = "…" + msg[len(msg)-2000:]
		}
		return fmt.Errorf("%s: %w: %s", strings.Join(m.update, " "), err, msg)
	}
	return nil
}

// removeLinksTo removes, in dir, the dangling symbolic links to target
// and the dangling links to those links (OpenSSL's hash links), which
// update-ca-certificates leaves when an anchor goes. Only links whose
// target is gone are touched.
func removeLinksTo(dir, target string) error {
	if dir == "" {
		return nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	abs := func(name string) string {
		t, err := os.Readlink(filepath.Join(dir, name))
		if err != nil {
			return ""
		}
		if !filepath.IsAbs(t) {
			t = filepath.Join(dir, t)
		}
		return filepath.Clean(t)
	}
	gone := map[string]bool{target: true}
	for pass := 0; pass < 2; pass++ {
		for _, e := range ents {
			p := filepath.Join(dir, e.Name())
			if e.Type()&fs.ModeSymlink == 0 || gone[p] || !gone[abs(e.Name())] {
				continue
			}
			if _, err := os.Stat(p); err == nil {
				continue // it resolves: not ours to remove
			}
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			gone[p] = true
		}
	}
	return nil
}

// lockDir takes an exclusive flock on dir until the returned func.
func lockDir(dir string) (func(), error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return func() { f.Close() }, nil
}
