//go:build !windows

package bootstrap

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
)

// place plans and places exe as install does.
func place(exe, binDir, index string) (binaryPlan, error) {
	log := slog.New(slog.DiscardHandler)
	p, err := planBinary(exe, binDir, "", index, log)
	if err == nil {
		err = placeBinary(&p, exe, "", log)
	}
	return p, err
}

func needRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: needs root (the directory of the service's runnerctl must be root's)")
	}
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
	needRoot(t)
	tmp := t.TempDir()
	index, binDir := filepath.Join(tmp, "index"), filepath.Join(tmp, "bin")
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
	if err := recordInstall(index, IndexEntry{Dir: "/r1"}, p); err != nil {
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
	needRoot(t)
	tmp := t.TempDir()
	index, binDir := filepath.Join(tmp, "index"), filepath.Join(tmp, "bin")
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
	if err := recordInstall(index, IndexEntry{Dir: "/r1"}, p); err != nil {
		t.Fatal(err)
	}
	if err := indexRemove(index, "/r1"); err != nil {
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
	needRoot(t)
	tmp := t.TempDir()
	exe := filepath.Join(tmp, "runnerctl")
	writeExe(t, exe, "v1")
	for _, mode := range []os.FileMode{0o777, 0o775} {
		bin := filepath.Join(tmp, fmt.Sprintf("bin%o", mode))
		if err := os.Mkdir(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(bin, mode); err != nil {
			t.Fatal(err)
		}
		_, err := place(exe, filepath.Join(bin, "sub"), filepath.Join(tmp, "index"))
		if failure.KindOf(err) != failure.Usage || !strings.Contains(err.Error(), bin+" (mode") {
			t.Errorf("bin dir mode %o: err = %v, want a usage error naming %s", mode, err, bin)
		}
		if _, err := os.Stat(filepath.Join(bin, "sub")); err == nil {
			t.Errorf("bin dir mode %o: something was written", mode)
		}
	}
}
