package platform

// RunDir holds the services' supervisor status files, one directory per
// service (emptied at boot: the files describe running processes).
func RunDir() string { return "/run/runnerctl" }

const systemStateDir = "/var/lib/runnerctl"
