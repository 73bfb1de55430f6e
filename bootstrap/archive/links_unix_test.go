//go:build !windows

package archive

import (
	"archive/tar"
	"archive/zip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// node is one entry of a source tree built on disk before a real tool
// packs it: a directory (dir), a file (body), or a symlink (link).
type node struct {
	path, link, body string
	dir              bool
}

// sourceTree lays nodes out on disk (links are made as they are, never
// followed), in a directory of their own.
func sourceTree(t *testing.T, nodes []node) string {
	t.Helper()
	src := t.TempDir()
	for _, n := range nodes {
		p := filepath.Join(src, n.path)
		var err error
		switch {
		case n.dir:
			err = os.MkdirAll(p, 0o755)
		case n.link != "":
			err = os.Symlink(n.link, p)
		default:
			err = os.WriteFile(p, []byte(n.body), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return src
}

// gnuTar packs members of src in exactly that order with GNU tar
// (--no-recursion: one entry per member; a member whose path goes
// through a link is read through it and stored under that name).
func gnuTar(t *testing.T, src string, members ...string) string {
	t.Helper()
	return pack(t, src, "actions-runner-linux-x64-2.336.0.tar.gz", append([]string{"tar", "--no-recursion", "-czf", "OUT"}, members...))
}

// infoZip packs members of src in that order with Info-ZIP, links stored
// as links (--symlinks).
func infoZip(t *testing.T, src string, members ...string) string {
	t.Helper()
	return pack(t, src, "actions-runner-linux-x64-2.336.0.zip", append([]string{"zip", "-q", "--symlinks", "OUT"}, members...))
}

// pack runs argv in src (OUT stands for the archive's path) and returns
// the archive, named name.
func pack(t *testing.T, src, name string, argv []string) string {
	t.Helper()
	if _, err := exec.LookPath(argv[0]); err != nil {
		t.Skipf("skipped: %s is not installed", argv[0])
	}
	archive := filepath.Join(t.TempDir(), name)
	for i, a := range argv {
		if a == "OUT" {
			argv[i] = archive
		}
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = src
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", argv[0], err, b)
	}
	return archive
}

// Links that resolve outside the tree only through links extracted
// before them (or after them) are refused, whatever tool made the
// archive; resolution is against the tree as extracted, not lexical.
func TestExtractRefusesLinksEscapingThroughLinks(t *testing.T) {
	cases := []struct {
		name    string
		nodes   []node
		members []string
	}{
		{"dot-dot through an earlier link (sub/up -> .., esc -> sub/up/..)",
			[]node{{path: "sub", dir: true}, {path: "sub/up", link: ".."}, {path: "esc", link: "sub/up/.."}},
			[]string{"./sub", "./sub/up", "./esc"}},
		{"a chain of links to links",
			[]node{{path: "a", dir: true}, {path: "a/l1", link: ".."}, {path: "a/l2", link: "l1"}, {path: "a/l3", link: "l2/a/l2"}, {path: "esc", link: "a/l3/.."}},
			[]string{"./a", "./a/l1", "./a/l2", "./a/l3", "./esc"}},
		{"a link to an absolute path",
			[]node{{path: "bin", dir: true}, {path: "bin/root", link: "/"}},
			[]string{"./bin", "./bin/root"}},
		{"through a link to a link deeper down",
			[]node{{path: "x/y", dir: true}, {path: "x/y/top", link: "../.."}, {path: "x/alias", link: "y/top"}, {path: "esc", link: "x/alias/.."}},
			[]string{"./x", "./x/y", "./x/y/top", "./x/alias", "./esc"}},
		{"a later link changes what an earlier one resolves to",
			[]node{{path: "esc", link: "a/b/../.."}, {path: "sub", dir: true}, {path: "sub/up", link: ".."}, {path: "a", link: "sub/up"}},
			[]string{"./esc", "./sub", "./sub/up", "./a"}},
		{"a loop",
			[]node{{path: "l1", link: "l2"}, {path: "l2", link: "l1"}},
			[]string{"./l1", "./l2"}},
		{"a file written through an in-tree link to the top",
			[]node{{path: "sub", dir: true}, {path: "sub/up", link: ".."}, {path: "x", body: "x"}},
			[]string{"./sub", "./sub/up", "./sub/up/x"}},
		{"a directory made through a link",
			[]node{{path: "real", dir: true}, {path: "sub", dir: true}, {path: "sub/alias", link: "../real"}, {path: "real/d", dir: true}},
			[]string{"./real", "./sub", "./sub/alias", "./sub/alias/d"}},
	}
	for _, c := range cases {
		t.Run("tar: "+c.name, func(t *testing.T) {
			refused(t, gnuTar(t, sourceTree(t, c.nodes), c.members...), "")
		})
		if strings.Contains(c.name, "written through") || strings.Contains(c.name, "made through") {
			continue // Info-ZIP stores these under the resolved name
		}
		t.Run("zip: "+c.name, func(t *testing.T) {
			zipMembers := make([]string, len(c.members))
			for i, m := range c.members {
				zipMembers[i] = strings.TrimPrefix(m, "./")
			}
			refused(t, infoZip(t, sourceTree(t, c.nodes), zipMembers...), "")
		})
	}
}

// Built by hand where the tools will not: an escape through an earlier
// link followed by writes through it, and a hard link whose source path
// goes through a link.
func TestExtractRefusesWritesThroughEscapes(t *testing.T) {
	outside := t.TempDir()
	// The link that escapes is refused before the write is tried; the
	// write alone (through an in-tree link) is refused too.
	refused(t, evilTarGz(t,
		entry{name: "./sub/", typ: tar.TypeDir},
		entry{name: "./sub/up", typ: tar.TypeSymlink, link: ".."},
		entry{name: "./esc", typ: tar.TypeSymlink, link: "sub/up/.."},
		entry{name: "./esc/" + filepath.Base(outside) + "/pwned", typ: tar.TypeReg, body: "pwned"},
	), outside)
	refused(t, evilTarGz(t,
		entry{name: "./real/", typ: tar.TypeDir},
		entry{name: "./real/f", typ: tar.TypeReg, body: "f"},
		entry{name: "./alias", typ: tar.TypeSymlink, link: "real"},
		entry{name: "./h", typ: tar.TypeLink, link: "./alias/f"},
	), "")

	// A zip made with archive/zip, the link stored as Info-ZIP does.
	p := filepath.Join(t.TempDir(), "actions-runner-win-x64-2.336.0.zip")
	fh, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(fh)
	for _, e := range []struct {
		name, body string
		mode       os.FileMode
	}{{"sub/", "", os.ModeDir | 0o755}, {"sub/up", "..", os.ModeSymlink | 0o777}, {"esc", "sub/up/..", os.ModeSymlink | 0o777}} {
		h := &zip.FileHeader{Name: e.name, Method: zip.Store}
		h.SetMode(e.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(e.body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	refused(t, p, "")
}

// Links through links that stay inside are kept, from both tools.
func TestExtractKeepsLinksThroughLinksInside(t *testing.T) {
	nodes := []node{
		{path: "externals/node20/bin", dir: true}, {path: "externals/node20/lib", dir: true},
		{path: "externals/node20/lib/npm-cli.js", body: "npm"},
		{path: "externals/node20/bin/npm", link: "../lib/npm-cli.js"},
		{path: "node", link: "externals/node20"},
		{path: "npm2", link: "node/bin/npm"},
		{path: "up", link: "externals/node20/bin/.."},
	}
	members := []string{"./externals", "./externals/node20", "./externals/node20/bin", "./externals/node20/lib",
		"./externals/node20/bin/npm", "./externals/node20/lib/npm-cli.js", "./node", "./npm2", "./up"}
	for _, archive := range []string{gnuTar(t, sourceTree(t, nodes), members...), infoZip(t, sourceTree(t, nodes), "externals", "externals/node20",
		"externals/node20/bin", "externals/node20/lib", "externals/node20/bin/npm", "externals/node20/lib/npm-cli.js", "node", "npm2", "up")} {
		dest := install(t, archive)
		for _, p := range []string{"npm2", "up/lib/npm-cli.js"} {
			if b, err := os.ReadFile(filepath.Join(dest, p)); err != nil || string(b) != "npm" {
				t.Errorf("%s: %s: %q %v", filepath.Base(archive), p, b, err)
			}
		}
	}
}
