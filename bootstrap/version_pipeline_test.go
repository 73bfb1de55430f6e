//go:build !windows

package bootstrap

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/bootstrap/runner/runnertest"
	"github.com/runnerctl/runnerctl/platform"
)

// newerPkg is the fake runner package of the release after
// fakeRunnerPackage's (2.336.0 → 2.337.0), built once per test binary.
var newerPkg struct {
	once sync.Once
	pkg  runnertest.Package
	data []byte
	err  error
}

// publishNewer makes the server offer the next release only (GitHub lists
// the newest package per platform) and returns it and the old version.
func (p *pipe) publishNewer(t *testing.T) (runnertest.Package, string) {
	t.Helper()
	_, oldName := fakeRunnerPackage(t)
	old := packageVersion(oldName)
	newerPkg.once.Do(func() {
		if _, err := exec.LookPath("go"); err != nil {
			newerPkg.err = err
			return
		}
		dir, err := os.MkdirTemp("", "runnerctl-newerpkg-")
		if err != nil {
			newerPkg.err = err
			return
		}
		defer os.RemoveAll(dir)
		f := strings.Split(old, ".")
		f[1] = strconv.Itoa(versionField(f, 1) + 1)
		newerPkg.pkg, newerPkg.err = runnertest.Build(context.Background(), dir, runnertest.Options{Version: strings.Join(f, ".")})
		if newerPkg.err == nil {
			newerPkg.data, newerPkg.err = os.ReadFile(newerPkg.pkg.Path)
		}
	})
	if newerPkg.err != nil {
		t.Skipf("skipped: the newer fake runner package cannot be built: %v", newerPkg.err)
	}
	osName, arch, err := platform.PackagePlatform("", "")
	if err != nil {
		t.Fatal(err)
	}
	p.srv.SetDownloads([]githubtest.Download{p.origin.Publish(osName, arch, newerPkg.pkg.Filename, newerPkg.data, "tmp-dl-token-2")})
	return newerPkg.pkg, old
}

