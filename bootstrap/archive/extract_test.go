package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
)

// runnerTree lays out a small tree shaped like the real runner package:
// executables, a node distribution with in-tree symlinks, a read-only file.
func runnerTree(t *testing.T) string {
	t.Helper()
	src := t.TempDir()
	files := map[string]os.FileMode{
		"config.sh": 0o755, "run.sh": 0o755, "env.sh": 0o755, "bin/Runner.Listener": 0o755, "bin/runsvc.sh": 0o755,
		"bin/Runner.Listener.dll": 0o644, "externals/node20/bin/node": 0o755,
		"externals/node20/lib/node_modules/npm/bin/npm-cli.js": 0o755, "bin/readonly.txt": 0o444,
	}
	for p, m := range files {
		full := filepath.Join(src, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("#!/bin/sh\necho "+p+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(full, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../lib/node_modules/npm/bin/npm-cli.js", filepath.Join(src, "externals/node20/bin/npm")); err != nil {
		t.Fatal(err)
	}
	return src
}

// realTarGz packs dir with GNU tar the way the runner's release does (tar -czf NAME -C layout .).
func realTarGz(t *testing.T, dir string) string {
	t.Helper()
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("tar is not installed: cannot build a real archive")
	}
	out := filepath.Join(t.TempDir(), "actions-runner-linux-x64-2.336.0.tar.gz")
	if b, err := exec.Command("tar", "-czf", out, "-C", dir, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, b)
	}
	return out
}

func extractFile(t *testing.T, archive, dest string) (*Staged, error) {
	t.Helper()
	fh, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	return Extract(context.Background(), filepath.Base(archive), fh, dest, Limits{})
}

// install extracts archive into a new directory and commits it there.
func install(t *testing.T, archive string) string {
	t.Helper()
	dest := filepath.Join(t.TempDir(), "runner")
	st, err := extractFile(t, archive, dest)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(dest); err != nil {
		t.Fatal(err)
	}
	return dest
}

func TestExtractRealTarKeepsModesAndLinks(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX modes and symlinks")
	}
	dest := install(t, realTarGz(t, runnerTree(t)))
	for p, want := range map[string]os.FileMode{"config.sh": 0o755, "bin/Runner.Listener": 0o755, "bin/Runner.Listener.dll": 0o644, "bin/readonly.txt": 0o444} {
		fi, err := os.Stat(filepath.Join(dest, p))
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v (%v)", p, fi.Mode().Perm(), want, err)
		}
	}
	link, err := os.Readlink(filepath.Join(dest, "externals/node20/bin/npm"))
	if err != nil || link != "../lib/node_modules/npm/bin/npm-cli.js" {
		t.Fatalf("npm link: %q %v", link, err)
	}
	if _, err := os.Stat(filepath.Join(dest, "externals/node20/bin/npm")); err != nil {
		t.Fatalf("npm link does not resolve: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(dest), ".runner.staging-*")); len(left) != 0 {
		t.Fatalf("staging left: %v", left)
	}
}

type entry struct {
	name, link string
	typ        byte
	body       string
}

func evilTarGz(t *testing.T, entries ...entry) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if e.typ == tar.TypeDir {
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			_, _ = tw.Write([]byte(e.body))
		}
	}
	_ = tw.Close()
	_ = zw.Close()
	p := filepath.Join(t.TempDir(), "evil.tar.gz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExtractRefusesUnsafe(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	outside := t.TempDir()
	cases := map[string][]entry{
		"dot-dot":        {{name: "./ok.txt", typ: tar.TypeReg, body: "x"}, {name: "../x", typ: tar.TypeReg, body: "pwned"}},
		"nested dot-dot": {{name: "./a/../../x", typ: tar.TypeReg, body: "pwned"}},
		"absolute":       {{name: filepath.Join(outside, "abs"), typ: tar.TypeReg, body: "pwned"}},
		"symlink out then write through it": {
			{name: "./evil", typ: tar.TypeSymlink, link: outside},
			{name: "./evil/pwned", typ: tar.TypeReg, body: "pwned"},
		},
		"relative symlink out": {{name: "./bin/evil", typ: tar.TypeSymlink, link: "../../x"}},
		"hard link outside":    {{name: "./passwd", typ: tar.TypeLink, link: "/etc/passwd"}},
		"hard link dot-dot":    {{name: "./passwd", typ: tar.TypeLink, link: "../x"}},
		"char device":          {{name: "./null", typ: tar.TypeChar}},
		"fifo":                 {{name: "./fifo", typ: tar.TypeFifo}},
		"in-tree link to dir, then write through it": {
			{name: "./real/", typ: tar.TypeDir},
			{name: "./alias", typ: tar.TypeSymlink, link: "real"},
			{name: "./alias/x", typ: tar.TypeReg, body: "through a link"},
		},
	}
	for name, entries := range cases {
		t.Run(name, func(t *testing.T) { refused(t, evilTarGz(t, entries...), outside) })
	}
}

