//go:build !windows

package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// fuzzEntry is one archive entry decoded from a fuzz spec line
// "TYPE|NAME|DATA|MODE": TYPE f (or none) file (DATA its content), d directory,
// l symlink (DATA its target), h hard link (DATA the name it links to),
// c character device, p FIFO, any other byte that tar type flag; MODE
// octal (may hold setuid bits). @OUT@ in NAME or DATA stands for the
// outermost directory of the fuzz layout, so absolute names can aim at
// its sentinels.
type fuzzEntry struct {
	typ        byte
	name, data string
	mode       int64
}

func parseSpec(spec, out string) []fuzzEntry {
	var es []fuzzEntry
	for _, line := range strings.Split(spec, "\n") {
		if line == "" {
			continue
		}
		f := strings.SplitN(line, "|", 4)
		for len(f) < 4 {
			f = append(f, "")
		}
		e := fuzzEntry{typ: 'f', name: strings.ReplaceAll(f[1], "@OUT@", out), data: strings.ReplaceAll(f[2], "@OUT@", out), mode: 0o644}
		if f[0] != "" {
			e.typ = f[0][0]
		}
		if m, err := strconv.ParseInt(f[3], 8, 64); err == nil {
			e.mode = m & 0o7777
		} else if e.typ == 'd' {
			e.mode = 0o755
		}
		es = append(es, e)
		if len(es) == 64 {
			break
		}
	}
	return es
}

// tarGz packs es as a tar.gz; an entry tar cannot write is left out.
func tarGz(es []fuzzEntry) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range es {
		h := &tar.Header{Name: e.name, Mode: e.mode, Format: tar.FormatPAX}
		switch e.typ {
		case 'f':
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		case 'd':
			h.Typeflag = tar.TypeDir
		case 'l':
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.data
		case 'h':
			h.Typeflag, h.Linkname = tar.TypeLink, e.data
		case 'c':
			h.Typeflag, h.Devmajor, h.Devminor = tar.TypeChar, 1, 3
		case 'p':
			h.Typeflag = tar.TypeFifo
		default:
			h.Typeflag, h.Linkname = e.typ, e.data
		}
		if tw.WriteHeader(h) != nil {
			continue
		}
		if h.Typeflag == tar.TypeReg {
			_, _ = tw.Write([]byte(e.data))
		}
	}
	_ = tw.Close()
	_ = zw.Close()
	return buf.Bytes()
}

// zipOf packs es as a zip (links stored as Info-ZIP does: the target as
// the content); a hard link is a file there.
func zipOf(es []fuzzEntry) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range es {
		h := &zip.FileHeader{Name: e.name, Method: zip.Store}
		mode := fs.FileMode(e.mode & 0o777)
		switch e.typ {
		case 'd':
			h.Name = strings.TrimSuffix(h.Name, "/") + "/"
			mode |= fs.ModeDir
		case 'l':
			mode |= fs.ModeSymlink
		case 'c':
			mode |= fs.ModeDevice | fs.ModeCharDevice
		case 'p':
			mode |= fs.ModeNamedPipe
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			continue
		}
		if e.typ != 'd' {
			_, _ = w.Write([]byte(e.data))
		}
	}
	_ = zw.Close()
	return buf.Bytes()
}

// snapshot describes every entry under root (root's own link count
// left out), skip only by its mode: type, mode, link count, content or
// link target.
func snapshot(t *testing.T, root, skip string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if p == skip {
			m[p] = fi.Mode().String() // its link count is its own
			return filepath.SkipDir
		}
		desc := fmt.Sprintf("%v nlink=%d", fi.Mode(), fi.Sys().(*syscall.Stat_t).Nlink)
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			desc += " -> " + l
		case fi.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			desc += fmt.Sprintf(" %x", sha256.Sum256(b))
		}
		if p == root {
			desc = fi.Mode().String()
		}
		m[p] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// fuzzLayout makes OUT/n1/n2/n3/n4/parent with a sentinel file, a
