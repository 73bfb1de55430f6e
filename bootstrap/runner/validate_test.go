package runner

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/platform"
)

// Text that renders fine in every format (the service renderers escape
// it): CheckText must let it through.
var inertText = []string{"", "ci 1", `a"b`, "a'b", "a$b", "${HOME}", "a%hb", `a\b`, `ab\`, "a;b", "a`id`b", "$(id)", "ünï€ 雪", "-x", "~", "{{Path}}", "a=b", "\u00a0nbsp", "emoji 🙂"}

// Each control character class, and invalid UTF-8.
var controlText = map[string]string{
	"newline": "a\nExecStartPre=/bin/sh", "carriage return": "a\rb", "tab": "a\tb", "NUL": "a\x00b", "escape": "a\x1b[2Jb",
	"DEL": "a\x7fb", "C1 (NEL)": "a\u0085b", "C1 (CSI)": "a\u009bb", "line separator": "a\u2028b", "paragraph separator": "a\u2029b",
	"invalid UTF-8": "a\xffb", "truncated UTF-8": "a\xe2\x82",
}

func isUsage(err error) bool {
	var f *failure.Error
	return errors.As(err, &f) && f.Kind == failure.Usage
}

func TestCheckText(t *testing.T) {
	for _, v := range inertText {
		if err := CheckText("--name", v); err != nil {
			t.Errorf("CheckText(%q) = %v, want nil", v, err)
		}
	}
	for what, v := range controlText {
		err := CheckText("--name", v)
		if err == nil || !isUsage(err) || !strings.Contains(err.Error(), "--name") {
			t.Errorf("%s: CheckText(%q) = %v, want a usage error naming --name", what, v, err)
			continue
		}
		// The message quotes the value: no raw control character reaches a terminal.
		if strings.ContainsFunc(err.Error(), platform.ControlRune) {
			t.Errorf("%s: the error carries the raw character: %q", what, err.Error())
		}
	}
}

func TestCheckEnv(t *testing.T) {
	for _, kv := range []string{"A=1", "http_proxy=http://u:p@proxy:3128", "_X=", "K9=a=b", "LANG=C.UTF-8", "K= spaced value "} {
		if err := CheckEnv(kv); err != nil {
			t.Errorf("CheckEnv(%q) = %v, want nil", kv, err)
		}
	}
	bad := []string{"A", "=1", "9A=1", "A-B=1", "A B=1", " A=1", "A.B=1", "Ä=1", "A\n=1"}
	for _, v := range controlText {
		bad = append(bad, "A="+v)
	}
	for _, kv := range bad {
		if err := CheckEnv(kv); err == nil || !isUsage(err) || !strings.Contains(err.Error(), "--env") {
			t.Errorf("CheckEnv(%q) = %v, want a usage error naming --env", kv, err)
		}
	}
}

// config.sh's command line refuses a control character in any value,
// naming runnerctl's flag; the hostile but printable values pass as they
// are (exec passes argv without a shell).
func TestConfigArgsRefusesControlCharacters(t *testing.T) {
	const url = "https://github.com/acme/app"
	for what, v := range controlText {
		for flag, c := range map[string]Config{
			"--url": {URL: url + v}, "--name": {URL: url, Name: "ci" + v}, "--labels": {URL: url, Labels: []string{"gpu", "l" + v}},
			"--runnergroup": {URL: url, Group: "g" + v}, "--work": {URL: url, Work: "w" + v},
		} {
			if _, err := c.Args(); err == nil || !isUsage(err) || !strings.Contains(err.Error(), flag+" ") {
				t.Errorf("%s in %s: Args() = %v, want a usage error naming %s", what, flag, err, flag)
			}
		}
	}
	for _, v := range inertText {
		if v == "" || strings.HasPrefix(v, "-") {
			continue // config.sh drops "" and values starting with '-' (TestConfigArgsRefuses)
		}
		args, err := Config{URL: url, Name: v, Group: v, Work: v}.Args()
		if err != nil {
			t.Errorf("Args() with %q: %v", v, err)
			continue
		}
		if want := []string{"--unattended", "--url", url, "--name", v, "--runnergroup", v, "--work", v}; !slices.Equal(args, want) {
			t.Errorf("Args() with %q = %q", v, args)
		}
	}
}