// serverVersion is the version the fake server has for runner name.
func (p *pipe) serverVersion(name string) string {
	for _, r := range p.srv.Runners(pipeScope) {
		if r.Name == name {
			return r.Version
		}
	}
	return ""
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"2.336.0", "2.336.0", 0}, {"2.336.0", "2.337.0", -1}, {"2.337.0", "2.336.9", 1},
		{"2.99.0", "2.100.0", -1}, {"3.0", "2.999.999", 1}, {"2.336", "2.336.0", 0}, {"", "2.336.0", -1},
	} {
		if got := compareVersions(c.a, c.b); got != c.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// Done means: a host prepared with version N boots against a server
// offering N+1 (and refusing N) and registers N+1: the prepared tree is
// replaced before registering, and one log line says from which version
// to which. A prepared package that is current is registered in place:
// nothing is downloaded.
func TestPipelinePreparedOlderPackageIsReplaced(t *testing.T) {
	p := newPipe(t)
	if _, err := Prepare(context.Background(), p.deps, PrepareOptions{Dir: p.dir, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	newer, old := p.publishNewer(t)
	p.srv.SetMinimumVersion(newer.Version) // N can no longer register
	before := len(p.origin.Requests())
	res := p.mustInstall(p.options("gold-n1"))
	if res.Status != "online" {
		t.Fatalf("install: %+v", res)
	}
	if got := p.log.with("runner package " + old + " → " + newer.Version); len(got) != 1 {
		t.Errorf("log lines %q, want one 'runner package %s → %s'", got, old, newer.Version)
	}
	if n := len(p.origin.Requests()) - before; n != 1 {
		t.Errorf("%d downloads, want 1 (the new package)", n)
	}
	rec, err := p.store.Get(p.dir)
	if err != nil || rec == nil || rec.Package.Filename != newer.Filename || rec.Package.SHA256 != newer.SHA256 {
		t.Errorf("record %+v (%v), want package %s", rec, err, newer.Filename)
	}
	if v := p.serverVersion("gold-n1"); v != newer.Version {
		t.Errorf("the server has version %q for the runner, want %s", v, newer.Version)
	}
	out, err := exec.Command(filepath.Join(p.dir, "bin", "Runner.Listener"), "--version").Output()
	if err != nil || strings.TrimSpace(string(out)) != newer.Version {
		t.Errorf("bin/Runner.Listener --version: %q %v, want %s", out, err, newer.Version)
	}

	// Prepared with the current package: registered in place, no download.
	q := newPipe(t)
	q.publishNewer(t)
	if _, err := Prepare(context.Background(), q.deps, PrepareOptions{Dir: q.dir, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	before = len(q.origin.Requests())
	if res := q.mustInstall(q.options("gold-cur")); res.Status != "online" {
		t.Fatalf("install: %+v", res)
	}
	if n := len(q.origin.Requests()) - before; n != 0 {
		t.Errorf("a current prepared package was downloaded again: %d requests", n)
	}
	if got := q.log.with("runner package " + old + " →"); len(got) != 0 {
		t.Errorf("a current prepared package logged a change: %q", got)
	}
	if got := q.log.with("runner directory prepared before"); len(got) != 1 {
		t.Errorf("the prepared tree was not registered in place: %q", got)
	}
}

// A registration by a runner below the server's minimum version is
// refused as GitHub refuses it (config.sh: 404, "out of date"): exit 6,
// nothing left behind.
func TestPipelineTooOldIsRefused(t *testing.T) {
	p := newPipe(t)
	newer, _ := p.publishNewer(t)
	p.srv.SetMinimumVersion(newer.Version)
	data, name := fakeRunnerPackage(t)
	file := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	o := p.options("too-old")
	o.Package = PackageOptions{PackageFile: file, SHA256: hex.EncodeToString(sum[:])}
	_, err := p.install(o)
	if failure.KindOf(err) != failure.RunnerConfig || !strings.Contains(err.Error(), "out of date and can no longer register") {
		t.Errorf("install of a too-old package: %v, want exit 6 quoting the server", err)
	}
	if p.dirExists() || len(p.serverRunners()) != 0 {
		t.Errorf("left: dir %v, runners %q", p.dirExists(), p.serverRunners())
	}
}

// --package-file older than the server's newest warns with both versions;
// without an API credential nothing is asked and the debug log says so.
func TestPackageFileOlderWarns(t *testing.T) {
	p := newPipe(t)
	newer, old := p.publishNewer(t)
	_, name := fakeRunnerPackage(t)
	po := PackageOptions{PackageFile: "/x/" + name, SHA256: strings.Repeat("a", 64)}
	src, err := ResolvePackage(context.Background(), nil, po)
	if err != nil {
		t.Fatal(err)
	}
	warnOldPackageFile(context.Background(), p.deps, po, src)
	want := "--package-file holds runner " + old + ", older than the " + newer.Version + " the server offers"
	if got := p.log.with(want); len(got) != 1 {
		t.Errorf("log %q, want a warning starting %q", p.log.all(), want)
	}
	p.log.reset()
	p.srv.ResetRequests()
	d := p.deps
	d.API = nil
	warnOldPackageFile(context.Background(), d, po, src)
	if n := len(p.srv.Requests()); n != 0 {
		t.Errorf("%d requests without a credential", n)
	}
	if got := p.log.with("--package-file: its version is not compared"); len(got) != 1 || !strings.Contains(p.log.all(), "why=no API credential") {
		t.Errorf("log %q, want the debug line saying no credential", p.log.all())
	}
}

// --jitter waits up to its value before the first API call, and logs it.
func TestJitter(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	start := time.Now()
	if err := jitter(context.Background(), 200*time.Millisecond, log); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("jitter 200ms waited %v", d)
	}
	if !strings.Contains(buf.String(), "--jitter: waiting a random time before the first API call") {
		t.Errorf("log %q", buf.String())
	}
	buf.Reset()
	if err := jitter(context.Background(), 0, log); err != nil || buf.Len() != 0 {
		t.Errorf("jitter 0: %v, log %q", err, buf.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := jitter(ctx, time.Hour, log); err == nil {
		t.Error("a cancelled jitter did not end")
	}
}

// A golden image prepared with N+1 that boots against a server offering
// N (a GHES behind the mirror the image was baked from, or a server that
// lists an old release) keeps N+1: install registers it in place,
// downloads nothing and says so; it does not downgrade the runner.
func TestPipelinePreparedNewerPackageIsKept(t *testing.T) {
	p := newPipe(t)
	newer, old := p.publishNewer(t)
	if _, err := Prepare(context.Background(), p.deps, PrepareOptions{Dir: p.dir, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	data, filename := fakeRunnerPackage(t)
	osName, arch, err := platform.PackagePlatform("", "")
	if err != nil {
		t.Fatal(err)
	}
	p.srv.SetDownloads([]githubtest.Download{p.origin.Publish(osName, arch, filename, data, "tmp-dl-token-old")})
	before := len(p.origin.Requests())
	if res := p.mustInstall(p.options("gold-newer")); res.Status != "online" {
		t.Fatalf("install: %+v", res)
	}
	if n := len(p.origin.Requests()) - before; n != 0 {
		t.Errorf("%d downloads, want none: the prepared package is kept", n)
	}
	if got := p.log.with("the prepared runner package " + newer.Version + " is newer than the " + old + " the server offers: kept"); len(got) != 1 {
		t.Errorf("log lines %q, want one warning", got)
	}
	if rec, err := p.store.Get(p.dir); err != nil || rec == nil || rec.Package.SHA256 != newer.SHA256 {
		t.Errorf("record %+v (%v), want package %s", rec, err, newer.Filename)
	}
	if v := listenerVersion(t, p.dir); v != newer.Version {
		t.Errorf("the listener in place is %s, want %s", v, newer.Version)
	}
}
