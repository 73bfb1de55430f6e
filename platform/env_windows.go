package platform

// envFoldCase: Windows variable names are case-insensitive.
const envFoldCase = true

// childEnvOSNames are what Windows programs (and the runner's .NET and
// node) expect to find: the system's and the profile's directories, the
// shell, the machine's and the user's names.
var childEnvOSNames = []string{
	"SystemRoot", "SystemDrive", "windir", "ComSpec", "PATHEXT", "TEMP", "TMP",
	"ProgramData", "ProgramFiles", "ProgramFiles(x86)", "ProgramW6432", "CommonProgramFiles",
	"USERPROFILE", "APPDATA", "LOCALAPPDATA", "ALLUSERSPROFILE", "PUBLIC",
	"COMPUTERNAME", "USERNAME", "USERDOMAIN", "NUMBER_OF_PROCESSORS", "PROCESSOR_ARCHITECTURE", "OS",
}
