//go:build !windows

package service

import (
	"errors"
	"io/fs"
	"os"

	ks "github.com/kardianos/service"

	"github.com/runnerctl/runnerctl/platform"
)

// sameDefinition reports whether the installed definition of s.Name is
// the one runnerctl renders for s now (see definition, per OS).
func sameDefinition(s platform.ServiceSpec) (bool, error) {
	_, file, text, err := definition(s)
	if err != nil {
		return false, err
	}
	if file == "" {
		return true, nil
	}
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return string(b) == text, nil
}

// refusedDefinition stands in for a definition that does not render (a
// name-only spec for start, stop and uninstall, which write nothing):
// were it ever written, it starts nothing: no unit (no ExecStart=), an
// init script that fails, no plist. Install refuses such a spec before
// kardianos writes anything (prepareStatusDir).
const refusedDefinition = "#!/bin/false\n# runnerctl: this service definition was refused (see CheckSpec)\n"

// setOptions hands kardianos the definition runnerctl renders for s.
func setOptions(c *ks.Config, s platform.ServiceSpec) {
	option, _, text, err := definition(s)
	if option == "" {
		return
	}
	if err != nil {
		text = refusedDefinition
	}
	c.Option[option] = text
}
