package platform

import (
	"slices"
	"strings"
	"testing"
)

// Only the allow-list reaches the runner: whatever credentials the caller
// holds (sudo -E keeps them) never do, in any case spelling.
func TestChildEnv(t *testing.T) {
	secrets := map[string]string{
		"GH_TOKEN": "s-gh", "GITHUB_TOKEN": "s-github", "github_token": "s-lower",
		"AWS_SECRET_ACCESS_KEY": "s-aws", "AWS_ACCESS_KEY_ID": "s-awsid", "VAULT_TOKEN": "s-vault",
		"RUNNERCTL_ACCESS_TOKEN": "s-runnerctl", "RUNNERCTL_URL": "s-url",
		"ACTIONS_RUNNER_INPUT_TOKEN": "s-input", "ACTIONS_RUNNER_INPUT_URL": "s-inputurl",
		"PATHEXTRA": "s-prefix", "XPATH": "s-suffix", "LCX_ALL": "s-lc", "KEEP_ME": "s-plain",
		"RUNNER_ALLOW_RUNASROOT": "s-dropped",
	}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	kept := map[string]string{
		"PATH": "/usr/bin:/bin", "HOME": "/root", "USER": "root", "LOGNAME": "root", "SHELL": "/bin/sh",
		"LANG": "C.UTF-8", "LANGUAGE": "en", "LC_ALL": "C.UTF-8", "LC_TIME": "C", "TZ": "UTC", "TMPDIR": "/tmp",
		"http_proxy": "http://p:3128", "HTTPS_PROXY": "http://p:3129", "no_proxy": "localhost", "ALL_PROXY": "socks5://p",
		"SSL_CERT_FILE": "/ca.pem", "SSL_CERT_DIR": "/ca", "NODE_EXTRA_CA_CERTS": "/node-ca.pem",
	}
	for k, v := range kept {
		t.Setenv(k, v)
	}
	env := ChildEnv("RUNNER_ALLOW_RUNASROOT", "tz")
	joined := strings.Join(env, "\n")
	for k, v := range secrets {
		if strings.Contains(joined, v) {
			t.Errorf("%s reached the child environment", k)
		}
	}
	for k, v := range kept {
		if k == "TZ" {
			if slices.Contains(env, k+"="+v) {
				t.Error("TZ is on the drop list (as tz) and was kept")
			}
			continue
		}
		if !slices.Contains(env, k+"="+v) {
			t.Errorf("%s=%s was dropped", k, v)
		}
	}
}

func TestChildEnvAllowed(t *testing.T) {
	for _, k := range []string{"PATH", "LC_CTYPE", "https_proxy", "HTTPS_PROXY", "NODE_EXTRA_CA_CERTS"} {
		if !childEnvAllowed(k) {
			t.Errorf("%s is not allowed", k)
		}
	}
	for _, k := range []string{"GH_TOKEN", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "VAULT_TOKEN", "RUNNERCTL_TOKEN",
		"ACTIONS_RUNNER_INPUT_TOKEN", "LD_PRELOAD", "NODE_OPTIONS", "BASH_ENV", "ENV", "PATH2", "LC", ""} {
		if childEnvAllowed(k) {
			t.Errorf("%s is allowed", k)
		}
	}
	// Windows names are case-insensitive there; elsewhere path is not PATH.
	if got := childEnvAllowed("path"); got != envFoldCase {
		t.Errorf("path allowed = %v, want %v", got, envFoldCase)
	}
}
