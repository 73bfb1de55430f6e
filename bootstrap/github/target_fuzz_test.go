package github

import (
	"net/url"
	"strings"
	"testing"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
)

// FuzzParseTarget: any --url / --api-url either is a usage error or gives
// a Target whose URL is canonical (parsing it again gives the same
// Target: the record's URL, re-parsed by uninstall and status, names the
// same scope), whose names are single path segments that GitHub could
// have made, and whose API paths stay under the API base.
func FuzzParseTarget(f *testing.F) {
	for _, tt := range []struct{ in, api string }{
		{"https://github.com/octo/hello", ""},
		{"https://github.com/octo/hello.git/", ""},
		{"https://github.com/acme", ""},
		{"https://github.com/enterprises/big", ""},
		{"https://octo.ghe.com/acme", ""},
		{"https://ghes.example.com/acme/app", ""},
		{"http://127.0.0.1:8080/acme", ""},
		{"https://[::1]:8443/acme/app", ""},
		{"https://ghes.example.com/acme", "https://api.internal:8443/v3"},
		{"https://GitHub.com/Acme/App.git", ""},
		{"https://github.com/a/b/c", ""},
		{"https://user@github.com/acme", ""},
		{"https://github.com/acme?x=1", ""},
		{"https://github.com/acme/..git", ""},
		{"https://github.com/ac%2Fme", ""},
		{" https://github.com/acme ", ""},
	} {
		f.Add(tt.in, tt.api)
	}
	f.Fuzz(func(t *testing.T, raw, api string) {
		tg, err := ParseTarget(raw, api)
		if err != nil {
			if failure.KindOf(err) != failure.Usage {
				t.Fatalf("ParseTarget(%q, %q): %v is not a usage error", raw, api, err)
			}
			return
		}
		checkTarget(t, raw, tg)
		again, err := ParseTarget(tg.URL, api)
		if err != nil {
			t.Fatalf("ParseTarget(%q) accepted, its URL %q refused: %v", raw, tg.URL, err)
		}
		if again.URL != tg.URL || again.Kind != tg.Kind || again.Owner != tg.Owner || again.Repo != tg.Repo ||
			again.Org != tg.Org || again.Enterprise != tg.Enterprise || again.APIBase.String() != tg.APIBase.String() {
			t.Fatalf("ParseTarget(%q) = %+v, but its URL %q parses to %+v", raw, tg, tg.URL, again)
		}
	})
}

// checkTarget asserts what every accepted Target must be.
func checkTarget(t *testing.T, raw string, tg Target) {
	t.Helper()
	names := map[ScopeKind][]string{Repository: {tg.Owner, tg.Repo}, Organization: {tg.Org}, Enterprise: {tg.Enterprise}}[tg.Kind]
	if names == nil {
		t.Fatalf("ParseTarget(%q): kind %v", raw, tg.Kind)
	}
	for _, n := range names {
		if n == "" || n == "." || n == ".." || strings.ContainsAny(n, "/\\?#%") || strings.ContainsFunc(n, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
			t.Fatalf("ParseTarget(%q): name %q is not one plain path segment", raw, n)
		}
	}
	if strings.HasSuffix(tg.URL, "/") || !strings.HasPrefix(tg.URL, "http") {
		t.Fatalf("ParseTarget(%q): URL %q", raw, tg.URL)
	}
	if !strings.HasSuffix(tg.APIBase.Path, "/") || (tg.APIBase.Scheme != "https" && tg.APIBase.Scheme != "http") || tg.APIBase.Host == "" {
		t.Fatalf("ParseTarget(%q): API base %q", raw, tg.APIBase)
	}
	// The runner endpoints, resolved against the base as go-github does,
	// stay the target's: no dot segment moves them elsewhere.
	rel, err := url.Parse(tg.runnersPath())
	if err != nil {
		t.Fatalf("ParseTarget(%q): runners path %q: %v", raw, tg.runnersPath(), err)
	}
	got := tg.APIBase.ResolveReference(rel).Path
	want := tg.APIBase.Path + map[ScopeKind]string{Repository: "repos/" + tg.Owner + "/" + tg.Repo, Organization: "orgs/" + tg.Org, Enterprise: "enterprises/" + tg.Enterprise}[tg.Kind] + "/actions/runners"
	if got != want {
		t.Fatalf("ParseTarget(%q): the runner endpoints resolve to %q, want %q", raw, got, want)
	}
	if s := tg.ScopeName(); s == "" || strings.Trim(s, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._-") != "" {
		t.Fatalf("ParseTarget(%q): scope name %q", raw, s)
	}
}
