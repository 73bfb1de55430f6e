package platform

import (
	"fmt"

	"golang.org/x/sys/windows"
)

const listenerName = "Runner.Listener.exe"

// ConfigScript is the runner's configuration script.
func ConfigScript() string { return "config.cmd" }

// ServiceMarker is the content of the runner's .service file for the
// service name: the name alone, no newline and no BOM, as
// WindowsServiceControlManager.cs writes it and `config.cmd remove` reads
// it back to stop and delete that service.
func ServiceMarker(name string) []byte { return []byte(name) }

// HideFile gives path the Hidden attribute, as the runner gives its
// .service, .runner and .credentials files.
func HideFile(path string) error {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return fmt.Errorf("hide %s: %w", path, err)
	}
	attrs, err := windows.GetFileAttributes(p)
	if err != nil {
		return fmt.Errorf("hide %s: %w", path, err)
	}
	if err := windows.SetFileAttributes(p, attrs|windows.FILE_ATTRIBUTE_HIDDEN); err != nil {
		return fmt.Errorf("hide %s: %w", path, err)
	}
	return nil
}
