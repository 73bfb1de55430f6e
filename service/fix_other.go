//go:build !linux

package service

import (
	"path/filepath"
	"runtime"
	"time"

	"github.com/runnerctl/runnerctl/platform"
)

func managerState(name string) (platform.ServiceState, string, int, error) {
	st, err := kardianosState(name)
	return st, string(st), 0, err
}

// logs returns the last n lines the service logged: launchd's log file on
// macOS; nothing on Windows (the supervisor logs to the Application event log).
func logs(name string, _ time.Time, n int) []string {
	if runtime.GOOS == "darwin" {
		return tailFile(filepath.Join("/var/log", name+".log"), n)
	}
	return nil
}

func cleanup(string) error { return nil }
