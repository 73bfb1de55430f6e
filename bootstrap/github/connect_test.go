package github

import (
	"strings"
	"testing"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
)

// Plain http is refused for a web URL or API base that is not loopback
// (the PAT, and the registration token config.sh sends to the web URL,
// would cross the network in clear) unless --insecure-http; the error
// names the flag. Loopback and https pass.
func TestConnectRefusesPlainHTTP(t *testing.T) {
	creds := Credentials{Getenv: func(k string) string {
		if k == "RUNNERCTL_ACCESS_TOKEN" {
			return "ghp_test"
		}
		return ""
	}}
	for _, c := range []struct {
		url, api string
		insecure bool
		want     string // "" accepted
	}{
		{"https://ghes.example/acme", "", false, ""},
		{"http://127.0.0.1:8080/acme", "", false, ""},
		{"http://localhost:8080/acme/app", "", false, ""},
		{"http://[::1]:8080/acme", "", false, ""},
		{"http://ghes.example/acme", "", false, "--url http://ghes.example/acme is plain http to a host that is not loopback"},
		{"http://127.0.0.2.example/acme", "", false, "is plain http to a host that is not loopback"},
		{"https://ghes.example/acme", "http://ghes.example/api/v3", false, "--api-url http://ghes.example/api/v3/ is plain http"},
		{"http://127.0.0.1/acme", "http://10.0.0.1/api/v3", false, "--api-url http://10.0.0.1/api/v3/ is plain http"},
		{"http://ghes.example/acme", "", true, ""},
		{"https://ghes.example/acme", "http://ghes.example/api/v3", true, ""},
	} {
		_, err := Connect(ConnectOptions{URL: c.url, APIURL: c.api, Credentials: creds, InsecureHTTP: c.insecure})
		if c.want == "" {
			if err != nil {
				t.Errorf("%s %s: %v", c.url, c.api, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "pass --insecure-http") || failure.KindOf(err) != failure.Usage {
			t.Errorf("%s %s: err %v, want a usage error with %q naming --insecure-http", c.url, c.api, err, c.want)
		}
	}
}
