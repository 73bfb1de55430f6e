package runner

import (
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
// it: the first line with the same key is replaced and later ones, which
// the listener would read last, removed; every other line (env.sh's,
// the user's) is kept as it was. Lines end where the listener's do
// (File.ReadAllLines: \r\n, \r or \n), each keeping its own ending.
func MergeEnv(old string, set []string) string {
	lines := envLines(old)
	for _, kv := range set {
		k, _, _ := strings.Cut(kv, "=")
		out := make([]string, 0, len(lines)+1)
		found := false
		for _, l := range lines {
			body := strings.TrimRight(l, "\r\n")
			switch {
			case !strings.HasPrefix(body, k+"="):
				out = append(out, l)
			case !found:
				out = append(out, kv+l[len(body):])
				found = true
			}
		}
		if !found {
			if n := len(out); n > 0 && !strings.HasSuffix(out[n-1], "\n") && !strings.HasSuffix(out[n-1], "\r") {
				out[n-1] += "\n"
			}
			out = append(out, kv+"\n")
		}
		lines = out
	}
	return strings.Join(lines, "")
}

// envLines splits .env content into the listener's lines, each with its
// line ending (none for a last line without one).
func envLines(s string) []string {
	var lines []string
	for s != "" {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			return append(lines, s)
		}
		n := i + 1
		if s[i] == '\r' && n < len(s) && s[n] == '\n' {
			n++
		}
		lines = append(lines, s[:n])
		s = s[n:]
	}
	return lines
}
