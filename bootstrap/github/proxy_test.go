package github

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/runnerctl/runnerctl/bootstrap/secret"
)

// --https-proxy / --http-proxy (also from the config file) route
// runnerctl's own requests, whatever the environment says; --no-proxy
// exempts hosts. The proxy here answers for the GHES itself.
func TestProxy(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.String())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"total_count":0,"runners":[]}`))
	}))
	defer proxy.Close()
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1") // ignored: the flags decide
	t.Setenv("http_proxy", "http://127.0.0.1:1")
	tgt, err := ParseTarget("http://ghes.invalid/acme", "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{Target: tgt, Token: secret.New("ghp_x123456"), Proxy: Proxy{HTTP: proxy.URL}, Retry: fastPolicy()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListRunners(context.Background(), ""); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	want := "GET http://ghes.invalid/api/v3/orgs/acme/actions/runners?per_page=100"
	if !slices.Contains(seen, want) {
		t.Fatalf("the proxy saw %q, want %q", seen, want)
	}

	// no-proxy: the request goes direct (and fails: the host does not exist).
	seen = nil
	c, err = New(Options{Target: tgt, Token: secret.New("ghp_x123456"), Proxy: Proxy{HTTP: proxy.URL, No: ".invalid"}, Retry: fastPolicy()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListRunners(context.Background(), ""); err == nil || len(seen) != 0 {
		t.Fatalf("with no-proxy: err %v, proxy saw %q", err, seen)
	}
}

// The runner's .env gets the same settings, in the variables it honours.
func TestProxyEnv(t *testing.T) {
	got := Proxy{HTTPS: "http://p:3128", No: "a,b"}.Env()
	if !slices.Equal(got, []string{"https_proxy=http://p:3128", "no_proxy=a,b"}) {
		t.Fatalf("Env() = %q", got)
	}
}
