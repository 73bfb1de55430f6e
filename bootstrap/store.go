package bootstrap

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/platform"
)

// The trusted store: what root decides with, kept where only root can
// read or write it (--state-dir: /var/lib/runnerctl, /var/db/runnerctl on
// macOS, %ProgramData%\runnerctl\state for SYSTEM and Administrators on
// Windows; a user's own state directory when runnerctl is not root). The
// runner directory belongs to the runner user and to every job it runs,
// so nothing in it is read to decide anything (design.md, "Security
// model"): the user a runner runs as, its service, URL, id and package
// all come from here. It holds no secrets.

// StoreFile is the store's one file; storeLock serialises updates.
const (
	StoreFile = "runners.json"
	storeLock = "runners.lock"
)

// PackageRecord names the runner package a directory was made from.
type PackageRecord struct {
	Filename string `json:"filename"`
	SHA256   string `json:"sha256"`
	// URL is the download URL without user info or query, "" for --package-file.
	URL string `json:"url,omitempty"`
}

// Record is one runner directory runnerctl made.
type Record struct {
	// Dir is the canonical runner directory: the record's key.
	Dir     string        `json:"dir"`
	Package PackageRecord `json:"package"`
	// Pristine says the tree is as root extracted it and still root's
	// (prepare): no job can have changed it, so it may be registered.
	Pristine bool `json:"pristine,omitempty"`
	// User runs the runner and owns the tree; "" is root (AllowRoot) or,
	// when runnerctl is not root, the user who installed it.
	User      string `json:"user,omitempty"`
	AllowRoot bool   `json:"allow_root,omitempty"`
	// CA is the --ca-file install put into the OS trust store (the last
	// runner's uninstall takes it out again).
	CA     *TrustedCA `json:"ca,omitempty"`
	MadeAt time.Time  `json:"made_at"`
	// Runnerctl is the version that made the record.
	Runnerctl string        `json:"runnerctl_version,omitempty"`
	Runner    *RunnerRecord `json:"runner,omitempty"`
	// Count says the directory is one runner of an `install --count`
	// group (count.go); nil for a single runner.
	Count *CountMember `json:"count,omitempty"`
}

// CountMember places a runner in its `install --count` group: the --dir
// and --name the group was installed with, and its number (the runner is
// NAME-Index in Dir/NAME-Index).
type CountMember struct {
	Dir   string `json:"dir"`
	Name  string `json:"name"`
	Index int    `json:"index"`
}

// RunnerRecord is the registration install made.
type RunnerRecord struct {
	URL string `json:"url"`
	// APIURL and CAFile are how the server was reached (--api-url, --ca-file).
	APIURL    string   `json:"api_url,omitempty"`
	CAFile    string   `json:"ca_file,omitempty"`
	Scope     string   `json:"scope"` // repository, organization, enterprise
	Name      string   `json:"name"`
	ID        int64    `json:"id"`
	Labels    []string `json:"labels,omitempty"`
	Ephemeral bool     `json:"ephemeral,omitempty"`
	// Settings are the other config.sh settings of the registration
	// (reconcile.go compares a re-run with them; version.go reads
	// DisableUpdate; a re-registration, runnerctl reregister, gives them
	// to config.sh again); nil in records made before they were kept.
	Settings *RegistrationSettings `json:"settings,omitempty"`
	// Service is the OS service's name, "" with --no-service.
	Service string `json:"service,omitempty"`
	// Launchd is platform.LaunchAgent for a macOS LaunchAgent in the
	// user's GUI session (--launchd agent); "" a LaunchDaemon.
	Launchd     platform.LaunchdKind `json:"launchd,omitempty"`
	InstalledAt time.Time            `json:"installed_at"`
	// OnEphemeralExit is --on-ephemeral-exit ("" for a runner that is not
	// ephemeral); ShutdownCommand the command the root step runs for
	// shutdown (sh -c; cmd.exe /c on Windows).
	OnEphemeralExit platform.EphemeralExit `json:"on_ephemeral_exit,omitempty"`
	ShutdownCommand string                 `json:"shutdown_command,omitempty"`
	// MetricsAddr is install's --metrics-addr: the service runs `run
	// --metrics-addr` with it; a re-install without the flag keeps it.
	MetricsAddr string `json:"metrics_addr,omitempty"`
	// Draining: drain deletes the registration once the runner is idle;
	// until the record goes, no root step registers it again or powers
	// the host off.
	Draining bool `json:"draining,omitempty"`
}

