package platform

import (
	"os"
	"path/filepath"
)

// DefaultConfigFile is read when --config is not given and the file exists.
func DefaultConfigFile() string {
	pd := os.Getenv("ProgramData")
	if pd == "" {
		pd = `C:\ProgramData`
	}
	return filepath.Join(pd, "runnerctl", "config.yaml")
}
