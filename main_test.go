package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/bootstrap/runner/runnertest"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		// The scripts never read this host's /etc/runnerctl/config.yaml:
		// the default config file is the one the script names (or none).
		"runnerctl": func() {
			os.Exit(runEnv(&cmdEnv{stdout: os.Stdout, stderr: os.Stderr, redactor: &secret.Redactor{}, defaultConfig: os.Getenv("RUNNERCTL_TEST_DEFAULT_CONFIG")}, os.Args))
		},
	})
}

// TestScripts runs testdata/script/*.txtar against the runnerctl binary
// (this test binary re-executed as runnerctl) and a fresh fake GHES per
// script, reachable as $GHES with the PAT in $GHES_TOKEN.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			srv := githubtest.New()
			e.Defer(srv.Close)
			e.Values["ghes"] = srv
			e.Setenv("GHES", srv.URL)
			e.Setenv("GHES_TOKEN", githubtest.Token)
			e.Setenv("RUNNERCTL_TEST_DEFAULT_CONFIG", filepath.Join(e.WorkDir, "default-config.yaml"))
			e.Setenv("RUNNERCTL_ACCESS_TOKEN", "")
			e.Setenv("GITHUB_TOKEN", "")
			e.Setenv("RUNNERCTL_STATE_DIR", filepath.Join(e.WorkDir, "state"))
			origin := githubtest.NewOrigin()
			e.Defer(origin.Close)
			e.Values["origin"] = origin
			pkg, err := buildTestPackage(e.WorkDir)
			if err != nil {
				return err
			}
			publishEverywhere(srv, origin, pkg, "")
			sum := sha256.Sum256(pkg)
			e.Setenv("PKG_SHA256", hex.EncodeToString(sum[:]))
			return os.WriteFile(filepath.Join(e.WorkDir, "actions-runner-linux-x64-2.336.0.tar.gz"), pkg, 0o644)
		},
		Cmds: scriptCmds,
	})
}

// scriptCmds are the custom commands of both script suites.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"ghes": ghesCmd, "origin": originCmd, "exits": exitsCmd, "distinct-inodes": distinctInodesCmd,
}

// distinctInodesCmd checks that no two of the files are the same file
// (hard links): distinct-inodes FILE...
func distinctInodesCmd(ts *testscript.TestScript, neg bool, args []string) {
	var seen []os.FileInfo
	for _, f := range args {
		fi, err := os.Stat(ts.MkAbs(f))
		ts.Check(err)
		for i, o := range seen {
			if os.SameFile(fi, o) != neg {
				ts.Fatalf("%s and %s: same file %t", args[i], f, !neg)
			}
		}
		seen = append(seen, fi)
	}
}

// exitsCmd runs a program and checks its exit status, which `! exec`
// does not (it accepts any non-zero code):
//
//	exits CODE PROG [ARG...]     PROG exits with CODE; its stdout and stderr are kept for stdout/stderr
func exitsCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROG [ARG...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// TestLifecycle runs testdata/lifecycle/*.txtar: install, run, status and
// uninstall against a fake GHES that serves the fake runner package of
// bootstrap/runner/runnertest (built once, with go build and tar). Runners
// heartbeat every 100 ms. The scripts use --no-service and start
// `runnerctl run` themselves; the real service managers are exercised by
// service/e2e_test.go.
func TestLifecycle(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("skipped: the go tool is not on PATH, so the fake runner package cannot be built")
	}
	pkg, err := runnertest.Build(context.Background(), t.TempDir(), runnertest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(pkg.Path)
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/lifecycle",
		Setup: func(e *testscript.Env) error {
			srv := githubtest.New()
			e.Defer(srv.Close)
			srv.SetHeartbeat(100 * time.Millisecond)
			e.Values["ghes"] = srv
			e.Setenv("GHES", srv.URL)
			e.Setenv("GHES_TOKEN", githubtest.Token)
			e.Setenv("RUNNERCTL_TEST_DEFAULT_CONFIG", filepath.Join(e.WorkDir, "default-config.yaml"))
			e.Setenv("RUNNERCTL_ACCESS_TOKEN", githubtest.Token)
			e.Setenv("GITHUB_TOKEN", "")
			e.Setenv("RUNNERCTL_CACHE_DIR", filepath.Join(e.WorkDir, "cache"))
			e.Setenv("RUNNERCTL_STATE_DIR", filepath.Join(e.WorkDir, "state"))
			e.Setenv("FAKE_PKG", pkg.Path)
			e.Setenv("FAKE_SHA256", pkg.SHA256)
			origin := githubtest.NewOrigin()
			e.Defer(origin.Close)
			e.Values["origin"] = origin
			publishEverywhere(srv, origin, data, "")
			return nil
		},
		Cmds:      scriptCmds,
		Condition: rootCondition,
	})
}

