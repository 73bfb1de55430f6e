package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
)

func testFetcher() *Fetcher {
	return &Fetcher{UserAgent: "runnerctl/test", MaxAttempts: 5, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
		Log: slog.New(slog.DiscardHandler)}
}

// gzPayload is a gzip stream of n random bytes.
func gzPayload(t *testing.T, n int) []byte {
	raw := make([]byte, n)
	_, _ = rand.Read(raw)
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write(raw)
	_ = zw.Close()
	return b.Bytes()
}

func source(d githubtest.Download) Source {
	return Source{URL: d.DownloadURL, Filename: d.Filename, Token: secret.New(d.TempDownloadToken), SHA256: d.SHA256}
}

func cacheDirEntries(t *testing.T, dir string) []string {
	var out []string
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestCutDownloadResumes(t *testing.T) {
	o := githubtest.NewOrigin()
	defer o.Close()
	data := gzPayload(t, 3<<20)
	d := o.Publish("linux", "x64", "actions-runner-linux-x64-2.336.0.tar.gz", data, "tmp-token-abcdef")
	o.CutNext(int64(len(data) / 2))
	o.CutNext(1000)
	c := &Cache{Dir: t.TempDir(), Log: slog.New(slog.DiscardHandler)}
	var seen bytes.Buffer
	e, err := c.Fetch(context.Background(), testFetcher(), source(d), func(r io.Reader) error {
		_, err := io.Copy(&seen, r)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(seen.Bytes(), data) {
		t.Fatalf("the sink saw %d bytes, want the package's %d", seen.Len(), len(data))
	}
	if got, _ := HashFile(e.Path); got != d.SHA256 || !e.Downloaded {
		t.Fatalf("cached %s hashes to %s", e.Path, got)
	}
	reqs := o.Requests()
	if len(reqs) != 3 || reqs[1].RawQuery != fmt.Sprintf("bytes=%d-", len(data)/2) || reqs[2].RawQuery == "" {
		t.Fatalf("requests: %+v", reqs)
	}
	for _, r := range reqs {
		if r.Authorization != "Bearer tmp-token-abcdef" {
			t.Fatalf("origin saw Authorization %q", r.Authorization)
		}
	}
	// A second fetch is served from the cache: no request.
	e2, err := c.Fetch(context.Background(), testFetcher(), source(d), nil)
	if err != nil || e2.Path != e.Path || e2.Downloaded {
		t.Fatalf("second fetch: %+v %v", e2, err)
	}
	if n := len(o.Requests()); n != 3 {
		t.Fatalf("second fetch made %d more requests", n-3)
	}
}

func TestWrongChecksumKeepsNothing(t *testing.T) {
	o := githubtest.NewOrigin()
	defer o.Close()
	d := o.Publish("linux", "x64", "actions-runner-linux-x64-2.336.0.tar.gz", gzPayload(t, 1<<16), "")
	src := source(d)
	src.SHA256 = strings.Repeat("0", 64)
	c := &Cache{Dir: t.TempDir(), Log: slog.New(slog.DiscardHandler)}
	_, err := c.Fetch(context.Background(), testFetcher(), src, nil)
	if failure.KindOf(err) != failure.Integrity || !errors.Is(err, ErrChecksum) {
		t.Fatalf("err = %v", err)
	}
	if left := cacheDirEntries(t, c.Dir); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
}

func TestNotAnArchive(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"html content type": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte("<html>login</html>"))
		},
		"error text as octet-stream": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write([]byte("Not Found"))
		},
	} {
		srv := httptest.NewServer(h)
		c := &Cache{Dir: t.TempDir(), Log: slog.New(slog.DiscardHandler)}
		_, err := c.Fetch(context.Background(), testFetcher(), Source{URL: srv.URL + "/x.tar.gz", Filename: "x.tar.gz"}, nil)
		srv.Close()
		if failure.KindOf(err) != failure.Integrity {
			t.Errorf("%s: err = %v", name, err)
		}
		if left := cacheDirEntries(t, c.Dir); len(left) != 0 {
			t.Errorf("%s: left behind %v", name, left)
		}
	}
}

