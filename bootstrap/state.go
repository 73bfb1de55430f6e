package bootstrap

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/runnerctl/runnerctl/platform"
)

// StateFile is runnerctl's record in the runner directory. It holds no secrets.
const StateFile = ".runnerctl.json"

// PackageRecord names the runner package a directory was prepared from.
type PackageRecord struct {
	Filename string `json:"filename"`
	SHA256   string `json:"sha256"`
	// URL is the download URL without user info or query (see fetch.DisplayURL), or "" for --package-file.
	URL string `json:"url,omitempty"`
}

// State is the content of DIR/.runnerctl.json.
type State struct {
	SchemaVersion int           `json:"schema_version"`
	Package       PackageRecord `json:"package"`
	User          string        `json:"user,omitempty"`
	// UserCreated says runnerctl created User: uninstall removes it when
	// no other installed runner uses it.
	UserCreated  bool          `json:"user_created,omitempty"`
	PreparedAt   time.Time     `json:"prepared_at"`
	RunnerctlVer string        `json:"runnerctl_version"`
	Runner       *RunnerRecord `json:"runner,omitempty"`
}

// RunnerRecord is the registration install made.
type RunnerRecord struct {
	URL       string   `json:"url"`
	Scope     string   `json:"scope"` // repository, organization, enterprise
	Name      string   `json:"name"`
	ID        int64    `json:"id"`
	Labels    []string `json:"labels,omitempty"`
	Ephemeral bool     `json:"ephemeral,omitempty"`
	// Service is the OS service's name, "" with --no-service.
	Service     string    `json:"service,omitempty"`
	InstalledAt time.Time `json:"installed_at"`
}

// ReadState reads dir's state file; (nil, nil) when there is none.
func ReadState(dir string) (*State, error) {
	var s State
	found, err := platform.ReadJSON(filepath.Join(dir, StateFile), &s)
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	if !found {
		return nil, nil
	}
	return &s, nil
}

// WriteState writes dir's state file atomically.
func WriteState(dir string, s State) error {
	s.SchemaVersion = 1
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if err := platform.WriteBytesAtomic(filepath.Join(dir, StateFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}
