package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
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
	e, err := c.Fetch(context.Background(), testFetcher(), source(d), Use{Stream: func(r io.Reader) error {
		_, err := io.Copy(&seen, r)
		return err
	}})
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
	e2, err := c.Fetch(context.Background(), testFetcher(), source(d), Use{})
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
	_, err := c.Fetch(context.Background(), testFetcher(), src, Use{})
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
		_, err := c.Fetch(context.Background(), testFetcher(), Source{URL: srv.URL + "/x.tar.gz", Filename: "actions-runner-linux-x64-2.336.0.tar.gz", SHA256: strings.Repeat("ab", 32)}, Use{})
		srv.Close()
		if failure.KindOf(err) != failure.Integrity {
			t.Errorf("%s: err = %v", name, err)
		}
		if left := cacheDirEntries(t, c.Dir); len(left) != 0 {
			t.Errorf("%s: left behind %v", name, left)
		}
	}
}

// The temporary token goes to the download URL's host only. The origin
// redirects, as github.com does, to a storage host that is the same IP on
// another port: net/http would carry the Authorization header there (it
// compares host names without the port), so only the fetcher's own rule
// keeps it off.
func TestTokenNotCarriedAcrossHosts(t *testing.T) {
	o := githubtest.NewOrigin()
	defer o.Close()
	o.UseStorage()
	d := o.Publish("linux", "x64", "actions-runner-linux-x64-2.336.0.tar.gz", gzPayload(t, 1000), "tmp-token-xyz123")
	c := &Cache{Dir: t.TempDir(), Log: slog.New(slog.DiscardHandler)}
	e, err := c.Fetch(context.Background(), testFetcher(), source(d), Use{})
	if err != nil {
		t.Fatal(err)
	}
	if r := o.Requests(); len(r) != 1 || r[0].Authorization != "Bearer tmp-token-xyz123" {
		t.Fatalf("origin saw %+v", r)
	}
	st := o.StorageRequests()
	if len(st) != 1 {
		t.Fatalf("storage host saw %d requests, want 1", len(st))
	}
	if st[0].Authorization != "" {
		t.Fatalf("the storage host (same host, other port) got the temp token: %q", st[0].Authorization)
	}
	if e.SHA256 != d.SHA256 {
		t.Fatalf("got sha256 %s, want %s", e.SHA256, d.SHA256)
	}
}

// The origin's error answers: an expired temp token (401) and a missing
// package (404) fail at once with advice, a 5xx is retried, and so are a
// Content-Range that does not continue the stream and a 200 answer to a
// ranged request (the bytes already there are skipped). Every success
// ends with the published bytes.
func TestOriginErrors(t *testing.T) {
	data := gzPayload(t, 1<<20)
	for _, c := range []struct {
		name     string
		setup    func(o *githubtest.Origin, d githubtest.Download)
		wantErr  string
		requests int
	}{
		{"expired temp token", func(o *githubtest.Origin, d githubtest.Download) { o.ExpireToken(d.TempDownloadToken) },
			"HTTP 401 Unauthorized: the temporary download token was refused", 1},
		{"404", func(o *githubtest.Origin, _ githubtest.Download) { o.PushFault(githubtest.OriginFault{Status: 404}) },
			"HTTP 404 Not Found: the package is not at its download URL", 1},
		{"403", func(o *githubtest.Origin, _ githubtest.Download) { o.PushFault(githubtest.OriginFault{Status: 403}) },
			"HTTP 403 Forbidden", 1},
		{"503 then 502 then the package", func(o *githubtest.Origin, _ githubtest.Download) {
			o.PushFault(githubtest.OriginFault{Status: 503}, githubtest.OriginFault{Status: 502})
		}, "", 3},
		{"5xx every time", func(o *githubtest.Origin, _ githubtest.Download) {
			for range 10 {
				o.PushFault(githubtest.OriginFault{Status: 500})
			}
		}, "giving up after 5 attempts", 5},
		{"cut, then a Content-Range that starts elsewhere", func(o *githubtest.Origin, _ githubtest.Download) {
			o.CutNext(100000)
			o.PushFault(githubtest.OriginFault{}, githubtest.OriginFault{WrongRange: true})
		}, "asked for bytes from 100000, the server answered Content-Range \"bytes 100001-", 2},
		{"cut, then 200 to the ranged request", func(o *githubtest.Origin, _ githubtest.Download) {
			o.CutNext(100000)
			o.PushFault(githubtest.OriginFault{}, githubtest.OriginFault{IgnoreRange: true})
		}, "", 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := githubtest.NewOrigin()
			defer o.Close()
			d := o.Publish("linux", "x64", "actions-runner-linux-x64-2.336.0.tar.gz", data, "tmp-token-abcdef")
			c.setup(o, d)
			cache := &Cache{Dir: t.TempDir(), Log: slog.New(slog.DiscardHandler)}
			var got bytes.Buffer
			e, err := cache.Fetch(context.Background(), testFetcher(), source(d), Use{Stream: func(r io.Reader) error {
				_, err := io.Copy(&got, r)
				return err
			}})
			if n := len(o.Requests()); n != c.requests {
				t.Errorf("%d requests, want %d", n, c.requests)
			}
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want %q", err, c.wantErr)
				}
				if left := cacheDirEntries(t, cache.Dir); len(left) != 0 {
					t.Errorf("left behind %v", left)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), data) {
				t.Fatalf("the sink got %d bytes, not the package's %d", got.Len(), len(data))
			}
			if b, err := os.ReadFile(e.Path); err != nil || !bytes.Equal(b, data) {
				t.Fatalf("the cache holds %d bytes (%v), not the package", len(b), err)
			}
		})
	}
}

func TestPruneKeepsNewestTwo(t *testing.T) {
	o := githubtest.NewOrigin()
	defer o.Close()
	c := &Cache{Dir: t.TempDir(), Log: slog.New(slog.DiscardHandler)}
	var paths []string
	for i, v := range []string{"2.334.0", "2.335.0", "2.336.0"} {
		d := o.Publish("linux", "x64", "actions-runner-linux-x64-"+v+".tar.gz", gzPayload(t, 100), "")
		e, err := c.Fetch(context.Background(), testFetcher(), source(d), Use{})
		if err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(time.Duration(i-10) * time.Minute)
		_ = os.Chtimes(e.Path, old, old)
		paths = append(paths, e.Path)
	}
	w := o.Publish("win", "x64", "actions-runner-win-x64-2.336.0.zip", append([]byte("PK\x03\x04"), make([]byte, 50)...), "")
	if _, err := c.Fetch(context.Background(), testFetcher(), source(w), Use{}); err != nil {
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
	d := o.Publish("linux", "x64", "actions-runner-linux-x64-2.336.0.tar.gz", gzPayload(t, 5000), "")
	c := &Cache{Dir: t.TempDir(), Log: slog.New(slog.DiscardHandler)}
	e, err := c.Fetch(context.Background(), testFetcher(), source(d), Use{})
	if err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(e.Path, []byte("bit rot"), 0o644)
	e2, err := c.Fetch(context.Background(), testFetcher(), source(d), Use{})
	if err != nil || !e2.Downloaded {
		t.Fatalf("refetch: %+v %v", e2, err)
	}
	if n := len(o.Requests()); n != 2 {
		t.Errorf("origin saw %d requests, want 2 (the refetch)", n)
	}
	b, err := os.ReadFile(e2.Path)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != d.SHA256 {
		t.Fatalf("the cache entry after the refetch is not the package: %q", b[:min(len(b), 20)])
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
