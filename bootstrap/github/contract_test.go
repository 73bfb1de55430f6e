package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
)

// specPath is GitHub's OpenAPI description (GHES 3.22 subset) in the
// team's shared folder, beside the checkout; appSpecPath the App-auth
// endpoints' (api.github.com / GHEC subset).
var (
	specPath    = filepath.Join("..", "..", "..", "shared", "openapi", "ghes-3.22-runners.json")
	appSpecPath = filepath.Join("..", "..", "..", "shared", "openapi", "api.github.com-app-auth.json")
)

// contractChecker validates every request reaching the fake and every
// response it gives against the OpenAPI documents (the first that has
// the route).
type contractChecker struct {
	next    http.Handler
	docs    []*openapi3.T
	once    sync.Once
	routers []routers.Router
	base    string

	mu       sync.Mutex
	problems []string
	checked  map[string]int // "METHOD /path/template status" → count
}

func (c *contractChecker) fail(format string, args ...any) {
	c.mu.Lock()
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
	c.mu.Unlock()
}

func (c *contractChecker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/api/v3/") {
		c.next.ServeHTTP(w, r)
		return
	}
	c.once.Do(func() {
		for _, doc := range c.docs {
			doc.Servers = openapi3.Servers{{URL: c.base + "/api/v3"}}
			rt, err := gorillamux.NewRouter(doc)
			if err != nil {
				c.fail("router: %v", err)
			}
			c.routers = append(c.routers, rt)
		}
	})
	var route *routers.Route
	var params map[string]string
	err := errors.New("no document")
	for _, rt := range c.routers {
		if route, params, err = rt.FindRoute(r); err == nil {
			break
		}
	}
	if err != nil {
		c.fail("%s %s: not in the OpenAPI document: %v", r.Method, r.URL.Path, err)
		c.next.ServeHTTP(w, r)
		return
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		c.fail("request %s %s: %v", r.Method, r.URL.RequestURI(), err)
	}
	rec := httptest.NewRecorder()
	c.next.ServeHTTP(rec, r)
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.Code, Header: rec.Header(), Options: opts}
	out.SetBodyBytes(rec.Body.Bytes())
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		c.fail("response %d to %s %s: %v\n%s", rec.Code, r.Method, r.URL.RequestURI(), err, rec.Body.String())
	}
	c.mu.Lock()
	c.checked[fmt.Sprintf("%s %s %d", r.Method, route.Path, rec.Code)]++
	c.mu.Unlock()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// loadSpec reads an OpenAPI document of the shared folder.
func loadSpec(t *testing.T, path string) *openapi3.T {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the OpenAPI document is missing (%v): the contract test needs ../shared/openapi beside the checkout", err)
	}
	doc, err := openapi3.NewLoader().LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// checkedFake starts the fake behind a contractChecker of docs.
func checkedFake(docs ...*openapi3.T) (*githubtest.Server, *contractChecker) {
	srv := githubtest.NewUnstarted()
	chk := &contractChecker{next: srv.Config.Handler, docs: docs, checked: map[string]int{}}
	srv.Config.Handler = chk
	srv.Start()
	chk.base = srv.URL
	return srv, chk
}

// report fails on every problem seen and on every operation of doc
// that was not exercised with a validated response.
func (c *contractChecker) report(t *testing.T, doc *openapi3.T) {
	t.Helper()
	for _, p := range c.problems {
		t.Error(p)
	}
	ops := map[string]bool{}
	for k := range c.checked {
		f := strings.Fields(k)
		ops[f[0]+" "+f[1]] = true
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !ops[method+" "+path] {
				t.Errorf("operation %s %s was not exercised", method, path)
			}
		}
	}
	t.Logf("validated %d distinct operation/status pairs", len(c.checked))
}

func TestContractGHES322(t *testing.T) {
	doc := loadSpec(t, specPath)
	srv, chk := checkedFake(doc)
	defer srv.Close()
	exerciseClient(t, srv)
	chk.report(t, doc)
}

// The App endpoints (GET /app, the installation lookups, the
// installation token) as the client and doctor use them, and the runner
// endpoints with an installation token, against both documents.
func TestContractAppAuth(t *testing.T) {
	appDoc, runnersDoc := loadSpec(t, appSpecPath), loadSpec(t, specPath)
	srv, chk := checkedFake(appDoc, runnersDoc)
	defer srv.Close()
	key := testApp(t, srv)
	srv.AddInstallation(githubtest.Installation{AppID: testAppID, Account: "acme", Permissions: githubtest.AppPermissions})
	ctx := context.Background()
	for _, url := range []string{"/acme/app", "/acme"} {
		c, err := appConnect(t, srv, srv.URL+url, key, 0, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.RegistrationToken(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := c.app.Get(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// The refusals: a lookup where the App is not installed, an unknown
	// installation, a JWT from the future, and the enterprise lookup
	// (404: runnerctl never asks, it refuses Apps at enterprise scope).
	srv.AddScope("orgs/other")
	if c, _ := appConnect(t, srv, srv.URL+"/other", key, 0, nil, nil); c != nil {
		if _, err := c.ListRunners(ctx, ""); !errors.Is(err, ErrNotFound) {
			t.Fatalf("not installed: %v", err)
		}
	}
	if c, _ := appConnect(t, srv, srv.URL+"/acme", key, 777, nil, nil); c != nil {
		if _, err := c.ListRunners(ctx, ""); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown installation: %v", err)
		}
	}
	ent, _ := ParseTarget(srv.URL+"/enterprises/big", "")
	org, _ := ParseTarget(srv.URL+"/acme", "")
	cfg, err := Credentials{AppID: testAppID, AppKeyFile: key}.AppConfig(org, nil)
	if err != nil {
		t.Fatal(err)
	}
	app := NewApp(*cfg, org, http.DefaultTransport, "test", nil, nil)
	app.target = ent // what FindInstallation refuses to ask
	var in Installation
	if err := app.jwtCall(ctx, "find enterprise installation", "enterprises/big/installation", &in); !errors.Is(err, ErrNotFound) {
		t.Fatalf("enterprise installation: %v", err)
	}
	srv.SetClock(func() time.Time { return time.Now().Add(-time.Hour) })
	if _, err := NewApp(*cfg, org, http.DefaultTransport, "test", nil, nil).Token(ctx); !errors.Is(err, ErrAuth) {
		t.Fatalf("future JWT: %v", err)
	}
	chk.report(t, appDoc)
}
