package runner

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
)

func TestConfigArgs(t *testing.T) {
	const url = "https://ghe.example.com/acme/app"
	tests := []struct {
		name string
		c    Config
		want []string
	}{
		{"minimal", Config{URL: url}, []string{"--unattended", "--url", url}},
		{"name", Config{URL: url, Name: "ci-1"}, []string{"--unattended", "--url", url, "--name", "ci-1"}},
		{"every flag, in config.sh's order", Config{URL: url, Name: "ci-1", Labels: []string{"gpu", "x64 big"}, NoDefaultLabels: true,
			Group: "builders", Work: "/srv/work", Ephemeral: true, DisableUpdate: true, Replace: true},
			[]string{"--unattended", "--url", url, "--name", "ci-1", "--labels", "gpu,x64 big", "--runnergroup", "builders", "--work", "/srv/work",
				"--no-default-labels", "--ephemeral", "--disableupdate", "--replace"}},
		{"a value with '=' stays one value", Config{URL: url, Work: "a=b"}, []string{"--unattended", "--url", url, "--work", "a=b"}},
		{"a label of 256 characters", Config{URL: url, Labels: []string{strings.Repeat("l", 256)}}, []string{"--unattended", "--url", url, "--labels", strings.Repeat("l", 256)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.Args()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Args() = %q\nwant     %q", got, tt.want)
			}
		})
	}
}

// What config.sh would misread or refuse is a usage error (exit 2) before
// anything runs: its parser drops values that start with '-', a comma
// splits a label, a runner with no labels can take no job.
func TestConfigArgsRefuses(t *testing.T) {
	const url = "https://github.com/acme/app"
	tests := []struct {
		name string
		c    Config
		want string
	}{
		{"name starting with -", Config{URL: url, Name: "-ci"}, `--name "-ci": config.sh drops values that start with '-'`},
		{"group starting with -", Config{URL: url, Group: "--x"}, `--runnergroup "--x"`},
		{"work starting with -", Config{URL: url, Work: "-w"}, `--work "-w"`},
		{"first label starting with -", Config{URL: url, Labels: []string{"-gpu"}}, `--labels "-gpu"`},
		{"comma in a label", Config{URL: url, Labels: []string{"a,b"}}, `"a,b" is not a label`},
		{"empty label", Config{URL: url, Labels: []string{"gpu", " "}}, `" " is not a label`},
		{"label too long", Config{URL: url, Labels: []string{strings.Repeat("l", 257)}}, "1-256 characters"},
		{"no default labels without labels", Config{URL: url, NoDefaultLabels: true}, "--no-default-labels needs --labels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args, err := tt.c.Args()
			if err == nil {
				t.Fatalf("Args() = %q, want an error", args)
			}
			if failure.KindOf(err) != failure.Usage {
				t.Errorf("kind %v, want usage: %v", failure.KindOf(err), err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
		})
	}
}

func TestMergeEnv(t *testing.T) {
	// What env.sh writes, plus a line of the user's and a key that is a
	// prefix of another.
	orig := "LANG=C.UTF-8\nPATH=/usr/bin:/bin\n# a comment\nhttp_proxy_extra=keep\nhttp_proxy=http://old:3128\n"
	got := MergeEnv(orig, []string{"http_proxy=http://proxy:3128", "NODE_EXTRA_CA_CERTS=/etc/ca.pem", "EMPTY=", "EQ=a=b"})
	want := "LANG=C.UTF-8\nPATH=/usr/bin:/bin\n# a comment\nhttp_proxy_extra=keep\nhttp_proxy=http://proxy:3128\nNODE_EXTRA_CA_CERTS=/etc/ca.pem\nEMPTY=\nEQ=a=b\n"
	if got != want {
		t.Errorf(".env =\n%s\nwant\n%s", got, want)
	}
	// The same again changes nothing.
	if again := MergeEnv(got, []string{"http_proxy=http://proxy:3128"}); again != want {
		t.Errorf("a second merge changed .env:\n%s", again)
	}
	if got := MergeEnv("", []string{"A=1", "A=2"}); got != "A=2\n" {
		t.Errorf("fresh .env = %q, want the last A", got)
	}
	if got := MergeEnv("", nil); got != "" {
		t.Errorf("nothing to set: %q, want empty", got)
	}
}

// A line the listener would read back wrong (a newline ends its line) or
// a key it could not hold is refused.
func TestEnvLinesRefuses(t *testing.T) {
	for _, kv := range []string{"A=1\nB=2", "A=1\r", "NOEQUALS", "=value", " =value", "A B=1", "1A=x"} {
		if _, err := EnvLines([]string{"OK=1", kv}); err == nil {
			t.Errorf("EnvLines(%q): accepted, want a refusal", kv)
		}
	}
	if _, err := EnvLines([]string{"OK=1", "EMPTY=", "EQ=a=b"}); err != nil {
		t.Errorf("EnvLines refused good lines: %v", err)
	}
}

func TestReadSettings(t *testing.T) {
	const body = `{"agentId":42,"agentName":"ci-1","poolId":1,"poolName":"Default","ephemeral":true,"serverUrl":"https://pipelines/x/","gitHubUrl":"https://github.com/acme/app","workFolder":"_work"}`
	want := Settings{AgentID: 42, AgentName: "ci-1", PoolID: 1, PoolName: "Default", Ephemeral: true,
		ServerURL: "https://pipelines/x/", GitHubURL: "https://github.com/acme/app", WorkFolder: "_work"}
	write := func(t *testing.T, dir, name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("not configured", func(t *testing.T) {
		s, err := ReadSettings(t.TempDir())
		if s != nil || err != nil {
			t.Errorf("ReadSettings = %+v, %v; want nil, nil", s, err)
		}
	})
	t.Run("with a UTF-8 BOM, as the runner writes it", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, ".runner", "\xEF\xBB\xBF"+body)
		s, err := ReadSettings(dir)
		if err != nil || s == nil || *s != want {
			t.Errorf("ReadSettings = %+v, %v; want %+v", s, err, want)
		}
	})
	t.Run("without a BOM", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, ".runner", body)
		if s, err := ReadSettings(dir); err != nil || s == nil || *s != want {
			t.Errorf("ReadSettings = %+v, %v", s, err)
		}
	})
	t.Run(".runner_migrated wins", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, ".runner", "\xEF\xBB\xBF"+`{"agentId":1,"agentName":"old"}`)
		write(t, dir, ".runner_migrated", "\xEF\xBB\xBF"+body)
		if s, err := ReadSettings(dir); err != nil || s == nil || s.AgentID != 42 {
			t.Errorf("ReadSettings = %+v, %v; want the migrated file's", s, err)
		}
	})
	t.Run("corrupt", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, ".runner", "\xEF\xBB\xBF{not json")
		s, err := ReadSettings(dir)
		if err == nil || s != nil || !strings.Contains(err.Error(), filepath.Join(dir, ".runner")) {
			t.Errorf("ReadSettings = %+v, %v; want an error naming the file", s, err)
		}
	})
	t.Run("unreadable", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, ".runner"), 0o755); err != nil { // a directory cannot be read as a file
			t.Fatal(err)
		}
		if s, err := ReadSettings(dir); err == nil || errors.Is(err, os.ErrNotExist) {
			t.Errorf("ReadSettings = %+v, %v; want a read error", s, err)
		}
	})
}
