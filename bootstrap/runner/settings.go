package runner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Settings is what runnerctl reads from .runner (ConfigurationStore.cs).
type Settings struct {
	AgentID       int64  `json:"agentId"`
	AgentName     string `json:"agentName"`
	PoolID        int64  `json:"poolId"`
	PoolName      string `json:"poolName"`
	DisableUpdate bool   `json:"disableUpdate"`
	Ephemeral     bool   `json:"ephemeral"`
	ServerURL     string `json:"serverUrl"`
	GitHubURL     string `json:"gitHubUrl"`
	WorkFolder    string `json:"workFolder"`
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// ReadSettings reads DIR/.runner, or DIR/.runner_migrated which the runner
// prefers when present. It returns (nil, nil) when the runner is not
// configured.
func ReadSettings(dir string) (*Settings, error) {
	for _, name := range []string{".runner_migrated", ".runner"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read runner settings: %w", err)
		}
		var s Settings
		if err := json.Unmarshal(bytes.TrimPrefix(b, utf8BOM), &s); err != nil {
			return nil, fmt.Errorf("read runner settings %s: %w", filepath.Join(dir, name), err)
		}
		return &s, nil
	}
	return nil, nil
}

// ServiceMarker is the file the official svc.sh writes; config.sh remove
// refuses to run while it exists (Linux, macOS).
const ServiceMarker = ".service"
