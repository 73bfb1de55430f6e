package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/runnerctl/runnerctl/platform"
)

// EnvFile is the runner's environment file, loaded by the listener at
// every start: KEY=VALUE lines, split at the first '=', no quoting.
const EnvFile = ".env"

// MergeEnv sets each KEY=VALUE of set in DIR/.env, replacing a line with
// the same key and keeping every other line (env.sh's, the user's). It
// refuses values the listener could not read back: a newline in a value.
func MergeEnv(dir string, set []string) error {
	path := filepath.Join(dir, EnvFile)
	var lines []string
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("write %s: %w", EnvFile, err)
	}
	if len(b) > 0 {
		lines = strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	}
	for _, kv := range set {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" || strings.ContainsAny(kv, "\r\n") {
			return fmt.Errorf("write %s: %q is not a KEY=VALUE line", EnvFile, kv)
		}
		i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, k+"=") })
		if i >= 0 {
			lines[i] = kv
		} else {
			lines = append(lines, kv)
		}
	}
	data := strings.Join(lines, "\n")
	if data != "" {
		data += "\n"
	}
	if err := platform.WriteBytesAtomic(path, []byte(data), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", EnvFile, err)
	}
	return nil
}
