package archive

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// treeOf describes every entry under dir: type and mode, and the
// sha256 of a file or the target of a link.
func treeOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := e.Info()
		if err != nil {
			return err
		}
		desc := fi.Mode().String()
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			desc += " -> " + l
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += fmt.Sprintf(" %x", sha256.Sum256(b))
		}
		out[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameTrees fails unless a and b hold the same entries, and no regular
// file of b is a file of a (hard link).
func sameTrees(t *testing.T, a, b string) {
	t.Helper()
	ta, tb := treeOf(t, a), treeOf(t, b)
	if len(ta) != len(tb) {
		t.Errorf("%d entries, copy %d", len(ta), len(tb))
	}
	for rel, want := range ta {
		if tb[rel] != want {
			t.Errorf("%s: %q, copy %q", rel, want, tb[rel])
		}
		fa, errA := os.Lstat(filepath.Join(a, rel))
		fb, errB := os.Lstat(filepath.Join(b, rel))
		if errA == nil && errB == nil && fa.Mode().IsRegular() && os.SameFile(fa, fb) {
			t.Errorf("%s: the copy is the same file (a hard link)", rel)
		}
	}
}

func TestCopyToIsTheSameTreeInFilesOfItsOwn(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("skipped: POSIX modes and symlinks")
	}
	src := runnerTree(t)
	if err := os.Mkdir(filepath.Join(src, "sealed"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "sealed", "f"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(src, "sealed"), 0o555); err != nil { // set last, as Extract does
		t.Fatal(err)
	}
	archive := realTarGz(t, src)
	parent := t.TempDir()
	st, err := extractFile(t, archive, filepath.Join(parent, "n-1"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Discard()
	cp, err := st.CopyTo(filepath.Join(parent, "n-2"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(filepath.Base(filepath.Dir(cp.Dir)), ".n-2.staging-") {
		t.Errorf("the copy is staged in %s, want beside n-2", cp.Dir)
	}
	if cp.Files != 10 || cp.Bytes == 0 {
		t.Errorf("copy counted %d files, %d bytes", cp.Files, cp.Bytes)
	}
	sameTrees(t, st.Dir, cp.Dir)
	if err := cp.Commit(filepath.Join(parent, "n-2")); err != nil {
		t.Fatal(err)
	}
	sameTrees(t, st.Dir, filepath.Join(parent, "n-2"))
	// The source is untouched and still copies; once discarded, it does not.
	if _, err := os.Stat(filepath.Join(st.Dir, "config.sh")); err != nil {
		t.Fatal(err)
	}
	st.Discard()
	if _, err := st.CopyTo(filepath.Join(parent, "n-3")); err == nil {
		t.Fatal("CopyTo of a discarded tree succeeded")
	}
	if left, _ := filepath.Glob(filepath.Join(parent, ".n-*")); len(left) != 0 {
		t.Fatalf("staging left: %v", left)
	}
}

// The time install --count saves: one extraction and N-1 copies against
// N extractions of a runner-shaped package (half random, half text-like,
// like the real one's binaries and JavaScript). RUNNERCTL_COPY_BENCH_MB
// sets its size (default 16; the real package extracts to about 200).
func TestSharedExtractionTiming(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("skipped: realTarGz packs with tar")
	}
	mb := 16
	if v := os.Getenv("RUNNERCTL_COPY_BENCH_MB"); v != "" {
		var err error
		if mb, err = strconv.Atoi(v); err != nil {
			t.Fatal(err)
		}
	}
	src := t.TempDir()
	text := []byte(strings.Repeat("function f(x) { return x + 1; } // runner\n", 2048))
	rnd := make([]byte, 64<<10)
	for i := range mb * 8 { // 128 KiB a file
		dir := filepath.Join(src, "externals", fmt.Sprintf("d%02d", i%40))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		_, _ = rand.Read(rnd)
		body := append(append([]byte{}, rnd...), text[:64<<10]...)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%04d.js", i)), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	archive := realTarGz(t, src)
	const n = 3
	parent := t.TempDir()
	// Shared first, then separate: the second phase writes behind the
	// first one's dirty pages, so the order is alternated by
	// RUNNERCTL_COPY_BENCH_ORDER=separate-first to see the difference.
	var separate, once, shared time.Duration
	var st, last *Staged
	sharedPhase := func() {
		start := time.Now()
		var err error
		if st, err = extractFile(t, archive, filepath.Join(parent, "n-1")); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.Discard)
		once = time.Since(start)
		for i := 2; i <= n; i++ {
			if last, err = st.CopyTo(filepath.Join(parent, fmt.Sprintf("n-%d", i))); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(last.Discard)
		}
		shared = time.Since(start)
	}
	separatePhase := func() {
		start := time.Now()
		for i := range n {
			st, err := extractFile(t, archive, filepath.Join(parent, fmt.Sprintf("sep-%d", i)))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(st.Discard)
		}
		separate = time.Since(start)
	}
	if os.Getenv("RUNNERCTL_COPY_BENCH_ORDER") == "separate-first" {
		separatePhase()
		sharedPhase()
	} else {
		sharedPhase()
		separatePhase()
	}
	t.Logf("%d runners from a %d MB package (%d files): %d extractions %s; one extraction %s + %d copies %s = %s",
		n, mb, mb*8, n, separate.Round(time.Millisecond), once.Round(time.Millisecond), n-1, (shared - once).Round(time.Millisecond), shared.Round(time.Millisecond))
	sameTrees(t, st.Dir, last.Dir)
}
