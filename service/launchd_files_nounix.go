//go:build windows

package service

import "errors"

// Windows has no launchd: no agent is ever made there (launchAgentHost).
var errNoLaunchd = errors.New("no launchd on this OS")

func writeAgentFiles(*launchAgent, []byte) error        { return errNoLaunchd }
func readAgentPlist(*launchAgent) ([]byte, bool, error) { return nil, false, errNoLaunchd }
func removeAgentFiles(*launchAgent) error               { return errNoLaunchd }
func agentLogs(*launchAgent, int) []string              { return nil }
