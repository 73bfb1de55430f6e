//go:build !windows

package service

import "github.com/runnerctl/runnerctl/platform"

// finishInstall has nothing to add outside Windows: the definition says it all.
func finishInstall(platform.ServiceSpec) error { return nil }
