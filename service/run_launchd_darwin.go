package service

import ks "github.com/kardianos/service"

// stoppedExitsZero: launchd started us (see Run).
func stoppedExitsZero() bool { return !ks.Interactive() }

// launchAgentHost: macOS has launchd's per-user agents (--launchd agent).
const launchAgentHost = true
