//go:build !windows

package platform

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// victim is a root-owned file outside the runner directory that an
// attacker points links at; check says whether it is exactly as before.
type victim struct {
	path string
	data []byte
	fi   os.FileInfo
}

func newVictim(t *testing.T) *victim {
	t.Helper()
	p := filepath.Join(t.TempDir(), "victim")
	data := []byte("root's file\n")
	if err := os.WriteFile(p, data, 0o640); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return &victim{path: p, data: data, fi: fi}
}

func (v *victim) check(t *testing.T) {
	t.Helper()
	fi, err := os.Lstat(v.path)
	if err != nil {
		t.Fatalf("victim: %v", err)
	}
	b, _ := os.ReadFile(v.path)
	a, c := v.fi.Sys().(*syscall.Stat_t), fi.Sys().(*syscall.Stat_t)
	if !bytes.Equal(b, v.data) || fi.Mode() != v.fi.Mode() || a.Uid != c.Uid || a.Gid != c.Gid || a.Ino != c.Ino {
		t.Fatalf("victim changed: %q mode %v uid %d gid %d (was %q %v %d %d)", b, fi.Mode(), c.Uid, c.Gid, v.data, v.fi.Mode(), a.Uid, a.Gid)
	}
}

// hostileDir is a directory owned by another user (nobody), as the
// runner directory is the runner user's.
func hostileDir(t *testing.T) string {
	t.Helper()
	d := filepath.Join(t.TempDir(), "runner")
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(d, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func TestWriteInDir(t *testing.T) {
	dir := hostileDir(t)
	uid, gid := -1, -1
	if os.Geteuid() == 0 {
		uid, gid = 65534, 65534
	}
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	for i, content := range []string{"A=1\n", "A=2\n"} { // new, then replacing
		if err := WriteInDir(dir, ".env", []byte(content), 0o640, uid, gid); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		fi, err := os.Lstat(filepath.Join(dir, ".env"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(dir, ".env"))
		if string(b) != content || fi.Mode() != 0o640 {
			t.Fatalf("write %d: %q mode %v, want %q -rw-r-----", i, b, fi.Mode(), content)
		}
		if st := fi.Sys().(*syscall.Stat_t); uid != -1 && (int(st.Uid) != uid || int(st.Gid) != gid) {
			t.Fatalf("write %d: owner %d:%d, want %d:%d", i, st.Uid, st.Gid, uid, gid)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("left in the directory: %v", ents)
	}
	data, found, err := ReadInDir(dir, ".env", 100)
	if err != nil || !found || string(data) != "A=2\n" {
		t.Fatalf("read back: %q %v %v", data, found, err)
	}
	if _, _, err := ReadInDir(dir, ".env", 3); err == nil {
		t.Fatal("a file longer than the limit was read")
	}
	if _, found, err := ReadInDir(dir, "absent", 100); found || err != nil {
		t.Fatalf("absent file: found %v, %v", found, err)
	}
	for _, bad := range []string{"", ".", "..", "a/b", "../x"} {
		if err := WriteInDir(dir, bad, nil, 0o600, -1, -1); err == nil {
			t.Errorf("name %q was written", bad)
		}
		if _, _, err := ReadInDir(dir, bad, 10); err == nil {
			t.Errorf("name %q was read", bad)
		}
	}
}

// What a job can plant at the name: each is refused, for writing and for
// reading, and nothing outside the directory changes.
func TestInDirRefusesPlanted(t *testing.T) {
	cases := map[string]func(t *testing.T, at string, v *victim){
		"symlink to a root-owned file": func(t *testing.T, at string, v *victim) {
			if err := os.Symlink(v.path, at); err != nil {
				t.Fatal(err)
			}
		},
		"dangling symlink": func(t *testing.T, at string, v *victim) {
			if err := os.Symlink(filepath.Join(filepath.Dir(v.path), "new"), at); err != nil {
				t.Fatal(err)
			}
		},
		"fifo": func(t *testing.T, at string, _ *victim) {
			if err := syscall.Mkfifo(at, 0o666); err != nil {
				t.Fatal(err)
			}
		},
		"directory": func(t *testing.T, at string, _ *victim) {
			if err := os.Mkdir(at, 0o755); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, plant := range cases {
		t.Run(name, func(t *testing.T) {
			dir, v := hostileDir(t), newVictim(t)
			at := filepath.Join(dir, ".env")
			plant(t, at, v)
			before, _ := os.Lstat(at)
			if err := WriteInDir(dir, ".env", []byte("EVIL=1\n"), 0o644, -1, -1); err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Fatalf("write: %v", err)
			}
			if _, found, err := ReadInDir(dir, ".env", 100); err == nil || found {
				t.Fatalf("read: found %v, %v", found, err)
			}
			v.check(t)
			if after, err := os.Lstat(at); err != nil || !os.SameFile(before, after) {
				t.Fatalf("the planted entry was replaced: %v", err)
			}
			if _, err := os.Lstat(filepath.Join(filepath.Dir(v.path), "new")); err == nil {
				t.Fatal("a file was created through the dangling link")
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 1 {
				t.Fatalf("left in the directory: %v", ents)
			}
		})
	}
}

// A link planted at the temporary name (here: the first name tried is
// known to the attacker) is not used: another name is.
func TestWriteInDirPlantedTempName(t *testing.T) {
	dir, v := hostileDir(t), newVictim(t)
	planted := []string{".env.tmp-guess1", ".env.tmp-guess2"}
	for _, n := range planted {
		if err := os.Symlink(v.path, filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	orig := tempName
	calls := 0
	tempName = func(name string) string {
		calls++
		if calls <= len(planted) {
			return planted[calls-1]
		}
		return orig(name)
	}
	defer func() { tempName = orig }()
	if err := WriteInDir(dir, ".env", []byte("A=1\n"), 0o600, -1, -1); err != nil {
		t.Fatal(err)
	}
	if calls != len(planted)+1 {
		t.Fatalf("%d names tried, want %d", calls, len(planted)+1)
	}
	v.check(t)
	if b, _ := os.ReadFile(filepath.Join(dir, ".env")); string(b) != "A=1\n" {
		t.Fatalf(".env: %q", b)
	}
	for _, n := range planted {
		if l, err := os.Readlink(filepath.Join(dir, n)); err != nil || l != v.path {
			t.Fatalf("planted %s: %q %v", n, l, err)
		}
	}
}

// A root-only file hard-linked into the directory is not read (macOS
// lets any user make such a link).
func TestReadInDirRefusesHardLink(t *testing.T) {
	dir, v := hostileDir(t), newVictim(t)
	if err := os.Link(v.path, filepath.Join(dir, ".env")); err != nil {
		t.Skipf("skipped: cannot make the link: %v", err)
	}
	if data, _, err := ReadInDir(dir, ".env", 100); err == nil || !strings.Contains(err.Error(), "hard links") {
		t.Fatalf("read a hard-linked file: %q %v", data, err)
	}
	if err := WriteInDir(dir, ".env", []byte("A=1\n"), 0o600, -1, -1); err != nil {
		t.Fatal(err)
	}
	v.check(t)
}

// The directory itself swapped for a link (to a directory holding a
// root-owned file of the same name) is refused.
func TestInDirRefusesLinkedDir(t *testing.T) {
	v := newVictim(t)
	link := filepath.Join(t.TempDir(), "runner")
	if err := os.Symlink(filepath.Dir(v.path), link); err != nil {
		t.Fatal(err)
	}
	if err := WriteInDir(link, "victim", []byte("EVIL"), 0o666, -1, -1); err == nil {
		t.Fatal("wrote through a linked directory")
	}
	if err := WriteInDir(link, "new", []byte("EVIL"), 0o666, -1, -1); err == nil {
		t.Fatal("wrote through a linked directory")
	}
	if _, found, err := ReadInDir(link, "victim", 100); err == nil || found {
		t.Fatalf("read through a linked directory: %v %v", found, err)
	}
	v.check(t)
	if ents, _ := os.ReadDir(filepath.Dir(v.path)); len(ents) != 1 {
		t.Fatalf("written in the link's target: %v", ents)
	}
}

// An attacker swapping the name between a file and a link to the victim
// as fast as it can, while root writes: the victim never changes.
func TestWriteInDirRacingAttacker(t *testing.T) {
	dir, v := hostileDir(t), newVictim(t)
	at := filepath.Join(dir, ".env")
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tmp := filepath.Join(dir, "evil")
		for {
			select {
			case <-stop:
				return
			default:
			}
			_ = os.Symlink(v.path, tmp)
			_ = os.Rename(tmp, at)
			_ = os.Remove(at)
		}
	}()
	for range 300 {
		_ = WriteInDir(dir, ".env", []byte("A=1\n"), 0o666, -1, -1)
	}
	close(stop)
	<-done
	v.check(t)
}
