//go:build !windows

package platform

import (
	"errors"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
)

// A directory the user cannot enter is named, with its mode; opening it
// to others (o+x) is enough. A user that does not exist yet is checked as
// one in no group.
func TestCheckReachable(t *testing.T) {
	base := t.TempDir()
	closed := filepath.Join(base, "closed")
	if err := os.Mkdir(closed, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{base, filepath.Dir(base)} { // t.TempDir makes both 0700
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"nobody", "runnerctl-no-such-user"} {
		if _, err := user.Lookup(name); err != nil && name == "nobody" {
			continue
		}
		if cur, _ := user.Current(); cur != nil && cur.Username == name {
			continue
		}
		err := CheckReachable(filepath.Join(closed, "runner", "x"), name)
		var ae *AccessError
		if !errors.As(err, &ae) || ae.Path != closed || ae.Mode.Perm() != 0o700 || !strings.Contains(err.Error(), "cannot enter "+closed+" (mode drwx------") {
			t.Errorf("%s: %v, want an AccessError naming %s", name, err, closed)
		}
	}
	if err := os.Chmod(closed, 0o711); err != nil {
		t.Fatal(err)
	}
	if err := CheckReachable(filepath.Join(closed, "runner", "x"), "runnerctl-no-such-user"); err != nil {
		t.Errorf("after o+x: %v", err)
	}
}

// Temporary and home directories never hold a service's runnerctl; a
// root-owned system directory does.
func TestStableExecutable(t *testing.T) {
	exe := filepath.Join(t.TempDir(), "runnerctl")
	if err := os.WriteFile(exe, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if StableExecutable(exe) {
		t.Errorf("%s (a temporary directory) is taken as stable", exe)
	}
	sh, err := filepath.EvalSymlinks("/bin/sh")
	if err != nil {
		t.Skip("skipped: no /bin/sh")
	}
	if fi, err := os.Stat(sh); err != nil || !rootOnly(fi) {
		t.Skipf("skipped: %s is not root-owned here", sh)
	}
	if !StableExecutable(sh) {
		t.Errorf("%s is not taken as stable", sh)
	}
	for _, p := range []string{"/root/runnerctl", "/home/op/runnerctl", "/tmp/runnerctl", "/var/tmp/x/runnerctl"} {
		if StableExecutable(p) {
			t.Errorf("%s is taken as stable", p)
		}
	}
}

// /run and /tmp are emptied at boot; a file on tmpfs anywhere is too.
func TestTemporary(t *testing.T) {
	for _, p := range []string{"/run/x/runnerctl", "/tmp/runnerctl", "/root/runnerctl", "/home/op/bin/runnerctl"} {
		if !Temporary(p) {
			t.Errorf("%s is not taken as temporary", p)
		}
	}
	if Temporary("/usr/local/bin/runnerctl") && !onMemoryFS("/usr/local/bin") {
		t.Error("/usr/local/bin/runnerctl is taken as temporary")
	}
}

// A runnerctl in a root-owned 0700 directory is not run in place: the
// service user could not run it. Checked under /run (a root-only chain;
// Temporary is what StableExecutable adds on top).
func TestRootOnlyAndOpen(t *testing.T) {
	if os.Geteuid() != 0 || CheckRootOnly("/run") != nil {
		t.Skip("skipped: needs root and a root-only /run")
	}
	base, err := os.MkdirTemp("/run", "runnerctl-test-")
	if err != nil {
		t.Skip(err)
	}
	defer os.RemoveAll(base)
	for _, c := range []struct {
		dir, file os.FileMode
		ok        bool
	}{{0o755, 0o755, true}, {0o700, 0o755, false}, {0o711, 0o755, true}, {0o755, 0o750, false}, {0o755, 0o775, false}} {
		d := filepath.Join(base, c.dir.String()+c.file.String())
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(base, 0o755); err != nil {
			t.Fatal(err)
		}
		exe := filepath.Join(d, "runnerctl")
		if err := os.WriteFile(exe, []byte("x"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(exe, c.file); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, c.dir); err != nil {
			t.Fatal(err)
		}
		if got := rootOnlyAndOpen(exe); got != c.ok {
			t.Errorf("dir %v, file %v: %v, want %v", c.dir, c.file, got, c.ok)
		}
	}
}

// A link on the way to a path is fine only when root made it in a
// directory no one else can change.
func TestCheckNoOtherLink(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: needs root (link ownership)")
	}
	base := t.TempDir()
	target := filepath.Join(base, "target")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(base, "open")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	rootLink, userLink, openLink := filepath.Join(base, "rootlink"), filepath.Join(base, "userlink"), filepath.Join(open, "link")
	for _, l := range []string{rootLink, userLink, openLink} {
		if err := os.Symlink(target, l); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Lchown(userLink, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	// root's link, in a root-only directory, whose target goes through
	// nobody's link.
	chain := filepath.Join(base, "chain")
	if err := os.Symlink(userLink, chain); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		ok   bool
	}{{filepath.Join(rootLink, "runner"), true}, {filepath.Join(userLink, "runner"), false}, {filepath.Join(openLink, "runner"), false}, {filepath.Join(target, "runner"), true},
		{filepath.Join(chain, "runner"), false}} {
		if err := CheckNoOtherLink(c.path); (err == nil) != c.ok {
			t.Errorf("CheckNoOtherLink(%s) = %v, want ok=%v", c.path, err, c.ok)
		}
	}
}

// A root-owned file reached through root's link is still refused when
// its real directory belongs to another user.
func TestCheckRootFile(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: needs root (ownership)")
	}
	base := t.TempDir()
	theirs := filepath.Join(base, "theirs")
	if err := os.Mkdir(theirs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(theirs, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(theirs, "ca.pem")
	if err := os.WriteFile(ca, []byte("pem"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "ca.pem")
	if err := os.Symlink(ca, link); err != nil {
		t.Fatal(err)
	}
	if err := CheckRootFile(link); err == nil {
		t.Error("a CA file in nobody's directory, reached through root's link, passed")
	}
	mine := filepath.Join(base, "mine.pem")
	if err := os.WriteFile(mine, []byte("pem"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckRootFile(mine); err != nil {
		t.Errorf("root's file in a root-only directory: %v", err)
	}
}
