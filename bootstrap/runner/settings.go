package runner

import (
	"fmt"
	"path/filepath"

	"github.com/runnerctl/runnerctl/platform"
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

// ReadSettings reads DIR/.runner, or DIR/.runner_migrated which the runner
// prefers when present (both with a UTF-8 byte order mark). It returns
// (nil, nil) when the runner is not configured.
func ReadSettings(dir string) (*Settings, error) {
	for _, name := range []string{".runner_migrated", ".runner"} {
		var s Settings
		found, err := platform.ReadJSON(filepath.Join(dir, name), &s)
		if err != nil {
			return nil, fmt.Errorf("read runner settings: %w", err)
		}
		if found {
			return &s, nil
		}
	}
	return nil, nil
}

// ServiceMarker is the file the official svc.sh writes; config.sh remove
// refuses to run while it exists (Linux, macOS).
const ServiceMarker = ".service"
