package platform

import "os/exec"

// systemDirs: on Windows the system tools are found through PATH.
func systemDirs() []string { return nil }

func isExecutable(string) bool { return false }

// DefaultShutdownCommand powers the host off (--shutdown-command's default).
const DefaultShutdownCommand = "shutdown /s /t 0"

// ShellCommand runs line with cmd.exe /c: the operator's
// --shutdown-command, from the trusted store.
func ShellCommand(line string) *exec.Cmd { return exec.Command("cmd.exe", "/c", line) }
