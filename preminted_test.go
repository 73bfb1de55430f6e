package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
)

// ghesPremintedCmd is the part of ghesCmd for hosts without an API
// credential (rest-requests, jit, stop, no-string).
func ghesPremintedCmd(ts *testscript.TestScript, srv *githubtest.Server, args []string) {
	switch args[0] {
	case "rest-requests":
		var rest []string
		for _, r := range srv.Requests() {
			if r.Path != "/api/v3/actions/runner-registration" && !strings.HasPrefix(r.Path, "/_runner/") {
				rest = append(rest, r.Method+" "+r.Path)
			}
		}
		if n, err := strconv.Atoi(args[1]); err != nil || len(rest) != n {
			ts.Fatalf("fake GHES saw %d requests besides the runner's own, want %s: %v", len(rest), args[1], rest)
		}
	case "jit":
		enc, err := srv.MintJIT(args[1], args[2], "self-hosted", "jit")
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(args[3]), []byte(enc+"\n"), 0o600))
	case "stop":
		srv.Close()
	case "no-string":
		sec, err := os.ReadFile(ts.MkAbs(args[1]))
		ts.Check(err)
		needle := strings.TrimSpace(string(sec))
		if len(needle) < 8 {
			ts.Fatalf("%s holds no secret to look for", args[1])
		}
		for _, root := range args[2:] {
			ts.Check(filepath.WalkDir(ts.MkAbs(root), func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() || !d.Type().IsRegular() {
					return err
				}
				b, err := os.ReadFile(p)
				if err == nil && strings.Contains(string(b), needle) {
					ts.Fatalf("%s holds the content of %s", p, args[1])
				}
				return err
			}))
		}
	}
}
