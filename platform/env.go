package platform

import (
	"io"
	"os"
	"runtime"
	"strings"
)

// ChildEnv is the environment runnerctl hands to the runner's processes
// (config.sh, the listener): its own, without the API credentials it reads
// (GITHUB_TOKEN, RUNNERCTL_*), without ACTIONS_RUNNER_INPUT_* (set only
// on purpose, per call), and without the names in drop.
func ChildEnv(drop ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		uk := strings.ToUpper(k)
		if uk == "GITHUB_TOKEN" || strings.HasPrefix(uk, "RUNNERCTL_") || strings.HasPrefix(uk, "ACTIONS_RUNNER_INPUT_") {
			continue
		}
		skip := false
		for _, d := range drop {
			if uk == strings.ToUpper(d) {
				skip = true
			}
		}
		if !skip {
			out = append(out, kv)
		}
	}
	return out
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
