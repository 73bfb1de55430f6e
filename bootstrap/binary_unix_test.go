//go:build !windows

package bootstrap

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/platform/platformtest"
)

// place plans and places exe as install does.
func place(exe, binDir string, st Store) (binaryPlan, error) {
	log := slog.New(slog.DiscardHandler)
	p, err := planBinary(exe, binDir, "", st, log)
	if err == nil {
		err = placeBinary(&p, exe, "", log)
	}
	return p, err
}

func writeExe(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}

// The runnerctl an operator started from a temporary directory is copied
// to the bin directory (mode 0755, atomically), recorded as placed, left
// alone when it is the same, replaced when another runnerctl installs
// (a running service keeps the old file until it restarts), and repaired
// when someone made it unrunnable.
func TestPlaceBinary(t *testing.T) {
	tmp := t.TempDir()
	index, binDir := Store{Dir: filepath.Join(tmp, "state")}, filepath.Join(platformtest.RootOnlyTempDir(t), "bin")
	exe := filepath.Join(tmp, "runnerctl-v1")
	writeExe(t, exe, "v1")

	p, err := place(exe, binDir, index)
	target := filepath.Join(binDir, "runnerctl")
	if err != nil || p.Path != target || !p.Created || p.Replaced || !p.Placed {
		t.Fatalf("first install: %+v, %v", p, err)
	}
	if fi, err := os.Stat(target); err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("placed copy: %v %v", fi, err)
	}
	if err := recordRunner(index, "/r1", p); err != nil {
		t.Fatal(err)
	}

	// The same runnerctl again: nothing to do, still ours.
	if p, err = place(exe, binDir, index); err != nil || p.Created || p.Replaced || !p.Placed {
		t.Fatalf("same runnerctl: %+v, %v", p, err)
	}

	// Another runnerctl: replaced atomically; the old file, held open by a
	// running service, still reads v1.
	old, err := os.Open(target)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	exe2 := filepath.Join(tmp, "runnerctl-v2")
	writeExe(t, exe2, "v2")
	if p, err = place(exe2, binDir, index); err != nil || !p.Replaced || !p.Placed {
		t.Fatalf("new runnerctl: %+v, %v", p, err)
	}
	if b, _ := os.ReadFile(target); string(b) != "v2" {
		t.Fatalf("target holds %q, want v2", b)
	}
	buf := make([]byte, 8)
	if n, _ := old.Read(buf); string(buf[:n]) != "v1" {
		t.Fatalf("the old file reads %q: it was overwritten in place, not replaced", buf[:n])
	}
	if entries, _ := os.ReadDir(binDir); len(entries) != 1 {
		t.Fatalf("bin dir holds %d files, want only runnerctl (no temporary file left)", len(entries))
	}

	// Made unrunnable: put back.
	if err := os.Chmod(target, 0o644); err != nil {
		t.Fatal(err)
	}
	if p, err = place(exe2, binDir, index); err != nil || !p.Replaced {
		t.Fatalf("unrunnable copy: %+v, %v", p, err)
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o755 {
		t.Fatalf("mode %v after repair", fi.Mode())
	}
}

// A runnerctl the operator put in the bin directory (not on record) is
// used but stays theirs: uninstall does not remove it.
func TestPlaceBinaryOperatorsCopy(t *testing.T) {
	tmp := t.TempDir()
	index, binDir := Store{Dir: filepath.Join(tmp, "state")}, filepath.Join(platformtest.RootOnlyTempDir(t), "bin")
	if err := os.Mkdir(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(tmp, "runnerctl")
	writeExe(t, exe, "v1")
	writeExe(t, filepath.Join(binDir, "runnerctl"), "v1")
	p, err := place(exe, binDir, index)
	if err != nil || p.Placed || p.Created || p.Replaced {
		t.Fatalf("%+v, %v", p, err)
	}
	if err := recordRunner(index, "/r1", p); err != nil {
		t.Fatal(err)
	}
	if err := index.Delete("/r1"); err != nil {
		t.Fatal(err)
	}
	if err := removeUnusedBinary(index, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(binDir, "runnerctl")); err != nil {
		t.Fatalf("the operator's runnerctl was removed: %v", err)
	}
}

// A --bin-dir another user can change is refused before anything is
// written: the service runs what is there (as root with SysV).
func TestPlanBinaryRefusesAWritableBinDir(t *testing.T) {
	tmp := t.TempDir()
	root := platformtest.RootOnlyTempDir(t)
	exe := filepath.Join(tmp, "runnerctl")
	writeExe(t, exe, "v1")
	for _, mode := range []os.FileMode{0o777, 0o775, 0o777 | os.ModeSticky} {
		bin := filepath.Join(root, fmt.Sprintf("bin%o", mode))
		if err := os.Mkdir(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(bin, mode); err != nil {
			t.Fatal(err)
		}
		_, err := place(exe, filepath.Join(bin, "sub"), Store{Dir: filepath.Join(tmp, "state")})
		if failure.KindOf(err) != failure.Usage || !strings.Contains(err.Error(), bin+" (mode") {
			t.Errorf("bin dir mode %o: err = %v, want a usage error naming %s", mode, err, bin)
		}
		if _, err := os.Stat(filepath.Join(bin, "sub")); err == nil {
			t.Errorf("bin dir mode %o: something was written", mode)
		}
	}
	// t.TempDir is under /tmp: refused too (anyone can make what goes away there).
	if _, err := place(exe, filepath.Join(tmp, "bin"), Store{Dir: filepath.Join(tmp, "state")}); failure.KindOf(err) != failure.Usage {
		t.Errorf("a bin dir under /tmp: err = %v, want a usage error", err)
	}
}

// What another user put at the target is never adopted, even with the
// same bytes: a file of theirs, or a link, is replaced by root's copy.
func TestPlaceBinaryReplacesForeignFiles(t *testing.T) {
	tmp := t.TempDir()
	binDir := filepath.Join(platformtest.RootOnlyTempDir(t), "bin")
	if err := os.Mkdir(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(tmp, "runnerctl")
	writeExe(t, exe, "v1")
	target := filepath.Join(binDir, "runnerctl")
	for _, plant := range []func() error{
		func() error { writeExe(t, target, "v1"); return os.Lchown(target, 65534, 65534) },
		func() error { return os.Symlink(exe, target) },
	} {
		os.Remove(target)
		if err := plant(); err != nil {
			t.Fatal(err)
		}
		if _, err := place(exe, binDir, Store{Dir: filepath.Join(tmp, "state")}); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Lstat(target)
		if err != nil || !fi.Mode().IsRegular() || fi.Sys().(*syscall.Stat_t).Uid != 0 {
			t.Errorf("target after place: %v %v, want root's regular file", fi.Mode(), err)
		}
	}
}

// recordRunner records an installed runner with a service in dir, run by bin.
func recordRunner(st Store, dir string, bin binaryPlan) error {
	if err := st.Put(Record{Dir: dir, Runner: &RunnerRecord{Name: "r", Service: "actions.runner.x.r"}}); err != nil {
		return err
	}
	return st.recordBinary(bin)
}