// rootCondition adds [root]: the script runs as root.
func rootCondition(cond string) (bool, error) {
	if cond == "root" {
		return os.Geteuid() == 0, nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}

// ghesCmd drives the fake from a script:
//
//	ghes seed SCOPE COUNT PREFIX STATUS [LABEL,...]   add runners
//	ghes busy SCOPE NAME                              mark a runner online and busy
//	ghes fault STATUS [Header=Value ...]              queue a canned response
//	ghes reset-conn                                   queue a dropped connection
//	ghes requests N                                   exactly N API requests so far
//	ghes gap SECONDS                                  the last two requests are at least SECONDS apart
//	ghes runners SCOPE N                              exactly N runners registered in SCOPE
//	ghes clear                                        forget the request log
//	ghes online SCOPE NAME [LABEL,...]                wait (10 s) until NAME is online, with these custom labels
//	ghes offline SCOPE NAME                           wait (10 s) until NAME is offline
//	ghes never-ran SCOPE NAME                         NAME is registered and no listener ever heartbeated for it
//	ghes idle|busy-now SCOPE NAME                     wait (10 s) until NAME is online and idle | busy
//	ghes refuse NAME                                  refuse registrations of NAME
//	ghes fail-after-register NAME                     register NAME, then answer config.sh with a 500
//	ghes hold-offline NAME                            keep NAME offline even while it heartbeats
//	ghes minimum VERSION                              refuse runners older than VERSION (registration and messages)
//	ghes expire-next N                                the next N minted tokens are already expired
//	ghes exit SCOPE NAME CODE                         the listener of NAME exits with CODE at its next heartbeat
//	ghes job SCOPE NAME                               queue a job for NAME
//	ghes no-secrets FILE...                           no PAT or minted token appears in these files
//	ghes app ID KEYFILE ACCOUNT [PERM=LEVEL,...]       register GitHub App ID (its new key written to KEYFILE, 0600), installed on ACCOUNT with these permissions (default: both runner permissions)
//	ghes rest-requests N                              exactly N requests so far that were not the runner's own (config.sh, the listener)
//	ghes jit SCOPE NAME FILE                          mint a JIT config for NAME (as an orchestrator would) into FILE (0600)
//	ghes stop                                         shut the fake down (a server that is unreachable)
//	ghes no-string SECRETFILE FILE...                 the content of SECRETFILE appears in none of FILE... (a directory: any file under it)
func ghesCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("ghes does not support !")
	}
	srv := ts.Value("ghes").(*githubtest.Server)
	if len(args) == 0 {
		ts.Fatalf("usage: ghes seed|busy|fault|reset-conn|requests|gap|runners|clear ...")
	}
	atoi := func(s string) int {
		n, err := strconv.Atoi(s)
		ts.Check(err)
		return n
	}
	switch args[0] {
	case "seed":
		req := githubtest.SeedRequest{Scope: args[1], Count: atoi(args[2]), NamePrefix: args[3], Status: args[4]}
		if len(args) > 5 {
			req.Labels = strings.Split(args[5], ",")
		}
		srv.Seed(req)
	case "busy":
		for _, r := range srv.Runners(args[1]) {
			if r.Name == args[2] {
				srv.SetRunnerStatus(r.ID, "online", true)
			}
		}
	case "fault":
		f := githubtest.Fault{Status: atoi(args[1]), Header: map[string]string{}}
		for _, kv := range args[2:] {
			k, v, _ := strings.Cut(kv, "=")
			if k == "path" { // path=SUFFIX: the first request to a path ending so
				f.PathSuffix = v
				continue
			}
			f.Header[k] = v
		}
		if f.Status == 403 || f.Status == 429 {
			f.Body = `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`
		}
		srv.PushFault(f)
	case "reset-conn":
		srv.PushFault(githubtest.Fault{Reset: true})
	case "requests":
		if got := len(srv.Requests()); got != atoi(args[1]) {
			ts.Fatalf("fake GHES saw %d API requests, want %s", got, args[1])
		}
	case "gap":
		reqs := srv.Requests()
		if len(reqs) < 2 {
			ts.Fatalf("fewer than two requests")
		}
		gap := reqs[len(reqs)-1].Time.Sub(reqs[len(reqs)-2].Time)
		want := time.Duration(atoi(args[1])) * time.Second
		if gap < want {
			ts.Fatalf("last two requests %v apart, want at least %v", gap, want)
		}
		ts.Logf("last two requests %v apart", gap.Round(time.Millisecond))
	case "runners":
		if got := len(srv.Runners(args[1])); got != atoi(args[2]) {
			ts.Fatalf("%s has %d runners, want %s", args[1], got, args[2])
		}
	case "clear":
		srv.ResetRequests()
	case "online", "offline", "idle", "busy-now":
		deadline := time.Now().Add(10 * time.Second)
		for {
			var found *githubtest.Runner
			for _, r := range srv.Runners(args[1]) {
				if r.Name == args[2] {
					found = &r
				}
			}
			want, busy := args[0], false
			switch args[0] {
			case "idle":
				want = "online"
			case "busy-now":
				want, busy = "online", true
			}
			if found != nil && found.Status == want && found.Busy == busy {
				if len(args) > 3 && strings.Join(found.Labels, ",") != args[3] {
					ts.Fatalf("%s has labels %v, want %s", args[2], found.Labels, args[3])
				}
				return
			}
			if time.Now().After(deadline) {
				ts.Fatalf("runner %s in %s is not %s after 10 s: %+v", args[2], args[1], args[0], found)
			}
			time.Sleep(50 * time.Millisecond)
		}
	case "never-ran":
		var found *githubtest.Runner
		for _, r := range srv.Runners(args[1]) {
			if r.Name == args[2] {
				found = &r
			}
		}
		if found == nil || !found.LastSeen.IsZero() || found.Status != "offline" {
			ts.Fatalf("runner %s in %s: want registered, offline, never seen: %+v", args[2], args[1], found)
		}
	case "set-labels": // as the UI would: scope, runner name, labels
		for _, r := range srv.Runners(args[1]) {
			if r.Name == args[2] {
				srv.SetLabels(r.ID, strings.Split(args[3], ","))
			}
		}
	case "refuse":
		srv.RefuseName(args[1], "names starting with bad- are reserved")
	case "fail-after-register":
		srv.FailAfterRegister(args[1])
	case "hold-offline":
		srv.HoldOffline(args[1])
	case "minimum":
		srv.SetMinimumVersion(args[1])
	case "expire-next":
		srv.ExpireNextTokens(atoi(args[1]))
	case "exit":
		if !srv.ExitNext(args[1], args[2], atoi(args[3])) {
			ts.Fatalf("no runner %s in %s", args[2], args[1])
		}
	case "job":
		if srv.QueueJob(args[1], args[2]) == 0 {
			ts.Fatalf("no runner %s in %s", args[2], args[1])
		}
	case "app":
		id, err := strconv.ParseInt(args[1], 10, 64)
		ts.Check(err)
		key, pemBytes := githubtest.NewAppKey()
		ts.Check(os.WriteFile(ts.MkAbs(args[2]), pemBytes, 0o600))
		srv.AddApp(githubtest.App{ID: id, Slug: "app-" + args[1], Key: &key.PublicKey})
		perms := githubtest.AppPermissions
		if len(args) > 4 {
			perms = map[string]string{}
			for _, kv := range strings.Split(args[4], ",") {
				k, v, _ := strings.Cut(kv, "=")
				perms[k] = v
			}
		}
		ts.Logf("installation %d", srv.AddInstallation(githubtest.Installation{AppID: id, Account: args[3], Permissions: perms}))
	case "no-secrets":
		secrets := append(srv.MintedTokens(), githubtest.Token)
		for _, f := range args[1:] {
			b, err := os.ReadFile(ts.MkAbs(f))
			ts.Check(err)
			for _, sec := range secrets {
				if strings.Contains(string(b), sec) {
					ts.Fatalf("%s contains a secret (%.6s…)", f, sec)
				}
			}
		}
	case "rest-requests", "jit", "stop", "no-string":
		ghesPremintedCmd(ts, srv, args)
	default:
		ts.Fatalf("ghes: unknown subcommand %q", args[0])
	}
}

