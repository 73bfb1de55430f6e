package github

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
)

// specPath is GitHub's OpenAPI description (GHES 3.22 subset) in the
// team's shared folder, beside the checkout.
var specPath = filepath.Join("..", "..", "..", "shared", "openapi", "ghes-3.22-runners.json")

// contractChecker validates every request reaching the fake and every
// response it gives against the OpenAPI document.
type contractChecker struct {
	next   http.Handler
	doc    *openapi3.T
	once   sync.Once
	router routers.Router
	base   string

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
		c.doc.Servers = openapi3.Servers{{URL: c.base + "/api/v3"}}
		var err error
		if c.router, err = gorillamux.NewRouter(c.doc); err != nil {
			c.fail("router: %v", err)
		}
	})
	route, params, err := c.router.FindRoute(r)
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

func TestContractGHES322(t *testing.T) {
	if _, err := os.Stat(specPath); err != nil {
		t.Fatalf("the OpenAPI document is missing (%v): the contract test needs ../shared/openapi beside the checkout", err)
	}
	doc, err := openapi3.NewLoader().LoadFromFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	srv := githubtest.NewUnstarted()
	chk := &contractChecker{next: srv.Config.Handler, doc: doc, checked: map[string]int{}}
	srv.Config.Handler = chk
	srv.Start()
	defer srv.Close()
	chk.base = srv.URL

	exerciseClient(t, srv)

	for _, p := range chk.problems {
		t.Error(p)
	}
	// Every operation of the document was exercised, with a validated response.
	ops := map[string]bool{}
	for k := range chk.checked {
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
	t.Logf("validated %d distinct operation/status pairs", len(chk.checked))
}