func TestTokenNotCarriedAcrossHosts(t *testing.T) {
	o := githubtest.NewOrigin()
	defer o.Close()
	d := o.Publish("linux", "x64", "pkg.tar.gz", gzPayload(t, 1000), "")
	var sawAuth []string
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawAuth = append(sawAuth, r.Header.Get("Authorization"))
		http.Redirect(w, r, strings.Replace(d.DownloadURL, "127.0.0.1", "localhost", 1), http.StatusFound)
	}))
	defer redirector.Close()
	c := &Cache{Dir: t.TempDir(), Log: slog.New(slog.DiscardHandler)}
	_, err := c.Fetch(context.Background(), testFetcher(), Source{URL: redirector.URL + "/pkg.tar.gz", Filename: "pkg.tar.gz", Token: secret.New("tmp-token-xyz123"), SHA256: d.SHA256}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sawAuth) != 1 || sawAuth[0] != "Bearer tmp-token-xyz123" {
		t.Fatalf("first host saw %q", sawAuth)
	}
	if r := o.Requests(); len(r) != 1 || r[0].Authorization != "" {
		t.Fatalf("redirect target saw %+v", r)
	}
}

func TestPruneKeepsNewestTwo(t *testing.T) {
	o := githubtest.NewOrigin()
	defer o.Close()
	c := &Cache{Dir: t.TempDir(), Log: slog.New(slog.DiscardHandler)}
	var paths []string
	for i, v := range []string{"2.334.0", "2.335.0", "2.336.0"} {
		d := o.Publish("linux", "x64", "actions-runner-linux-x64-"+v+".tar.gz", gzPayload(t, 100), "")
		e, err := c.Fetch(context.Background(), testFetcher(), source(d), nil)
		if err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(time.Duration(i-10) * time.Minute)
		_ = os.Chtimes(e.Path, old, old)
		paths = append(paths, e.Path)
	}
	w := o.Publish("win", "x64", "actions-runner-win-x64-2.336.0.zip", append([]byte("PK\x03\x04"), make([]byte, 50)...), "")
	if _, err := c.Fetch(context.Background(), testFetcher(), source(w), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(paths[0]); !os.IsNotExist(err) {
		t.Errorf("oldest linux package kept")
	}
	for _, p := range paths[1:] {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s pruned", p)
		}
	}
}

func TestCorruptCacheEntryIsRefetched(t *testing.T) {
	o := githubtest.NewOrigin()
	defer o.Close()
	d := o.Publish("linux", "x64", "pkg.tar.gz", gzPayload(t, 5000), "")
	c := &Cache{Dir: t.TempDir(), Log: slog.New(slog.DiscardHandler)}
	e, err := c.Fetch(context.Background(), testFetcher(), source(d), nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(e.Path, []byte("bit rot"), 0o644)
	e2, err := c.Fetch(context.Background(), testFetcher(), source(d), nil)
	if err != nil || !e2.Downloaded {
		t.Fatalf("refetch: %+v %v", e2, err)
	}
}

func TestDisplayURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://mirror.example/pkg.tar.gz?X-Amz-Signature=secret123#frag": "https://mirror.example/pkg.tar.gz",
		"https://user:pass@mirror.example/pkg.tar.gz":                      "https://mirror.example/pkg.tar.gz",
		"https://github.com/actions/runner/releases/download/v2.336.0/x":   "https://github.com/actions/runner/releases/download/v2.336.0/x",
		"http://[::1]:%zz/": "(unparsable URL)",
	} {
		if got := DisplayURL(in); got != want {
			t.Errorf("DisplayURL(%q) = %q, want %q", in, got, want)
		}
	}
}