// buildTestPackage packs a small runner-shaped tree with GNU tar, as the
// runner's release does (tar -czf NAME -C layout .): executables, an
// in-tree symlink like externals/node20/bin/npm, and 256 KiB of random data.
func buildTestPackage(work string) ([]byte, error) {
	layout, err := os.MkdirTemp(work, "layout-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(layout)
	files := map[string]os.FileMode{"config.sh": 0o755, "run.sh": 0o755, "env.sh": 0o755, "bin/Runner.Listener": 0o755,
		"bin/Runner.Listener.dll": 0o644, "externals/node20/lib/node_modules/npm/bin/npm-cli.js": 0o755}
	for p, m := range files {
		full := filepath.Join(layout, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(full, []byte("#!/bin/sh\n"), m); err != nil {
			return nil, err
		}
		if err := os.Chmod(full, m); err != nil {
			return nil, err
		}
	}
	noise := make([]byte, 256<<10)
	_, _ = rand.Read(noise)
	if err := os.WriteFile(filepath.Join(layout, "bin", "noise.bin"), noise, 0o644); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(layout, "externals/node20/bin"), 0o755); err != nil {
		return nil, err
	}
	if err := os.Symlink("../lib/node_modules/npm/bin/npm-cli.js", filepath.Join(layout, "externals/node20/bin/npm")); err != nil {
		return nil, err
	}
	out := filepath.Join(work, "pkg.tar.gz")
	defer os.Remove(out)
	if b, err := exec.Command("tar", "-czf", out, "-C", layout, ".").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("tar: %v: %s", err, b)
	}
	return os.ReadFile(out)
}

