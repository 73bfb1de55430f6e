//go:build !windows

package platform

const listenerName = "Runner.Listener"

// ConfigScript is the runner's configuration script.
func ConfigScript() string { return "config.sh" }
