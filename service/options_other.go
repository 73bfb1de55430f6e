//go:build !linux && !darwin && !windows

package service

import "github.com/runnerctl/runnerctl/platform"

// definition: runnerctl renders no definition for the service managers of
// other OSes (kardianos' own templates are used).
func definition(platform.ServiceSpec) (option, file, text string) { return "", "", "" }

// prepareStatusDir: the supervisor makes its status directory itself.
func prepareStatusDir(platform.ServiceSpec) error { return nil }