// refused extracts archive next to a fresh destination and asserts an
// Integrity refusal that left nothing beside it or in outside.
func refused(t *testing.T, archive, outside string) {
	t.Helper()
	parent := t.TempDir()
	st, err := extractFile(t, archive, filepath.Join(parent, "runner"))
	if err == nil {
		st.Discard()
		t.Fatal("accepted")
	}
	if failure.KindOf(err) != failure.Integrity || !errors.Is(err, ErrUnsafe) {
		t.Fatalf("err = %v (kind %v), want an Integrity refusal", err, failure.KindOf(err))
	}
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Fatalf("left beside the destination: %v", left)
	}
	if outside != "" {
		if left, _ := os.ReadDir(outside); len(left) != 0 {
			t.Fatalf("written outside: %v", left)
		}
	}
}

func TestExtractSizeBound(t *testing.T) {
	p := evilTarGz(t, entry{name: "./big", typ: tar.TypeReg, body: string(make([]byte, 4096))})
	fh, _ := os.Open(p)
	defer fh.Close()
	parent := t.TempDir()
	_, err := Extract(context.Background(), "x.tar.gz", fh, filepath.Join(parent, "r"), Limits{MaxBytes: 1000})
	if failure.KindOf(err) != failure.Integrity {
		t.Fatalf("err = %v", err)
	}
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Fatalf("left: %v", left)
	}
}

func TestExtractZip(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{"config.cmd": "@echo off", "bin/Runner.Listener.exe": "MZ"} {
		w, _ := zw.Create(name)
		_, _ = w.Write([]byte(body))
	}
	w, _ := zw.Create("../evil.txt")
	_, _ = w.Write([]byte("x"))
	_ = zw.Close()
	p := filepath.Join(t.TempDir(), "actions-runner-win-x64-2.336.0.zip")
	_ = os.WriteFile(p, buf.Bytes(), 0o644)
	parent := t.TempDir()
	if _, err := extractFile(t, p, filepath.Join(parent, "r")); !errors.Is(err, ErrUnsafe) {
		t.Fatalf("zip with ../: %v", err)
	}

	buf.Reset()
	zw = zip.NewWriter(&buf)
	w, _ = zw.Create("bin/Runner.Listener.exe")
	_, _ = w.Write([]byte("MZ"))
	_ = zw.Close()
	_ = os.WriteFile(p, buf.Bytes(), 0o644)
	dest := filepath.Join(parent, "r")
	st, err := extractFile(t, p, dest)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(dest); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dest, "bin", "Runner.Listener.exe")); err != nil || string(b) != "MZ" {
		t.Fatalf("zip content: %q %v", b, err)
	}
}

func TestCommitRefusesNonEmptyDest(t *testing.T) {
	archive := evilTarGz(t, entry{name: "./a", typ: tar.TypeReg, body: "a"})
	dest := filepath.Join(t.TempDir(), "r")
	_ = os.MkdirAll(dest, 0o755)
	_ = os.WriteFile(filepath.Join(dest, "keep"), []byte("x"), 0o644)
	st, err := extractFile(t, archive, dest)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Discard()
	if err := st.Commit(dest); err == nil {
		t.Fatal("committed over a non-empty directory")
	}
}
