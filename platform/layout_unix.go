//go:build !windows

package platform

const listenerName = "Runner.Listener"

// ConfigScript is the runner's configuration script.
func ConfigScript() string { return "config.sh" }

// ServiceMarker is the content of the runner's .service file for the
// service name: the name and a newline, as svc.sh writes it
// (systemd.svc.sh.template, darwin.svc.sh.template).
func ServiceMarker(name string) []byte { return []byte(name + "\n") }

// HideFile does nothing outside Windows (a dot file is hidden).
func HideFile(string) error { return nil }
