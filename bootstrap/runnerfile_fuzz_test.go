package bootstrap

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runnerctl/runnerctl/bootstrap/runner"
)

// listenerEnv is what the runner's listener makes of a .env (Program.cs
// LoadAndSetEnv): File.ReadAllLines (a UTF-8 BOM dropped; lines end at
// \r\n, \r or \n), each line split at its first '=' when that is not the
// first character, a later line for the same variable overriding an
// earlier one, an empty value unsetting it. Unix: names are
// case-sensitive.
func listenerEnv(env string) map[string]string {
	env = strings.TrimPrefix(env, "\ufeff")
	vars := map[string]string{}
	for _, l := range strings.FieldsFunc(strings.ReplaceAll(env, "\r\n", "\n"), func(r rune) bool { return r == '\r' || r == '\n' }) {
		if k, v, ok := strings.Cut(l, "="); ok && k != "" {
			if v == "" {
				delete(vars, k)
			} else {
				vars[k] = v
			}
		}
	}
	return vars
}

// FuzzMergeEnv: whatever the runner's .env holds, `install --env` (and
// the proxy settings) read it (readEnv) and merge into it (MergeEnv) so
// that the listener then sees each variable set as asked and every other
// variable as before; merging the same again changes nothing.
func FuzzMergeEnv(f *testing.F) {
	envSh := "LANG=C.UTF-8\nPATH=/usr/bin:/bin\n# a comment\nhttp_proxy_extra=keep\nhttp_proxy=http://old:3128\n"
	for _, s := range []struct{ old, set string }{
		{envSh, "http_proxy=http://proxy:3128\nNODE_EXTRA_CA_CERTS=/etc/ca.pem\nEMPTY=\nEQ=a=b"},
		{"", "A=1\nA=2"},
		{"A=1\r\nB=2\r\n", "A=3"},
		{"A=1\nA=2\n", "A=3"},
		{"B=2\rA=1", "A=3"},
		{"A=1\rB=2", "A=3"},
		{"\ufeffA=1\n", "A=2"},
		{"=x\nA\nA=\n", "A=1"},
		{"A=1\n\n\n", "A=1"},
		{"no newline at the end", "https_proxy=http://p:3128"},
	} {
		f.Add(s.old, s.set)
	}
	log := slog.New(slog.DiscardHandler)
	f.Fuzz(func(t *testing.T, old, setLines string) {
		if b := []byte(old); bytes.HasPrefix(b, []byte{0xFE, 0xFF}) || bytes.HasPrefix(b, []byte{0xFF, 0xFE}) || bytes.HasPrefix(b, []byte{0, 0, 0xFE, 0xFF}) {
			return // UTF-16 or UTF-32 to the listener: not a .env anything writes
		}
		var set []string
		for _, kv := range strings.Split(setLines, "\n") {
			if runner.CheckEnv(kv) == nil {
				set = append(set, kv)
			}
		}
		dir := t.TempDir()
		p := filepath.Join(dir, runner.EnvFile)
		if err := os.WriteFile(p, []byte(old), 0o600); err != nil {
			t.Fatal(err)
		}
		if got, err := readEnv(dir, log); err != nil || got != old {
			t.Fatalf("readEnv = %q, %v; the file holds %q", got, err, old)
		}
		changed, err := mergeEnv(dir, set, "", log)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		merged := string(b)
		if changed != (merged != old) || (len(set) == 0 && merged != old) {
			t.Fatalf("changed = %v, but .env went from %q to %q", changed, old, merged)
		}
		want := listenerEnv(old)
		for _, kv := range set {
			if k, v, _ := strings.Cut(kv, "="); v == "" {
				delete(want, k)
			} else {
				want[k] = v
			}
		}
		got := listenerEnv(merged)
		for k, v := range want {
			if gv, ok := got[k]; !ok || gv != v {
				t.Errorf("the listener sees %s=%q, want %q", k, gv, v)
			}
		}
		for k, v := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("the listener sees %s=%q, want it unset", k, v)
			}
		}
		if t.Failed() {
			t.Fatalf("set %q on .env %q gave %q", set, old, merged)
		}
		if again := runner.MergeEnv(merged, set); again != merged {
			t.Fatalf("merging %q again changed %q to %q", set, merged, again)
		}
	})
}
