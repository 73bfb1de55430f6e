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
	_, file, text := definition(s)
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

// setOptions hands kardianos the definition runnerctl renders for s.
func setOptions(c *ks.Config, s platform.ServiceSpec) {
	if option, _, text := definition(s); option != "" {
		c.Option[option] = text
	}
}
