//go:build !linux && !darwin && !windows

package service

import "github.com/runnerctl/runnerctl/platform"

// definition: runnerctl renders no definition for the service managers of
// other OSes (kardianos' own templates are used).
func definition(platform.ServiceSpec) (option, file, text string, err error) { return "", "", "", nil }

// checkDefinition: nothing is rendered, nothing beyond checkSpec to check.
func checkDefinition(platform.ServiceSpec) error { return nil }

// prepareStatusDir refuses a spec with a control character (CheckSpec);
// the supervisor makes its status directory itself.
func prepareStatusDir(s platform.ServiceSpec) error { return CheckSpec(s) }
