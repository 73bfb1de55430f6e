package bootstrap

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/fetch"
	"github.com/runnerctl/runnerctl/bootstrap/github"
	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
	"github.com/runnerctl/runnerctl/platform"
)

// downloadsFunc is an API that only lists packages.
type downloadsFunc func(context.Context) ([]github.Download, error)

func (f downloadsFunc) Downloads(ctx context.Context) ([]github.Download, error) { return f(ctx) }

type downloadsOnly struct {
	LifecycleAPI
	downloadsFunc
}

func (d downloadsOnly) Downloads(ctx context.Context) ([]github.Download, error) {
	return d.downloadsFunc(ctx)
}

// tinyPackage is a runner-shaped tar.gz made with GNU tar; extra files
// (path → content) are added to it.
func tinyPackage(t *testing.T, extra ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("tar is not installed")
	}
	layout := t.TempDir()
	for p, m := range map[string]os.FileMode{"config.sh": 0o755, "bin/Runner.Listener": 0o755} {
		_ = os.MkdirAll(filepath.Join(layout, filepath.Dir(p)), 0o755)
		if err := os.WriteFile(filepath.Join(layout, p), []byte("#!/bin/sh\n"), m); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i+1 < len(extra); i += 2 {
		_ = os.MkdirAll(filepath.Join(layout, filepath.Dir(extra[i])), 0o755)
		if err := os.WriteFile(filepath.Join(layout, extra[i]), []byte(extra[i+1]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "p.tar.gz")
	if b, err := exec.Command("tar", "-czf", out, "-C", layout, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, b)
	}
	b, _ := os.ReadFile(out)
	return b
}

// testUserName is a fresh user name, removed after the test whatever happens.
func testUserName(t *testing.T) string {
	if !platform.Privileged() {
		t.Skip("needs root on Linux to create a user")
	}
	if _, err := exec.LookPath("useradd"); err != nil {
		t.Skip("useradd is not installed")
	}
	name := fmt.Sprintf("rctl%d", time.Now().UnixNano()%1_000_000)
	t.Cleanup(func() {
		if ok, _ := platform.UserExists(name); ok {
			if err := platform.DeleteUser(name); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	})
	return name
}

// reachableTempDir is a temporary directory other users can enter (t.TempDir is 0700).
func reachableTempDir(t *testing.T) string {
	d := t.TempDir()
	if err := os.Chmod(filepath.Dir(d), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// A --dir the runner user cannot reach (here under a 0700 directory) is
// refused up front as a usage error naming the directory and its mode;
// nothing is downloaded, no user is created, no directory is left.
func TestPrepareRefusesUnreachableDir(t *testing.T) {
	name := testUserName(t)
	closed := filepath.Join(reachableTempDir(t), "closed")
	if err := os.Mkdir(closed, 0o700); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(closed, "runner")
	_, _, err := prepareAs(t, tinyPackage(t), dir, name)
	if failure.KindOf(err) != failure.Usage || !strings.Contains(err.Error(), closed+" has mode drwx------") {
		t.Fatalf("err = %v, want a usage error naming %s and its mode", err, closed)
	}
	if ok, _ := platform.UserExists(name); ok {
		t.Errorf("user %s was created", name)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("directory created: %v", err)
	}
	// The same directory opened to others is accepted.
	if err := os.Chmod(closed, 0o711); err != nil {
		t.Fatal(err)
	}
	if _, _, err := prepareAs(t, tinyPackage(t), dir, name); err != nil {
		t.Fatalf("after chmod o+x: %v", err)
	}
}

// prepareAs serves pkg from a fake origin and prepares it into dir for
// user, with a trusted store in a temporary directory.
func prepareAs(t *testing.T, pkg []byte, dir, user string) (PrepareResult, githubtest.Download, error) {
	return prepareWith(t, pkg, dir, user, Store{Dir: filepath.Join(t.TempDir(), "state")})
}

func prepareWith(t *testing.T, pkg []byte, dir, user string, st Store) (PrepareResult, githubtest.Download, error) {
	o := githubtest.NewOrigin()
	t.Cleanup(o.Close)
	d := o.Publish("linux", "x64", "actions-runner-linux-x64-2.336.0.tar.gz", pkg, "tok-123456")
	api := downloadsFunc(func(context.Context) ([]github.Download, error) {
		return []github.Download{{OS: d.OS, Architecture: d.Architecture, DownloadURL: d.DownloadURL, Filename: d.Filename, SHA256: d.SHA256, TempDownloadToken: secret.New(d.TempDownloadToken)}}, nil
	})
	log := slog.New(slog.DiscardHandler)
	cache := &fetch.Cache{Dir: t.TempDir(), Log: log}
	f := &fetch.Fetcher{MaxAttempts: 2, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond, Log: log}
	res, err := Prepare(context.Background(), Deps{API: downloadsOnly{downloadsFunc: api}, Cache: cache, Fetcher: f, Log: log, Store: st}, PrepareOptions{
		Package: PackageOptions{OS: "linux", Arch: "x64"}, Dir: dir, User: user, Version: "test",
	})
	return res, d, err
}

// A failure after the user was created removes the user and the directory:
// here the trusted store can be read but not updated (a directory where
// its lock file goes).
func TestPrepareRollsBackCreatedUser(t *testing.T) {
	name := testUserName(t)
	dir := filepath.Join(reachableTempDir(t), "runner")
	st := Store{Dir: filepath.Join(t.TempDir(), "state")}
	if err := os.MkdirAll(filepath.Join(st.Dir, storeLock), 0o700); err != nil {
		t.Fatal(err)
	}
	_, _, err := prepareWith(t, tinyPackage(t), dir, name, st)
	if err == nil || !strings.Contains(err.Error(), "write trusted store: lock") {
		t.Fatalf("err = %v, want a store write failure", err)
	}
	if ok, _ := platform.UserExists(name); ok {
		t.Errorf("user %s created by the failed run is still there", name)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("directory left behind: %v", err)
	}
}

// As root on Linux, prepare creates the runner user but leaves the tree
// root's (pristine: no job can change it before install registers it),
// and records it in the trusted store, a 0700 directory whose file is 0600.
func TestPrepareCreatesRunnerUser(t *testing.T) {
	name := testUserName(t)
	dir := filepath.Join(reachableTempDir(t), "runner")
	st := Store{Dir: filepath.Join(t.TempDir(), "state")}
	res, d, err := prepareWith(t, tinyPackage(t), dir, name, st)
	if err != nil {
		t.Fatal(err)
	}
	if !res.UserCreated {
		t.Fatal("user not reported created")
	}
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	if uid >= 1000 {
		t.Errorf("uid %d: not a system user", uid)
	}
	for _, p := range []string{"", "bin", "bin/Runner.Listener", "config.sh"} {
		fi, err := os.Lstat(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		if owner := fileUID(fi); owner != 0 || fi.Mode().Perm()&0o022 != 0 {
			t.Errorf("%s owned by %d, mode %v; want root's, writable by root only", p, owner, fi.Mode())
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, ".runnerctl.json")); err == nil {
		t.Error("a record was written into the runner directory")
	}
	rec, err := st.Get(dir)
	if err != nil || rec == nil || rec.User != name || rec.Package.SHA256 != d.SHA256 || !rec.Pristine || rec.Runner != nil {
		t.Fatalf("record: %+v %v", rec, err)
	}
	for p, want := range map[string]os.FileMode{st.Dir: 0o700, filepath.Join(st.Dir, StoreFile): 0o600} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want || fileUID(fi) != 0 {
			t.Errorf("%s: %v %v, want root's %v", p, fi.Mode(), err, want)
		}
	}
}
func fileUID(fi os.FileInfo) int { return int(fi.Sys().(*syscall.Stat_t).Uid) }

// A --dir reached through a link another user made (here nobody's link
// in a root-owned directory) is refused: its owner could point it at any
// root directory for root to fill, replace or hand over.
func TestPrepareRefusesADirThroughAnotherUsersLink(t *testing.T) {
	if !platform.Privileged() {
		t.Skip("skipped: needs root (link ownership)")
	}
	base := reachableTempDir(t)
	target := filepath.Join(base, "victim")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(link, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	_, _, err := prepareAs(t, tinyPackage(t), link, "")
	if failure.KindOf(err) != failure.Usage || !strings.Contains(err.Error(), "symbolic link owned by") {
		t.Fatalf("prepare through nobody's link: %v, want a usage error naming the link", err)
	}
	if entries, _ := os.ReadDir(target); len(entries) != 0 {
		t.Errorf("the link's target was filled: %v", entries)
	}
}
