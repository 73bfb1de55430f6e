package bootstrap

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
)

const sampleCache = `5 libs found in cache ` + "`/etc/ld.so.cache'" + `
	libz.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libz.so.1
	libssl.so.3 (libc6,x86-64) => /lib/x86_64-linux-gnu/libssl.so.3
	libicuuc.so.72 (libc6,x86-64) => /lib/x86_64-linux-gnu/libicuuc.so.72
	libc.so.6 (libc6,x86-64, OS ABI: Linux 3.2.0) => /lib/x86_64-linux-gnu/libc.so.6
	libc.so.6 (libc6) => /lib/i386-linux-gnu/libc.so.6
`

func TestParseLibCache(t *testing.T) {
	c := ParseLibCache(sampleCache)
	if len(c) != 4 || len(c["libc.so.6"]) != 2 {
		t.Fatalf("parsed %v", c)
	}
	if !c.hasAny([]string{"libicuuc.so."}) || c.hasAny([]string{"libssl.so.1.1"}) || !c.hasAny([]string{"libssl.so.1.1", "libssl.so.3"}) {
		t.Fatalf("hasAny wrong on %v", c)
	}
}

// fakeTree makes a runner tree whose bin/ holds the given files.
func fakeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range files {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "bin", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// hostLib is the path of a real shared library of this host that needs libc.
func hostLib(t *testing.T, out string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "libz.so.1 (") && strings.Contains(line, "=> ") {
			_, p, _ := strings.Cut(line, "=> ")
			return strings.TrimSpace(p)
		}
	}
	t.Skip("no libz.so.1 in this host's loader cache")
	return ""
}

// TestMissingLibrariesHost checks the real host: a real ELF (this host's
// zlib, as bin/libcoreclr.so) needs libc, which the real cache has.
func TestMissingLibrariesHost(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the runner needs host libraries on Linux only")
	}
	out, err := exec.Command("ldconfig", "-p").Output()
	if err != nil {
		t.Skipf("ldconfig -p: %v", err)
	}
	c, ok, err := HostLibCache()
	if !ok || err != nil {
		t.Fatalf("HostLibCache: %v %v", ok, err)
	}
	dir := fakeTree(t, map[string]string{"libcoreclr.so": hostLib(t, string(out))})
	missing, err := MissingLibraries(dir, c)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(missing, "libc.so.6") {
		t.Fatalf("libc reported missing on this host: %v", missing)
	}
	// The same file against a cache without libc (nor the runtime
	// libraries): what the loader's default directories do not hold is missing.
	empty := LibCache{}
	missing, err = MissingLibraries(dir, empty)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"libicu", "libssl", "zlib"} {
		if !slices.Contains(missing, want) {
			t.Errorf("missing = %v, want %s in it", missing, want)
		}
	}
	if slices.Contains(missing, "libkrb5") || slices.Contains(missing, "liblttng-ust") {
		t.Errorf("an optional library is reported: %v", missing)
	}
}

// TestMissingLibrariesNeeded builds a real libcoreclr.so that links
// against a library that is then deleted: its DT_NEEDED entry is missing.
func TestMissingLibrariesNeeded(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux only")
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc builds the test ELF files")
	}
	work := t.TempDir()
	stub := "runnerctl_test_gone_" + strings.ReplaceAll(filepath.Base(work), "-", "_")
	if err := os.WriteFile(filepath.Join(work, "stub.c"), []byte("int gone(void) { return 1; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "core.c"), []byte("int gone(void);\nint core(void) { return gone(); }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-shared", "-fPIC", "-o", "lib" + stub + ".so", "stub.c"},
		{"-shared", "-fPIC", "-o", "libcoreclr.so", "core.c", "-L.", "-l" + stub},
	} {
		cmd := exec.Command("gcc", args...)
		cmd.Dir = work
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("gcc %v: %v\n%s", args, err, out)
		}
	}
	c, _, err := HostLibCache()
	if err != nil {
		t.Fatal(err)
	}
	dir := fakeTree(t, map[string]string{"libcoreclr.so": filepath.Join(work, "libcoreclr.so")})
	missing, err := MissingLibraries(dir, c)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(missing, "lib"+stub+".so") {
		t.Fatalf("missing = %v, want lib%s.so", missing, stub)
	}
	// Install's preflight: refused with the library named; with
	// --install-dependencies the package's script runs (in the tree, as
	// us) and what it provides counts (here it copies the library into bin/).
	err = CheckRunnerDependencies(context.Background(), dir, false, slog.New(slog.DiscardHandler))
	var de *DependencyError
	if !errors.As(err, &de) || !slices.Contains(de.Missing, "lib"+stub+".so") || failure.KindOf(err) != failure.Usage {
		t.Fatalf("preflight without --install-dependencies: %v", err)
	}
	script := "#!/bin/sh\nset -e\n[ \"$(pwd)\" = " + dir + " ]\ncp " + filepath.Join(work, "lib"+stub+".so") + " bin/\n"
	if err := os.WriteFile(filepath.Join(dir, "bin", "installdependencies.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	// (A host without libicu or libssl still lacks those: only the stub counts here.)
	de = nil
	if err := CheckRunnerDependencies(context.Background(), dir, true, slog.New(slog.DiscardHandler)); err != nil && (!errors.As(err, &de) || slices.Contains(de.Missing, "lib"+stub+".so")) {
		t.Fatalf("after installdependencies.sh: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "bin", "lib"+stub+".so")); err != nil {
		t.Fatalf("installdependencies.sh did not run in the tree: %v", err)
	}
	// The tree's own bin/ is searched ($ORIGIN): with the stub there, nothing is missing of it.
	dir = fakeTree(t, map[string]string{"libcoreclr.so": filepath.Join(work, "libcoreclr.so"), "lib" + stub + ".so": filepath.Join(work, "lib"+stub+".so")})
	if missing, err = MissingLibraries(dir, c); err != nil || slices.Contains(missing, "lib"+stub+".so") {
		t.Fatalf("with the library in bin/: missing = %v, %v", missing, err)
	}
}

func TestMissingLibrariesNoNative(t *testing.T) {
	// A tree without the native files (a fake runner): nothing to check.
	missing, err := MissingLibraries(t.TempDir(), LibCache{})
	if err != nil || len(missing) != 0 {
		t.Fatalf("missing = %v, %v", missing, err)
	}
	// A file that is not ELF is an error, not a pass.
	dir := t.TempDir()
	_ = os.MkdirAll(filepath.Join(dir, "bin"), 0o755)
	_ = os.WriteFile(filepath.Join(dir, "bin", "libcoreclr.so"), []byte("#!/bin/sh\n"), 0o644)
	if _, err := MissingLibraries(dir, LibCache{}); err == nil {
		t.Fatal("a non-ELF libcoreclr.so passed")
	}
}

func TestDependencyError(t *testing.T) {
	err := failure.Wrap(failure.Usage, &DependencyError{Missing: []string{"libicu", "libssl"}, Packages: "apt-get install -y libicuNN libssl3"})
	var de *DependencyError
	if !errors.As(err, &de) || failure.KindOf(err) != failure.Usage {
		t.Fatalf("%v: not a usage DependencyError", err)
	}
	for _, want := range []string{"libicu, libssl", "run install with --install-dependencies", "bin/installdependencies.sh", "apt-get install -y libicuNN libssl3"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}