// BinaryRecord says which runnerctl the services run.
type BinaryRecord struct {
	Path string `json:"path"`
	// Placed: install copied itself there, so the last uninstall removes it.
	Placed bool `json:"placed"`
}

type storeData struct {
	SchemaVersion int           `json:"schema_version"`
	Runners       []Record      `json:"runners"`
	Runnerctl     *BinaryRecord `json:"runnerctl,omitempty"`
	// CreatedUsers are the runner users runnerctl created on this host:
	// the last uninstall of a runner running as one removes it.
	CreatedUsers []string `json:"created_users,omitempty"`
}

// Store is the trusted store in Dir.
type Store struct{ Dir string }

// serviceName is the character set install gives service names
// (service.Name): a record naming anything else was not written by us.
var serviceName = regexp.MustCompile(`^actions\.runner\.[0-9A-Za-z._-]+$`)

// userName is what useradd and the service managers take as a user name.
var userName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$|^[^\x00-\x1f\\/]+\\[^\x00-\x1f\\/]+$`)

func (r Record) check() error {
	if !filepath.IsAbs(r.Dir) || filepath.Clean(r.Dir) != r.Dir {
		return fmt.Errorf("record for %q: not a clean absolute directory", r.Dir)
	}
	// No user name starts with '-' (useradd and userdel would take it for
	// an option) or holds a control character (install's CheckText).
	if r.User != "" && (!userName.MatchString(r.User) || strings.HasPrefix(r.User, "-") || strings.ContainsFunc(r.User, platform.ControlRune)) {
		return fmt.Errorf("record for %s: user %q is not a user name", r.Dir, r.User)
	}
	if r.Runner != nil && r.Runner.Service != "" && !serviceName.MatchString(r.Runner.Service) {
		return fmt.Errorf("record for %s: service %q is not a name install gives", r.Dir, r.Runner.Service)
	}
	if c := r.Count; c != nil && (!filepath.IsAbs(c.Dir) || filepath.Clean(c.Dir) != c.Dir || c.Index < 1 || c.Index > MaxCount || filepath.Dir(r.Dir) != c.Dir) {
		return fmt.Errorf("record for %s: count group %+v is not what install --count records", r.Dir, *c)
	}
	if r.Runner != nil && r.Runner.Launchd != "" && (r.Runner.Launchd != platform.LaunchAgent || r.User == "") {
		return fmt.Errorf("record for %s: launchd %q is not what install records", r.Dir, r.Runner.Launchd)
	}
	return nil
}

func (s Store) path() string { return filepath.Join(s.Dir, StoreFile) }

// read loads the store; empty when there is none. A record that fails
// its checks makes the whole store an error: it was not written by us.
func (s Store) read() (storeData, error) {
	var d storeData
	if fi, err := os.Lstat(s.Dir); errors.Is(err, os.ErrNotExist) {
		return d, nil
	} else if err != nil {
		return d, fmt.Errorf("read trusted store: %w", err)
	} else if !fi.IsDir() || (platform.RunsAsUser() && !platform.OwnedByUs(fi)) {
		return d, fmt.Errorf("read trusted store: %s is not a directory of this user's: remove it or give --state-dir", s.Dir)
	}
	if _, err := platform.ReadJSON(s.path(), &d); err != nil {
		return storeData{}, fmt.Errorf("read trusted store: %w", err)
	}
	for _, r := range d.Runners {
		if err := r.check(); err != nil {
			return storeData{}, fmt.Errorf("read trusted store %s: %w", s.path(), err)
		}
	}
	return d, nil
}

// update reads the store under its lock, applies f and writes it back.
func (s Store) update(f func(*storeData) error) error {
	if err := platform.SecureDir(s.Dir); err != nil {
		return fmt.Errorf("write trusted store: %w", err)
	}
	unlock, err := platform.LockFile(filepath.Join(s.Dir, storeLock))
	if err != nil {
		return fmt.Errorf("write trusted store: %w", err)
	}
	defer unlock()
	d, err := s.read()
	if err != nil {
		return err
	}
	if err := f(&d); err != nil {
		return err
	}
	sort.Slice(d.Runners, func(i, j int) bool { return d.Runners[i].Dir < d.Runners[j].Dir })
	d.SchemaVersion = 1
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return fmt.Errorf("write trusted store: %w", err)
	}
	if err := platform.WriteBytesAtomic(s.path(), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write trusted store: %w", err)
	}
	return nil
}

// Get returns the record for the canonical dir; nil when there is none.
func (s Store) Get(dir string) (*Record, error) {
	d, err := s.read()
	if err != nil {
		return nil, err
	}
	for _, r := range d.Runners {
		if r.Dir == dir {
			return &r, nil
		}
	}
	return nil, nil
}

// Records lists every record.
func (s Store) Records() ([]Record, error) {
	d, err := s.read()
	return d.Runners, err
}

// Put writes r, replacing the record for the same directory.
func (s Store) Put(r Record) error {
	if err := r.check(); err != nil {
		return fmt.Errorf("write trusted store: %w", err)
	}
	return s.update(func(d *storeData) error {
		d.Runners = append(slices.DeleteFunc(d.Runners, func(x Record) bool { return x.Dir == r.Dir }), r)
		return nil
	})
}

// Delete forgets dir; no store or no record is fine.
func (s Store) Delete(dir string) error {
	if r, err := s.Get(dir); err != nil || r == nil {
		return err
	}
	return s.update(func(d *storeData) error {
		d.Runners = slices.DeleteFunc(d.Runners, func(x Record) bool { return x.Dir == dir })
		return nil
	})
}

// LaunchAgentUser returns the user whose GUI session holds service
// name's launchd agent (--launchd agent), "" when no record makes it one.
func (s Store) LaunchAgentUser(name string) (string, error) {
	recs, err := s.Records()
	for _, r := range recs {
		if r.Runner != nil && r.Runner.Service == name && r.Runner.Launchd == platform.LaunchAgent {
			return r.User, nil
		}
	}
	return "", err
}

// LaunchAgents is LaunchAgentUser of the trusted store in stateDir (made
// absolute, as Env's), for the service manager (service.Manager.FindAgents).
func LaunchAgents(stateDir string) func(name string) (string, error) {
	return Env{StateDir: stateDir}.store().LaunchAgentUser
}

// createdUser records (or with forget, forgets) that runnerctl created user.
func (s Store) createdUser(user string, forget bool) error {
	return s.update(func(d *storeData) error {
		d.CreatedUsers = slices.DeleteFunc(d.CreatedUsers, func(u string) bool { return u == user })
		if !forget {
			d.CreatedUsers = append(d.CreatedUsers, user)
		}
		return nil
	})
}

// recordBinary records the runnerctl the services run.
func (s Store) recordBinary(bin binaryPlan) error {
	if bin.Path == "" {
		return nil
	}
	return s.update(func(d *storeData) error {
		d.Runnerctl = &BinaryRecord{Path: bin.Path, Placed: bin.Placed}
		return nil
	})
}

// recordCA is a record's CA (installCA and removeUnusedCA count by it).
func recordCA(r Record) *TrustedCA { return r.CA }

// notInstalled is the error for a directory the store knows nothing of.
func (s Store) notInstalled(dir string) error {
	return failure.Wrap(failure.Usage, fmt.Errorf("no runner is installed in %s (runnerctl's records in %s have none): run `runnerctl install --dir %s`, or give the --state-dir install used",
		dir, s.Dir, dir))
}
