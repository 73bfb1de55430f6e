package platform

const listenerName = "Runner.Listener.exe"

// ConfigScript is the runner's configuration script.
func ConfigScript() string { return "config.cmd" }