// sentinel directory holding a file and a link at every level, and
// returns OUT and the runner directory to be (parent/runner): the
// staging tree is parent/.runner.staging-X/tree, so "../../../sentinel"
// from it is n4's.
func fuzzLayout(t *testing.T) (out, dest string) {
	t.Helper()
	out = t.TempDir()
	dir := out
	for _, n := range []string{"n1", "n2", "n3", "n4", "parent"} {
		for p, body := range map[string]string{"sentinel": "keep " + dir, "sentinel-dir/file": "keep"} {
			p = filepath.Join(dir, p)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Symlink("sentinel", filepath.Join(dir, "sentinel-link")); err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(dir, n)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return out, filepath.Join(dir, "runner")
}

// realSpec is shaped like the runner package: it must extract.
const realSpec = "d|./|\nd|./bin/|\nf|./bin/Runner.Listener|ELF|755\nf|./config.sh|#!/bin/bash|755\nd|./externals/node20/lib/|\n" +
	"f|./externals/node20/lib/cli.js|js\nl|./externals/node20/bin/npm|../lib/cli.js\nf|./bin/readonly.txt|ro|444"

// FuzzExtract: whatever an archive holds (names, link targets, modes,
// types; tar.gz or zip), extraction writes nothing outside its staging
// directory: every sentinel around it keeps type, mode, content and link
// count; a refusal leaves nothing; an accepted tree, committed, holds
// only directories, files without setuid/setgid and links that resolve
// inside it, and no file shares an inode with anything outside it.
func FuzzExtract(f *testing.F) {
	for _, s := range []struct {
		spec  string
		asZip bool
	}{
		{realSpec, false},
		{realSpec, true},
		{"f|config.cmd|@echo off\nd|bin/\nf|bin/Runner.Listener.exe|MZ", true},
		{"f|../../../sentinel|pwned", false},
		{"f|@OUT@/n1/sentinel|pwned", false},
		{"l|evil|../../../sentinel-dir\nf|evil/file|pwned", false},
		{"l|evil|@OUT@/n1/n2/n3/n4\nf|evil/sentinel|pwned", false},
		{"d|real/\nl|alias|real\nf|alias/x|through a link", false},
		{"l|sub/up|..\nl|esc|sub/up/../../../../sentinel\nf|esc|pwned", false},
		{"d|a/b/c/\nl|a/b/c/esc|s/../../../sentinel\nl|a/b/c/s|../../..", false},
		{"l|a|b\nl|b|a\nf|a/x|loop", false},
		{"l|up|..\nl|x|up/up/up/sentinel", true},
		{"h|passwd|../../../sentinel", false},
		{"f|x|1\nh|y|x\nh|z|@OUT@/sentinel", false},
		{"f|suid|x|4755\nd|sticky|x|1777", false},
		{"c|null\np|fifo", false},
		{"f|a|1\nd|a/\nl|a|b", false},
		{"L|././@LongLink|../../../sentinel\nf|x|y", false},
		{"f|C:\\x|y\nl|win|..\\..\\..\\sentinel\nf|win\\z|w", false},
		{"l|dir|.\nl|dir/dir/out|../../../../sentinel", true},
	} {
		f.Add(s.spec, s.asZip)
	}
	f.Fuzz(func(t *testing.T, spec string, asZip bool) {
		out, dest := fuzzLayout(t)
		es := parseSpec(spec, out)
		name, data := "actions-runner-linux-x64-2.336.0.tar.gz", tarGz(es)
		if asZip {
			name, data = "actions-runner-linux-x64-2.336.0.zip", zipOf(es)
		}
		archive := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(archive, data, 0o644); err != nil {
			t.Fatal(err)
		}
		parent := filepath.Dir(dest)
		before := snapshot(t, out, parent)
		beside := snapshot(t, parent, filepath.Join(parent, "runner"))
		fh, err := os.Open(archive)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		st, err := Extract(context.Background(), name, fh, dest, Limits{MaxBytes: 1 << 20, MaxEntries: 100})
		if err != nil && spec == realSpec {
			t.Fatalf("a runner-shaped package refused: %v", err)
		}
		if err == nil {
			if cerr := st.Commit(dest); cerr != nil {
				t.Fatalf("commit: %v", cerr)
			}
			checkExtracted(t, dest)
		}
		after := snapshot(t, out, parent)
		for p, d := range before {
			if after[p] != d {
				t.Errorf("%s was %s, now %q", p, d, after[p])
			}
		}
		for p, d := range after {
			if _, ok := before[p]; !ok {
				t.Errorf("%s made outside the tree: %s", p, d)
			}
		}
		afterBeside := snapshot(t, parent, dest)
		delete(afterBeside, dest)
		for p, d := range afterBeside {
			if beside[p] != d {
				t.Errorf("beside the runner directory: %s is %s, was %q", p, d, beside[p])
			}
		}
		if len(afterBeside) != len(beside) {
			t.Errorf("beside the runner directory: %d entries, were %d (err %v)", len(afterBeside), len(beside), err)
		}
		if t.Failed() {
			t.Fatalf("archive %+v (err %v)", es, err)
		}
	})
}

// checkExtracted asserts what every accepted, committed tree is.
func checkExtracted(t *testing.T, dest string) {
	t.Helper()
	root, err := os.OpenRoot(dest)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	inodes := map[uint64]uint64{} // inode → names in the tree
	nlinks := map[uint64]uint64{}
	err = filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dest, p)
		m := fi.Mode()
		switch {
		case m.IsDir():
		case m.IsRegular():
			if m&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
				t.Errorf("%s: mode %v", rel, m)
			}
			sys := fi.Sys().(*syscall.Stat_t)
			inodes[sys.Ino]++
			nlinks[sys.Ino] = uint64(sys.Nlink)
		case m&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			if filepath.IsAbs(l) {
				t.Errorf("%s: a link to the absolute %s", rel, l)
			}
			// os.Root follows links only inside the tree: a link
			// leaving it is an error that says so.
			if _, err := root.Stat(rel); err != nil && strings.Contains(err.Error(), "escapes") {
				t.Errorf("%s -> %s: %v", rel, l, err)
			}
		default:
			t.Errorf("%s: a %v", rel, m.Type())
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	for ino, n := range inodes {
		if nlinks[ino] != n {
			t.Errorf("inode %d: %d links, %d of them in the tree", ino, nlinks[ino], n)
		}
	}
}
