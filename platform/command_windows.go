package platform

// systemDirs: on Windows the system tools are found through PATH.
func systemDirs() []string { return nil }

func isExecutable(string) bool { return false }
