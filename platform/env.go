package platform

import (
	"io"
	"os"
	"runtime"
	"strings"
)

// childEnvNames are the variables of runnerctl's own environment that the
// runner's processes get on every OS: what locates the user, the shell
// and the locale, and what reaches the network (proxies, extra CAs).
var childEnvNames = []string{
	"PATH", "HOME", "USER", "LOGNAME", "SHELL",
	"LANG", "LANGUAGE", "TZ", "TMPDIR",
	"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
	"no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY",
	"SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS",
}

// ChildEnv is the environment runnerctl hands to the runner's processes
// (config.sh, the listener): an allow-list of its own variables, never
// the rest (a caller under `sudo -E` may hold GH_TOKEN, AWS_*,
// VAULT_TOKEN, runnerctl's RUNNERCTL_* settings, ACTIONS_RUNNER_INPUT_*),
// minus the names in drop (compared case-insensitively). The list:
//
//   - everywhere: PATH, HOME, USER, LOGNAME, SHELL, LANG, LANGUAGE, LC_*,
//     TZ, TMPDIR; the proxy variables http_proxy, https_proxy, no_proxy,
//     all_proxy, each in lower and upper case; SSL_CERT_FILE,
//     SSL_CERT_DIR, NODE_EXTRA_CA_CERTS;
//   - on Windows also SystemRoot, SystemDrive, windir, ComSpec, PATHEXT,
//     TEMP, TMP, ProgramData, ProgramFiles, ProgramFiles(x86),
//     ProgramW6432, CommonProgramFiles, USERPROFILE, APPDATA,
//     LOCALAPPDATA, ALLUSERSPROFILE, PUBLIC, COMPUTERNAME, USERNAME,
//     USERDOMAIN, NUMBER_OF_PROCESSORS, PROCESSOR_ARCHITECTURE, OS.
//
// Names are matched exactly, as the OS does: case-sensitively except on
// Windows. What a runner needs beyond these is given on purpose by the
// caller (`--env`, RUNNER_ALLOW_RUNASROOT, the token input).
func ChildEnv(drop ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || k == "" || !childEnvAllowed(k) {
			continue
		}
		dropped := false
		for _, d := range drop {
			if strings.EqualFold(k, d) {
				dropped = true
				break
			}
		}
		if !dropped {
			out = append(out, kv)
		}
	}
	return out
}

// childEnvAllowed reports whether the variable k is on ChildEnv's list.
func childEnvAllowed(k string) bool {
	if strings.HasPrefix(k, "LC_") || (envFoldCase && strings.HasPrefix(strings.ToUpper(k), "LC_")) {
		return true
	}
	for _, lists := range [][]string{childEnvNames, childEnvOSNames} {
		for _, n := range lists {
			if k == n || (envFoldCase && strings.EqualFold(k, n)) {
				return true
			}
		}
	}
	return false
}

// Build names the Go version and the platform runnerctl was built for:
// "go1.26.8 linux/amd64".
func Build() string { return runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH }

// Terminal returns w when it is a terminal (a progress bar may be drawn
// there), else nil.
func Terminal(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return f
		}
	}
	return nil
}