// publishEverywhere lists pkg for every Linux and macOS platform (same
// bytes), with sum as its checksum ("" for the real one).
func publishEverywhere(srv *githubtest.Server, origin *githubtest.Origin, pkg []byte, sum string) {
	var ds []githubtest.Download
	for _, osName := range []string{"linux", "osx"} {
		for _, arch := range []string{"x64", "arm64", "arm"} {
			if osName == "osx" && arch == "arm" {
				continue
			}
			d := origin.Publish(osName, arch, "actions-runner-"+osName+"-"+arch+"-2.336.0.tar.gz", pkg, "tmp-dl-token-"+osName+arch)
			if sum != "" {
				d.SHA256 = sum
			}
			ds = append(ds, d)
		}
	}
	srv.SetDownloads(ds)
}

// originCmd drives the download origin from a script:
//
//	origin cut N                  the next response is cut after N bytes
//	origin requests N             exactly N requests so far
//	origin ranged                 the last request asked for a Range
//	origin clean-auth             no request carried anything but its temp token
//	origin publish FILE [SUM]     list FILE as every platform's package (checksum SUM instead of its own)
func originCmd(ts *testscript.TestScript, neg bool, args []string) {
	o := ts.Value("origin").(*githubtest.Origin)
	srv := ts.Value("ghes").(*githubtest.Server)
	if neg || len(args) == 0 {
		ts.Fatalf("usage: origin cut|requests|ranged|clean-auth|publish ...")
	}
	switch args[0] {
	case "cut":
		n, err := strconv.ParseInt(args[1], 10, 64)
		ts.Check(err)
		o.CutNext(n)
	case "requests":
		if got := len(o.Requests()); strconv.Itoa(got) != args[1] {
			ts.Fatalf("origin saw %d requests, want %s", got, args[1])
		}
	case "ranged":
		reqs := o.Requests()
		if len(reqs) == 0 || !strings.HasPrefix(reqs[len(reqs)-1].RawQuery, "bytes=") {
			ts.Fatalf("the last origin request had no Range: %+v", reqs)
		}
		ts.Logf("last origin request: Range %s", reqs[len(reqs)-1].RawQuery)
	case "clean-auth":
		for _, r := range o.Requests() {
			if r.Authorization != "" && !strings.HasPrefix(r.Authorization, "Bearer tmp-dl-token-") {
				ts.Fatalf("origin saw Authorization %q", r.Authorization)
			}
			if strings.Contains(r.Authorization, githubtest.Token) {
				ts.Fatalf("the API credential reached the download origin")
			}
		}
	case "publish":
		b, err := os.ReadFile(ts.MkAbs(args[1]))
		ts.Check(err)
		sum := ""
		if len(args) > 2 {
			sum = args[2]
		}
		publishEverywhere(srv, o, b, sum)
	default:
		ts.Fatalf("origin: unknown subcommand %q", args[0])
	}
}

