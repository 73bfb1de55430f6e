package main

// The layering rules of design.md ("Architecture"), checked on what the Go
// tool says the packages import, for every platform runnerctl ships (as
// tailscale's deps tests do): the rules are about non-test code, so a
// package's test files may import what its code may not.

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
)

const modPath = "github.com/runnerctl/runnerctl"

// shipped are the GOOS/GOARCH pairs runnerctl is released for.
var shipped = [][2]string{
	{"linux", "amd64"}, {"linux", "arm64"}, {"linux", "arm"},
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"windows", "amd64"}, {"windows", "arm64"},
}

// thirdParty says which one of our packages imports each third-party
// module ("" is main). A module not listed must still have exactly one
// importer; list it here when it is added. golang.org/x/sys is the OS
// interface itself (the Go team's extension of syscall): the OS-facing
// leaf (platform: ACLs, file locks, *at calls) and the service package
// (the Windows SCM through svc/mgr) both use it, and nothing else does.
var thirdParty = map[string]string{
	"github.com/urfave/cli/v2":                   "",
	"github.com/kardianos/service":               "service",
	"github.com/prometheus/client_golang":        "service", // /metrics (supervisor)
	"golang.org/x/sys":                           "platform,service",
	"github.com/google/go-github/v89":            "bootstrap/github",
	"github.com/hashicorp/go-retryablehttp":      "bootstrap/github",
	"github.com/bradleyfalzon/ghinstallation/v2": "bootstrap/github", // GitHub App JWTs and installation tokens
	"github.com/google/go-github/v88":            "bootstrap/github", // ghinstallation's types (its token options)
	"golang.org/x/net":                           "bootstrap/github", // http/httpproxy
	"github.com/mholt/archives":                  "bootstrap/archive",
	"gopkg.in/yaml.v3":                           "bootstrap/config",
}

// leaves import nothing of ours.
var leaves = []string{"platform", "bootstrap/failure", "bootstrap/secret"}

// testOnly are libraries only tests use: never in the binary.
var testOnly = []string{"testing", "net/http/httptest", "github.com/rogpeppe/go-internal", "github.com/getkin/kin-openapi"}

type listedPkg struct {
	ImportPath string
	Standard   bool
	Imports    []string
	Module     *struct{ Path string }
	Error      *struct{ Err string }
}

// goList runs `go list -deps -json args...` for goos/goarch.
func goList(t *testing.T, goos, goarch string, args ...string) map[string]*listedPkg {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-deps", "-json"}, args...)...)
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s/%s: %v\n%s", goos, goarch, err, stderr.String())
	}
	pkgs := map[string]*listedPkg{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p listedPkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list %s/%s: decode: %v", goos, goarch, err)
		}
		if p.Error != nil {
			t.Fatalf("go list %s/%s: %s: %s", goos, goarch, p.ImportPath, p.Error.Err)
		}
		pkgs[p.ImportPath] = &p
	}
	return pkgs
}

// rel is an import path of ours relative to the module ("" for main), and
// whether it is ours.
func rel(path string) (string, bool) {
	if path == modPath {
		return "", true
	}
	r, ok := strings.CutPrefix(path, modPath+"/")
	return r, ok
}

// isDouble reports whether one of our packages is a test double: a path
// element named *test (githubtest, runnertest, platformtest) or below one
// (runnertest/fakelistener).
func isDouble(r string) bool {
	for _, el := range strings.Split(r, "/") {
		if strings.HasSuffix(el, "test") {
			return true
		}
	}
	return false
}

func under(r, prefix string) bool { return r == prefix || strings.HasPrefix(r, prefix+"/") }

// reach returns what from imports, directly or not (from excluded).
func reach(pkgs map[string]*listedPkg, from string) map[string]bool {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(p string) {
		lp := pkgs[p]
		if lp == nil {
			return
		}
		for _, imp := range lp.Imports {
			if !seen[imp] {
				seen[imp] = true
				walk(imp)
			}
		}
	}
	walk(from)
	return seen
}

func name(r string) string {
	if r == "" {
		return "main"
	}
	return r
}

func TestLayering(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("skipped: the go tool is not on PATH")
	}
	for _, pl := range shipped {
		goos, goarch := pl[0], pl[1]
		t.Run(goos+"-"+goarch, func(t *testing.T) {
			t.Parallel()
			pkgs := goList(t, goos, goarch, "./...")
			checkLayering(t, pkgs)
			checkBinary(t, goList(t, goos, goarch, "."))
		})
	}
}

