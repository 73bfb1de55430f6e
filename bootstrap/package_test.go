package bootstrap

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runnerctl/runnerctl/bootstrap/archive"
	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/fetch"
	"github.com/runnerctl/runnerctl/bootstrap/github"
	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
)

// listed is a downloads API that lists these packages.
type listed []github.Download

func (l listed) Downloads(context.Context) ([]github.Download, error) { return l, nil }

func hexSHA(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// The server's list is checked before any path is made of it; a package
// it lists without a sha256 needs --sha256, which also pins one it lists
// with one.
func TestResolvePackageChecksServerData(t *testing.T) {
	sum, other := strings.Repeat("ab", 32), strings.Repeat("cd", 32)
	name := "actions-runner-linux-x64-2.336.0.tar.gz"
	for _, c := range []struct {
		desc           string
		filename, sha  string // listed by the server
		pin            string // --sha256
		wantSHA, wantE string // wantE: "" means accepted with wantSHA
	}{
		{"as listed", name, sum, "", sum, ""},
		{"upper-case hex", name, strings.ToUpper(sum), "", sum, ""},
		{"pinned, same", name, sum, strings.ToUpper(sum), sum, ""},
		{"pinned, listed without", name, "", other, other, ""},
		{"listed without, not pinned", name, "", "", "", "the server lists no sha256, so it cannot be verified; refusing it (pass --sha256 HEX from the runner's release notes to pin it)"},
		{"pinned, listed another", name, sum, other, "", `the server lists sha256 "` + sum + `", --sha256 says ` + other + ": refusing it"},
		{"non-hex", name, strings.Repeat("zz", 32), "", "", "is not 64 hex digits"},
		{"climbing sha256", name, "/../../x", "", "", `sha256 "/../../x" is not 64 hex digits`},
		{"traversal", "../../x/actions-runner-linux-x64-2.0.0.tar.gz", sum, "", "", `file name "../../x/actions-runner-linux-x64-2.0.0.tar.gz" is not a runner package name`},
		{"traversal, pinned", "../" + name, "", sum, "", "is not a runner package name"},
	} {
		api := listed{{OS: "linux", Architecture: "x64", Filename: c.filename, SHA256: c.sha, DownloadURL: "https://example.invalid/p", TempDownloadToken: secret.New("tok")}}
		src, err := ResolvePackage(context.Background(), api, PackageOptions{OS: "linux", Arch: "x64", SHA256: c.pin})
		if c.wantE == "" {
			if err != nil || src.SHA256 != c.wantSHA || src.Filename != c.filename {
				t.Errorf("%s: %+v, %v; want sha256 %s", c.desc, src, err, c.wantSHA)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.wantE) || failure.KindOf(err) != failure.Integrity {
			t.Errorf("%s: err %v; want an integrity error with %q", c.desc, err, c.wantE)
		}
	}
}

// zipPackage is a runner-shaped zip (the Windows layout).
func zipPackage(t *testing.T) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range []string{"config.cmd", "bin/Runner.Listener.exe"} {
		w, err := zw.Create(f)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte("MZ " + f))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fetchExtract hands a zip's extractor the very *os.File that was hashed
// (archive.Extract reads a zip only from an *os.File), downloaded or
// cached, and never one whose checksum failed; a tar.gz streams.
func TestFetchExtract(t *testing.T) {
	o := githubtest.NewOrigin()
	defer o.Close()
	zipData := zipPackage(t)
	zd := o.Publish("win", "x64", "actions-runner-win-x64-2.336.0.zip", zipData, "tmp-token")
	gz := append([]byte{0x1f, 0x8b}, bytes.Repeat([]byte("runner"), 1000)...)
	gd := o.Publish("linux", "x64", "actions-runner-linux-x64-2.336.0.tar.gz", gz, "tmp-token")
	log := slog.New(slog.DiscardHandler)
	c := &fetch.Cache{Dir: filepath.Join(t.TempDir(), "cache"), Log: log}
	f := &fetch.Fetcher{UserAgent: "test", MaxAttempts: 1, Log: log}
	root := t.TempDir()

	src := SourceOf(github.Download{Filename: zd.Filename, DownloadURL: zd.DownloadURL, SHA256: zd.SHA256, TempDownloadToken: secret.New(zd.TempDownloadToken)})
	for i, want := range []bool{true, false} { // downloaded, then from the cache
		dest := filepath.Join(root, "win", string(rune('a'+i)))
		var staged *archive.Staged
		e, err := fetchExtract(context.Background(), c, f, PackageOptions{}, src, func(r io.Reader) error {
			if _, ok := r.(*os.File); !ok {
				t.Errorf("the zip extractor got a %T, not the verified *os.File", r)
			}
			s, err := archive.Extract(context.Background(), src.Filename, r, dest, archive.Limits{})
			staged = s
			return err
		})
		if err != nil || e.Downloaded != want || e.SHA256 != hexSHA(zipData) {
			t.Fatalf("zip %d: %+v %v", i, e, err)
		}
		if err := staged.Commit(dest); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(filepath.Join(dest, "bin", "Runner.Listener.exe")); err != nil || string(b) != "MZ bin/Runner.Listener.exe" {
			t.Fatalf("zip %d: extracted %q, %v", i, b, err)
		}
	}

	bad := src
	bad.SHA256 = strings.Repeat("0", 64)
	c2 := &fetch.Cache{Dir: filepath.Join(t.TempDir(), "cache"), Log: log}
	called := false
	if _, err := fetchExtract(context.Background(), c2, f, PackageOptions{}, bad, func(io.Reader) error { called = true; return nil }); failure.KindOf(err) != failure.Integrity || called {
		t.Fatalf("wrong checksum: err %v, extractor called %v", err, called)
	}

	gsrc := SourceOf(github.Download{Filename: gd.Filename, DownloadURL: gd.DownloadURL, SHA256: gd.SHA256, TempDownloadToken: secret.New(gd.TempDownloadToken)})
	var got bytes.Buffer
	if _, err := fetchExtract(context.Background(), c, f, PackageOptions{}, gsrc, func(r io.Reader) error {
		if _, ok := r.(*os.File); ok {
			t.Error("a downloaded tar.gz was not streamed")
		}
		_, err := io.Copy(&got, r)
		return err
	}); err != nil || !bytes.Equal(got.Bytes(), gz) {
		t.Fatalf("tar.gz: %v, %d bytes", err, got.Len())
	}
}