// TestNoTestDoublesInBinary checks that the fakes are not linked into runnerctl.
func TestNoTestDoublesInBinary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasSuffix(dep, "test") && strings.HasPrefix(dep, "github.com/runnerctl/") {
			t.Errorf("runnerctl links the test double %s", dep)
		}
	}
	if !strings.Contains(string(out), "github.com/runnerctl/runnerctl/bootstrap/github\n") {
		t.Fatalf("go list output looks wrong:\n%s", out)
	}
}

func TestExitCodes(t *testing.T) {
	base := errors.New("x")
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{base, 1},
		{failure.Wrap(failure.Usage, base), 2},
		{failure.Wrap(failure.Auth, base), 3},
		{failure.Wrap(failure.NotFound, base), 4},
		{failure.Wrap(failure.Integrity, base), 5},
		{failure.Wrap(failure.RunnerConfig, base), 6},
		{failure.Wrap(failure.Service, base), 7},
		{failure.Wrap(failure.Timeout, base), 8},
		{fmt.Errorf("install: %w", failure.Wrap(failure.NotFound, base)), 4},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// The default config file serves every command but `run`, the service's
// entry point: a key no command knows breaks `status` (an error naming it)
// but never the service, whose command line holds all it needs.
func TestRunIgnoresTheDefaultConfig(t *testing.T) {
	def := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(def, []byte("url: https://github.com/acme/app\nlabls: gpu\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "nothing")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"runnerctl", "run", "--dir", dir}, "no runner is installed in " + dir},
		{[]string{"runnerctl", "status", "--dir", dir}, `read --config ` + def + `: key "labls" is not a runnerctl flag`},
		{[]string{"runnerctl", "run", "--dir", dir, "--config", def}, `key "labls" is not a runnerctl flag`},
	} {
		var out, errb strings.Builder
		code := runEnv(&cmdEnv{stdout: &out, stderr: &errb, redactor: &secret.Redactor{}, defaultConfig: def}, c.args)
		if code != 2 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", c.args[1:], code, errb.String(), c.want)
		}
	}
}
