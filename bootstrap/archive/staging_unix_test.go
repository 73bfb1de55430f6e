//go:build !windows

package archive

import (
	"archive/tar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipped: needs root (ownership)")
	}
}

func uidOf(t *testing.T, p string) uint32 {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Uid
}

// asNobody runs a shell command as nobody and returns its error.
func asNobody(t *testing.T, script string) error {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	return cmd.Run()
}

// openParent makes a destination's parent that nobody may enter (0755
// up the chain from the test's temporary directory).
func openParent(t *testing.T) string {
	t.Helper()
	parent := t.TempDir()
	for _, d := range []string{parent, filepath.Dir(parent)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return parent
}

// While staged, the tree sits in a 0700 root-owned wrapper beside the
// destination: another user cannot reach it, not even after Chown gave
// it to them; Commit moves it into place and leaves nothing else.
func TestStagingIsRootOnly(t *testing.T) {
	needRoot(t)
	parent := openParent(t)
	dest := filepath.Join(parent, "runner")
	st, err := extractFile(t, realTarGz(t, runnerTree(t)), dest)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Discard()
	wrapper := filepath.Dir(st.Dir)
	fi, err := os.Lstat(wrapper)
	if err != nil || fi.Mode() != os.ModeDir|0o700 || uidOf(t, wrapper) != 0 || filepath.Dir(wrapper) != parent ||
		!strings.HasPrefix(filepath.Base(wrapper), ".runner.staging-") {
		t.Fatalf("wrapper %s: %v %v", wrapper, fi.Mode(), err)
	}
	if fi, _ := os.Lstat(st.Dir); fi.Mode() != os.ModeDir|0o755 {
		t.Fatalf("tree mode %v", fi.Mode())
	}
	if err := st.Chown(65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := asNobody(t, "ls "+st.Dir+"/bin || touch "+st.Dir+"/x || mv "+st.Dir+" "+parent+"/stolen"); err == nil {
		t.Fatal("another user reached the staged tree")
	}
	if err := asNobody(t, "ls "+parent); err != nil {
		t.Fatalf("the test is wrong: nobody cannot list %s: %v", parent, err)
	}
	if err := st.Commit(dest); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(parent); len(left) != 1 || left[0].Name() != "runner" {
		t.Fatalf("beside the destination: %v", left)
	}
	err = filepath.Walk(dest, func(p string, _ os.FileInfo, err error) error {
		if err == nil && uidOf(t, p) != 65534 {
			t.Errorf("%s: uid %d after Chown", p, uidOf(t, p))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := asNobody(t, "touch "+dest+"/bin/x"); err != nil {
		t.Fatalf("the runner user cannot write its tree: %v", err)
	}
}

// A destination whose directory another user can change is refused
// before anything is made: that user could swap the wrapper.
func TestExtractRefusesParentOthersCanChange(t *testing.T) {
	needRoot(t)
	for _, c := range []struct {
		mode  os.FileMode
		owner int
	}{{0o777, 0}, {0o755, 65534}} {
		parent := openParent(t)
		if err := os.Chmod(parent, c.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(parent, c.owner, c.owner); err != nil {
			t.Fatal(err)
		}
		_, err := extractFile(t, evilTarGz(t, entry{name: "./a", typ: tar.TypeReg, body: "a"}), filepath.Join(parent, "sub", "runner"))
		if failure.KindOf(err) != failure.Usage {
			t.Fatalf("parent %v owned by %d: err = %v (kind %v), want Usage", c.mode, c.owner, err, failure.KindOf(err))
		}
		if left, _ := os.ReadDir(parent); len(left) != 0 {
			t.Fatalf("made: %v", left)
		}
	}
}

// hostileOldTree is a runner directory its user has had: owned by
// nobody, with links to an outside victim directory planted at the top,
// deep down, and in place of a subdirectory.
func hostileOldTree(t *testing.T, dest, victimDir string) {
	t.Helper()
	for _, d := range []string{"_work/job/deep", "bin"} {
		if err := os.MkdirAll(filepath.Join(dest, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for p, l := range map[string]string{"evil": victimDir, "_work/job/deep/evil": victimDir, "externals": victimDir, "bin/passwd": filepath.Join(victimDir, "file")} {
		if err := os.Symlink(l, filepath.Join(dest, p)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dest, ".runner"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = filepath.Walk(dest, func(p string, _ os.FileInfo, err error) error {
		if err == nil {
			_ = os.Lchown(p, 65534, 65534)
		}
		return nil
	})
}

func newVictimDir(t *testing.T) (string, func(t *testing.T)) {
	t.Helper()
	v := t.TempDir()
	if err := os.WriteFile(filepath.Join(v, "file"), []byte("victim"), 0o640); err != nil {
		t.Fatal(err)
	}
	return v, func(t *testing.T) {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(v, "file"))
		fi, _ := os.Lstat(filepath.Join(v, "file"))
		if err != nil || string(b) != "victim" || fi.Mode() != 0o640 || uidOf(t, v) != 0 || uidOf(t, filepath.Join(v, "file")) != 0 {
			t.Fatalf("the victim directory changed: %q %v", b, err)
		}
		if ents, _ := os.ReadDir(v); len(ents) != 1 {
			t.Fatalf("the victim directory changed: %v", ents)
		}
	}
}

// CommitReplacing puts the new tree where a hostile one was; removing
// the old one follows none of the links planted in it.
func TestCommitReplacing(t *testing.T) {
	for _, twoSteps := range []bool{false, true} {
		name := "exchange"
		if twoSteps {
			name = "two renames"
		}
		t.Run(name, func(t *testing.T) {
			victimDir, checkVictim := newVictimDir(t)
			parent := t.TempDir()
			dest := filepath.Join(parent, "runner")
			hostileOldTree(t, dest, victimDir)
			st, err := extractFile(t, realTarGz(t, runnerTree(t)), dest)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Discard()
			if twoSteps {
				err = st.replaceInTwoSteps(dest)
				if err == nil {
					st.removed = true
					err = os.RemoveAll(st.wrapper)
				}
			} else {
				err = st.CommitReplacing(dest)
			}
			if err != nil {
				t.Fatal(err)
			}
			checkVictim(t)
			if _, err := os.Lstat(filepath.Join(dest, ".runner")); err == nil {
				t.Fatal("the old tree is still in place")
			}
			if fi, err := os.Lstat(filepath.Join(dest, "externals")); err != nil || !fi.IsDir() {
				t.Fatalf("new tree: externals %v", err)
			}
			if b, err := os.ReadFile(filepath.Join(dest, "config.sh")); err != nil || !strings.Contains(string(b), "config.sh") {
				t.Fatalf("new tree: config.sh %q %v", b, err)
			}
			if left, _ := os.ReadDir(parent); len(left) != 1 {
				t.Fatalf("beside the destination: %v", left)
			}
		})
	}
}

// A destination that is itself a link (to the victim directory) is
// replaced, not followed.
func TestCommitReplacingLinkedDest(t *testing.T) {
	victimDir, checkVictim := newVictimDir(t)
	dest := filepath.Join(t.TempDir(), "runner")
	if err := os.Symlink(victimDir, dest); err != nil {
		t.Fatal(err)
	}
	st, err := extractFile(t, realTarGz(t, runnerTree(t)), dest)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CommitReplacing(dest); err != nil {
		t.Fatal(err)
	}
	checkVictim(t)
	if fi, err := os.Lstat(dest); err != nil || !fi.IsDir() {
		t.Fatalf("dest: %v %v", fi, err)
	}
	// Commit (not Replacing) refuses a link or a file there.
	st, err = extractFile(t, realTarGz(t, runnerTree(t)), dest+"2")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Discard()
	if err := os.Symlink(victimDir, dest+"2"); err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(dest + "2"); err == nil {
		t.Fatal("Commit replaced a link")
	}
	checkVictim(t)
}

// Discard leaves nothing; after a commit, the Staged is spent.
func TestDiscardAndSpent(t *testing.T) {
	parent := t.TempDir()
	dest := filepath.Join(parent, "runner")
	archive := evilTarGz(t, entry{name: "./a", typ: tar.TypeReg, body: "a"})
	st, err := extractFile(t, archive, dest)
	if err != nil {
		t.Fatal(err)
	}
	st.Discard()
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Fatalf("left: %v", left)
	}
	if err := st.Commit(dest); err == nil {
		t.Fatal("a discarded tree was committed")
	}
	if err := st.Chown(0, 0); err == nil {
		t.Fatal("a discarded tree was given away")
	}
}