// checkLayering checks the import rules on every package of ours.
func checkLayering(t *testing.T, pkgs map[string]*listedPkg) {
	t.Helper()
	var ours []string
	for p := range pkgs {
		if _, ok := rel(p); ok {
			ours = append(ours, p)
		}
	}
	sort.Strings(ours)
	for _, want := range []string{"", "platform", "service", "bootstrap", "bootstrap/github", "bootstrap/runner"} {
		if pkgs[strings.TrimSuffix(modPath+"/"+want, "/")] == nil {
			t.Fatalf("go list did not list %s: the test looks at the wrong tree", name(want))
		}
	}
	importers := map[string][]string{} // third-party module → our importers
	for _, p := range ours {
		r, _ := rel(p)
		for _, imp := range pkgs[p].Imports {
			ir, mine := rel(imp)
			switch {
			case mine:
				// platform and the other leaves import nothing of ours; platformtest may import platform.
				for _, leaf := range leaves {
					if r == leaf {
						t.Errorf("%s imports %s: it is a leaf and imports nothing of ours", r, name(ir))
					}
				}
				if r == "platform/platformtest" && ir != "platform" {
					t.Errorf("platform/platformtest imports %s: it may import platform only", name(ir))
				}
				// A test double is imported only by test doubles, tests and
				// the dev tools under scripts/ (the demo, the fake GHES).
				if isDouble(ir) && !isDouble(r) && !under(r, "scripts") {
					t.Errorf("%s imports the test double %s", name(r), ir)
				}
			case pkgs[imp] != nil && !pkgs[imp].Standard && pkgs[imp].Module != nil:
				m := pkgs[imp].Module.Path
				if !slices.Contains(importers[m], r) {
					importers[m] = append(importers[m], r)
				}
			}
		}
		// bootstrap and service do not import each other, directly or not.
		for dep := range reach(pkgs, p) {
			dr, mine := rel(dep)
			if !mine {
				continue
			}
			if under(r, "service") && under(dr, "bootstrap") {
				t.Errorf("%s imports %s (bootstrap and service do not import each other: main joins them)", r, dr)
			}
			if under(r, "bootstrap") && under(dr, "service") {
				t.Errorf("%s imports %s (bootstrap and service do not import each other: bootstrap declares the interface it needs)", r, dr)
			}
		}
	}
	// Each third-party module has one importing package among ours.
	for m, by := range importers {
		sort.Strings(by)
		names := make([]string, len(by))
		for i, b := range by {
			names[i] = name(b)
		}
		if want, ok := thirdParty[m]; ok && strings.Contains(want, ",") {
			allowed := strings.Split(want, ",")
			if !slices.ContainsFunc(by, func(b string) bool { return !slices.Contains(allowed, b) }) {
				continue // all (or, on this platform, some) of the allowed importers
			}
			t.Errorf("third-party module %s is imported by %s, want only %s", m, strings.Join(names, ", "), want)
			continue
		}
		if len(by) != 1 {
			t.Errorf("third-party module %s is imported by %d packages of ours (%s): one package wraps it, the others use that one", m, len(by), strings.Join(names, ", "))
			continue
		}
		if want, ok := thirdParty[m]; ok && by[0] != want {
			t.Errorf("third-party module %s is imported by %s, want %s only", m, names[0], name(want))
		}
	}
}

// checkBinary checks what runnerctl links: no test double, no test-only library.
func checkBinary(t *testing.T, pkgs map[string]*listedPkg) {
	t.Helper()
	if pkgs[modPath] == nil || pkgs[modPath+"/bootstrap/github"] == nil {
		t.Fatalf("go list -deps . does not list runnerctl and bootstrap/github: the test looks at the wrong tree")
	}
	for p, lp := range pkgs {
		if r, mine := rel(p); mine && isDouble(r) {
			t.Errorf("runnerctl links the test double %s", p)
		}
		for _, bad := range testOnly {
			if p == bad || strings.HasPrefix(p, bad+"/") || (lp.Module != nil && lp.Module.Path == bad) {
				t.Errorf("runnerctl links %s, which only tests may use", p)
			}
		}
	}
}
