package runner

import (
	"slices"
	"strings"
)

// EnvFile is the runner's environment file, loaded by the listener at
// every start: KEY=VALUE lines, split at the first '=', no quoting.
const EnvFile = ".env"

// EnvLines checks KEY=VALUE lines for the runner's .env (--env, the
// proxy settings): each must be one the listener reads back as it was
// given (CheckEnv).
func EnvLines(set []string) ([]string, error) {
	for _, kv := range set {
		if err := CheckEnv(kv); err != nil {
			return nil, err
		}
	}
	return set, nil
}

// MergeEnv returns the .env content old with each KEY=VALUE of set in
// it: a line with the same key is replaced, every other line (env.sh's,
// the user's) kept.
func MergeEnv(old string, set []string) string {
	var lines []string
	if old = strings.TrimRight(old, "\n"); old != "" {
		lines = strings.Split(old, "\n")
	}
	for _, kv := range set {
		k, _, _ := strings.Cut(kv, "=")
		i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, k+"=") })
		if i >= 0 {
			lines[i] = kv
		} else {
			lines = append(lines, kv)
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}
