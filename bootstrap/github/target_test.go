package github

import (
	"strings"
	"testing"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in, api                 string
		kind                    ScopeKind
		url, base, scope, runPa string
	}{
		{"https://github.com/octo/hello", "", Repository, "https://github.com/octo/hello", "https://api.github.com/", "octo-hello", "repos/octo/hello/actions/runners"},
		{"https://github.com/octo/hello.git/", "", Repository, "https://github.com/octo/hello", "https://api.github.com/", "octo-hello", "repos/octo/hello/actions/runners"},
		{"https://github.com/acme", "", Organization, "https://github.com/acme", "https://api.github.com/", "acme", "orgs/acme/actions/runners"},
		{"https://github.com/enterprises/big", "", Enterprise, "https://github.com/enterprises/big", "https://api.github.com/", "enterprises-big", "enterprises/big/actions/runners"},
		{"https://octo.ghe.com/acme", "", Organization, "https://octo.ghe.com/acme", "https://api.octo.ghe.com/", "acme", "orgs/acme/actions/runners"},
		{"https://ghes.example.com/acme/app", "", Repository, "https://ghes.example.com/acme/app", "https://ghes.example.com/api/v3/", "acme-app", "repos/acme/app/actions/runners"},
		{"http://127.0.0.1:8080/acme", "", Organization, "http://127.0.0.1:8080/acme", "http://127.0.0.1:8080/api/v3/", "acme", "orgs/acme/actions/runners"},
		{"https://ghes.example.com/acme", "https://api.internal:8443/v3", Organization, "https://ghes.example.com/acme", "https://api.internal:8443/v3/", "acme", "orgs/acme/actions/runners"},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.in, tt.api)
		if err != nil {
			t.Errorf("ParseTarget(%q): %v", tt.in, err)
			continue
		}
		if got.Kind != tt.kind || got.URL != tt.url || got.APIBase.String() != tt.base || got.ScopeName() != tt.scope || got.runnersPath() != tt.runPa {
			t.Errorf("ParseTarget(%q) = %v %q %q %q %q", tt.in, got.Kind, got.URL, got.APIBase, got.ScopeName(), got.runnersPath())
		}
	}
}

func TestParseTargetRejects(t *testing.T) {
	for _, in := range []string{
		"", "github.com/acme", "ftp://github.com/acme", "https://github.com", "https://github.com/",
		"https://github.com/a/b/c", "https://github.com/enterprises", "https://github.com/acme?x=1",
		"https://user@github.com/acme", "https://github.com/a//b", "https://github.com/../x",
	} {
		_, err := ParseTarget(in, "")
		if err == nil {
			t.Errorf("ParseTarget(%q): no error", in)
			continue
		}
		if failure.KindOf(err) != failure.Usage || !strings.Contains(err.Error(), "https://HOST/enterprises/SLUG") {
			t.Errorf("ParseTarget(%q): %v (kind %v)", in, err, failure.KindOf(err))
		}
	}
	if _, err := ParseTarget("https://github.com/acme", "not a url"); failure.KindOf(err) != failure.Usage {
		t.Errorf("bad --api-url: %v", err)
	}
}
