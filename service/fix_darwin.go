package service

import (
	"path/filepath"
	"time"
)

// logs returns the last n lines of launchd's log file for the service
// (the LaunchDaemon's StandardErrorPath).
func logs(name string, _ time.Time, n int) []string {
	return tailFile(filepath.Join("/var/log", name+".log"), n)
}
