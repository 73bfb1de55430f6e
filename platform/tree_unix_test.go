//go:build !windows

package platform

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipped: needs root (chown)")
	}
}

func ownerOf(t *testing.T, p string) (uint32, uint32) {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return st.Uid, st.Gid
}

// rootTree makes a root-owned runner-like tree: directories 0755, files
// 0644/0755, an in-tree link, a link to an outside directory and one to
// an outside file, an internal hard link pair.
func rootTree(t *testing.T, outsideDir, outsideFile string) string {
	t.Helper()
	top := filepath.Join(t.TempDir(), "runner")
	for _, d := range []string{"bin", "externals/node20/bin", "externals/node20/lib"} {
		if err := os.MkdirAll(filepath.Join(top, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for p, m := range map[string]os.FileMode{"config.sh": 0o755, "bin/Runner.Listener": 0o755, "externals/node20/lib/npm-cli.js": 0o644} {
		if err := os.WriteFile(filepath.Join(top, p), []byte(p), m); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{"externals/node20/bin/npm": "../lib/npm-cli.js", "bin/out": outsideDir, "bin/outfile": outsideFile}
	for p, l := range links {
		if err := os.Symlink(l, filepath.Join(top, p)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Link(filepath.Join(top, "config.sh"), filepath.Join(top, "bin", "config.sh")); err != nil {
		t.Fatal(err)
	}
	return top
}

// outside makes a root-owned directory holding a file, outside the tree.
func outside(t *testing.T) (string, string) {
	t.Helper()
	d := t.TempDir()
	f := filepath.Join(d, "secret")
	if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	return d, f
}

func assertTreeOwner(t *testing.T, top string, uid uint32) {
	t.Helper()
	err := filepath.Walk(top, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if u, _ := ownerOf(t, p); u != uid {
			t.Errorf("%s: uid %d, want %d", p, u, uid)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func assertRoot(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if u, g := ownerOf(t, p); u != 0 || g != 0 {
			t.Errorf("%s (outside the tree) now owned by %d:%d", p, u, g)
		}
	}
}

// Both give the whole tree (links themselves) and nothing outside it,
// and refuse a link as the top.
func TestChownNoFollowAndPristine(t *testing.T) {
	needRoot(t)
	for name, chown := range map[string]func(string, int, int) error{"ChownNoFollow": ChownNoFollow, "ChownPristine": ChownPristine} {
		t.Run(name, func(t *testing.T) {
			od, of := outside(t)
			top := rootTree(t, od, of)
			link := filepath.Join(t.TempDir(), "link")
			must(t, os.Symlink(top, link))
			if err := chown(link, 65534, 65534); err == nil {
				t.Fatal("a link given as the top was accepted")
			}
			assertRoot(t, top, link)
			if err := chown(top, 65534, 65534); err != nil {
				t.Fatal(err)
			}
			assertTreeOwner(t, top, 65534)
			assertRoot(t, od, of)
		})
	}
}

// A process of the new owner swapping a subdirectory for a link to an
// outside directory, as fast as it can, while root gives the tree away
// (the ChownTree finding): the outside directory never changes owner.
func TestChownNoFollowRacingSwap(t *testing.T) {
	needRoot(t)
	od, of := outside(t)
	top := t.TempDir()
	sub := filepath.Join(top, "sub")
	must(t, os.Mkdir(sub, 0o755))
	must(t, os.WriteFile(filepath.Join(sub, "secret"), nil, 0o644)) // the name the outside directory holds
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		aside := filepath.Join(top, "aside")
		for {
			select {
			case <-stop:
				return
			default:
			}
			_ = os.Rename(sub, aside)
			_ = os.Symlink(od, sub)
			_ = os.Remove(sub)
			_ = os.Rename(aside, sub)
		}
	}()
	for range 2000 {
		_ = ChownNoFollow(top, 65534, 65534) // may fail when it meets the swap: never follows it
	}
	close(stop)
	<-done
	assertRoot(t, od, of)
}

// Anything that says someone else had a hand in the tree refuses it, and
// nothing is changed.
func TestChownPristineRefuses(t *testing.T) {
	needRoot(t)
	cases := map[string]struct {
		spoil func(t *testing.T, top, outsideFile string)
		want  string
	}{
		"a file owned by another user": {func(t *testing.T, top, _ string) {
			must(t, os.Lchown(filepath.Join(top, "externals/node20/lib/npm-cli.js"), 65534, 65534))
		}, "owned by uid 65534"},
		"a link owned by another user": {func(t *testing.T, top, _ string) {
			must(t, os.Lchown(filepath.Join(top, "externals/node20/bin/npm"), 65534, 65534))
		}, "owned by uid 65534"},
		"the top owned by another user": {func(t *testing.T, top, _ string) {
			must(t, os.Chown(top, 65534, 65534))
		}, "owned by uid 65534"},
		"a group-writable file": {func(t *testing.T, top, _ string) {
			must(t, os.Chmod(filepath.Join(top, "bin/Runner.Listener"), 0o775))
		}, "writable by group or others"},
		"a world-writable directory": {func(t *testing.T, top, _ string) {
			must(t, os.Chmod(filepath.Join(top, "externals/node20"), 0o777))
		}, "writable by group or others"},
		"a hard link to an outside file": {func(t *testing.T, top, of string) {
			must(t, os.Link(of, filepath.Join(top, "bin", "shadow")))
		}, "hard links"},
		"a setuid file": {func(t *testing.T, top, _ string) {
			must(t, os.Chmod(filepath.Join(top, "bin/Runner.Listener"), 0o755|os.ModeSetuid))
		}, "setuid"},
		"a fifo": {func(t *testing.T, top, _ string) {
			must(t, syscall.Mkfifo(filepath.Join(top, "bin", "fifo"), 0o644))
		}, "not a file, directory or link"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			od, of := outside(t)
			top := rootTree(t, od, of)
			c.spoil(t, top, of)
			before := owners(t, top)
			err := ChownPristine(top, 1234, 1234)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one saying %q", err, c.want)
			}
			if after := owners(t, top); !equalMaps(before, after) {
				t.Fatal("owners changed although the tree was refused")
			}
			assertRoot(t, od, of)
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func owners(t *testing.T, top string) map[string]uint32 {
	t.Helper()
	m := map[string]uint32{}
	_ = filepath.Walk(top, func(p string, _ os.FileInfo, err error) error {
		if err == nil {
			m[p], _ = ownerOf(t, p)
		}
		return nil
	})
	return m
}

func equalMaps(a, b map[string]uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestCheckNoOtherWriter(t *testing.T) {
	needRoot(t)
	base := t.TempDir() // under /tmp: sticky, root's
	for _, c := range []struct {
		mode  os.FileMode
		owner int
		ok    bool
	}{{0o755, 0, true}, {0o700, 0, true}, {0o777 | os.ModeSticky, 0, true}, {0o777, 0, false}, {0o775, 0, false}, {0o755, 65534, false}} {
		d := filepath.Join(base, c.mode.String()+"-"+string(rune('0'+c.owner%10)))
		must(t, os.Mkdir(d, 0o700))
		must(t, os.Chmod(d, c.mode))
		must(t, os.Chown(d, c.owner, c.owner))
		err := CheckNoOtherWriter(filepath.Join(d, "not-yet", "runner"))
		if (err == nil) != c.ok {
			t.Errorf("parent mode %v owner %d: err = %v, want ok=%v", c.mode, c.owner, err, c.ok)
		}
	}
}

// OpenDirsAt seals only a directory it made itself: one swapped in between
// mkdirat and openat (another owner's, or one holding entries) is refused.
func TestMadeByUs(t *testing.T) {
	open := func(p string) *os.File {
		t.Helper()
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	fresh := t.TempDir()
	if err := madeByUs(open(fresh)); err != nil {
		t.Errorf("a directory this process just made: %v", err)
	}
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := madeByUs(open(full)); err == nil {
		t.Error("a directory holding an entry: no error")
	}
	if os.Geteuid() != 0 {
		t.Skip("not root: cannot give a directory to another uid")
	}
	other := t.TempDir()
	if err := os.Chown(other, 12345, 12345); err != nil {
		t.Fatal(err)
	}
	if err := madeByUs(open(other)); err == nil {
		t.Error("a directory of uid 12345: no error")
	}
}
