package fetch

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
)

const pkgName = "actions-runner-linux-x64-2.336.0.tar.gz"

func TestCheckFilename(t *testing.T) {
	for _, ok := range []string{pkgName, "actions-runner-win-arm64-2.336.0.zip", "actions-runner-osx-arm64-3.zip", "actions-runner-linux-arm-2.300.10.1.tar.gz"} {
		if err := CheckFilename(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "/", "../../x/" + pkgName, "/tmp/" + pkgName, pkgName + "/../../../x/" + pkgName,
		`..\..\x\` + pkgName, "x/" + pkgName, "./" + pkgName, pkgName + "\n", " " + pkgName, pkgName + ".sh",
		"actions-runner-linux-x64-.tar.gz", "actions-runner-linux-x64-2..0.tar.gz", "actions-runner-linux-x64-2.0.tgz",
		"actions-runner-freebsd-x64-2.0.0.tar.gz", "actions-runner-linux-s390x-2.0.0.tar.gz", "ACTIONS-RUNNER-LINUX-X64-2.0.0.TAR.GZ",
		"actions-runner-linux-x64-2.0.0.tar.gz\x00", "actions-runner-linux-x64-v2.0.0.tar.gz", "page.html"} {
		if err := CheckFilename(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSourceCheck(t *testing.T) {
	sum := strings.Repeat("a1", 32)
	for _, c := range []struct {
		src  Source
		want string // "" accepted
	}{
		{Source{Filename: pkgName, SHA256: sum}, ""},
		{Source{Filename: pkgName, SHA256: strings.ToUpper(sum)}, ""},
		{Source{Filename: pkgName}, "the server lists no sha256, so it cannot be verified; refusing it (pass --sha256 HEX"},
		{Source{Filename: pkgName, SHA256: "/../../x"}, `sha256 "/../../x" is not 64 hex digits`},
		{Source{Filename: pkgName, SHA256: sum[:63]}, "is not 64 hex digits"},
		{Source{Filename: pkgName, SHA256: sum + "0"}, "is not 64 hex digits"},
		{Source{Filename: pkgName, SHA256: strings.Repeat("zz", 32)}, "is not 64 hex digits"},
		{Source{Filename: "../" + pkgName, SHA256: sum}, `file name "../` + pkgName + `" is not a runner package name`},
	} {
		err := c.src.Check()
		if c.want == "" {
			if err != nil {
				t.Errorf("%+v refused: %v", c.src, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || failure.KindOf(err) != failure.Integrity {
			t.Errorf("%+v: err %v, want integrity %q", c.src, err, c.want)
		}
	}
}

// scanTree lists every path under root (type and size), but below skip.
func scanTree(t *testing.T, root, skip string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if p == skip {
			return filepath.SkipDir
		}
		out = append(out, p+" "+fi.Mode().String()+" "+strconv.FormatInt(fi.Size(), 10))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// sandbox is a cache directory next to a sentinel directory x holding
// decoys where a traversal out of the cache lands, and a file to keep.
func sandbox(t *testing.T) (root string, c *Cache) {
	t.Helper()
	root = t.TempDir()
	for name, body := range map[string]string{"keep": "keep", "actions-runner-linux-x64-2.0.0.tar.gz": "decoy", pkgName: "decoy"} {
		if err := os.MkdirAll(filepath.Join(root, "x"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "x", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root, &Cache{Dir: filepath.Join(root, "cache"), Log: slog.New(slog.DiscardHandler)}
}

// Server data that would make a path (a climbing file name or checksum)
// or that cannot be verified (no checksum) is refused before any request
// or file operation: through Fetch, with or without a reader, and for a
// package already in the cache. Nothing outside the cache changes.
func TestHostileSourceTouchesNothing(t *testing.T) {
	o := githubtest.NewOrigin()
	defer o.Close()
	data := gzPayload(t, 4096)
	d := o.Publish("linux", "x64", pkgName, data, "tmp-token-abc")
	for name, edit := range map[string]func(*Source){
		"traversal":          func(s *Source) { s.Filename = "../../x/actions-runner-linux-x64-2.0.0.tar.gz" },
		"traversal via name": func(s *Source) { s.Filename = pkgName + "/../../../x/actions-runner-linux-x64-2.0.0.tar.gz" },
		"absolute":           func(s *Source) { s.Filename = "/tmp/" + pkgName },
		"backslashes":        func(s *Source) { s.Filename = `..\..\x\` + pkgName },
		"dot dot":            func(s *Source) { s.Filename = ".." },
		"non-hex sha256":     func(s *Source) { s.SHA256 = strings.Repeat("zz", 32) },
		"climbing sha256":    func(s *Source) { s.SHA256 = "/../../x" },
		"missing sha256":     func(s *Source) { s.SHA256 = "" },
	} {
		t.Run(name, func(t *testing.T) {
			root, c := sandbox(t)
			// The real package is in the cache already: a hostile name must not reach it either.
			if _, err := c.Fetch(context.Background(), testFetcher(), source(d), Use{}); err != nil {
				t.Fatal(err)
			}
			before, requests := scanTree(t, root, ""), len(o.Requests())
			src := source(d)
			edit(&src)
			read := false
			for _, use := range []Use{{}, {Stream: func(io.Reader) error { read = true; return nil }}, {File: func(*os.File) error { read = true; return nil }}} {
				_, err := c.Fetch(context.Background(), testFetcher(), src, use)
				if failure.KindOf(err) != failure.Integrity || !strings.Contains(err.Error(), "refusing it") {
					t.Fatalf("err = %v, want an integrity refusal", err)
				}
			}
			if read {
				t.Error("the package was handed to a reader")
			}
			if n := len(o.Requests()); n != requests {
				t.Errorf("%d requests made", n-requests)
			}
			if after := scanTree(t, root, ""); strings.Join(after, "\n") != strings.Join(before, "\n") {
				t.Errorf("the tree changed:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

// --package-file's base name must be a runner package's name (it is the
// cache entry's name and chooses the format and the listener's name): a
// usage error otherwise, before anything is read or written.
func TestImportNames(t *testing.T) {
	root, c := sandbox(t)
	data := gzPayload(t, 2048)
	sum := hexSum(data)
	dir := filepath.Join(root, "in")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"runner.tar.gz", "actions-runner-linux-x64-latest.tar.gz", ".." + "x.tar.gz"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		before := scanTree(t, root, "")
		_, err := c.Import(p, Source{Filename: filepath.Base(p), SHA256: sum}, Use{})
		if failure.KindOf(err) != failure.Usage || !strings.Contains(err.Error(), "--package-file "+p+": the file name") {
			t.Errorf("%s: err = %v, want a usage error naming --package-file", name, err)
		}
		if after := scanTree(t, root, ""); strings.Join(after, "\n") != strings.Join(before, "\n") {
			t.Errorf("%s: the tree changed", name)
		}
	}
	p := filepath.Join(dir, pkgName)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := c.Import(p, Source{Filename: pkgName, SHA256: sum}, Use{})
	if err != nil || e.Path != filepath.Join(c.Dir, "sha256-"+sum, pkgName) || e.Downloaded {
		t.Fatalf("import: %+v %v", e, err)
	}
}

func hexSum(b []byte) string {
	h, _ := hashReader(bytes.NewReader(b))
	return h
}

// A zip is read (Use.File) only after its checksum matched, from the file
// that was hashed; with a wrong checksum the reader never runs and nothing
// is kept. A cached package is read from the file its hash was computed
// from, so what the reader gets hashes to the expected sum.
func TestUseFileReadsTheVerifiedFile(t *testing.T) {
	o := githubtest.NewOrigin()
	defer o.Close()
	data := append([]byte("PK\x03\x04"), gzPayload(t, 8192)...)
	d := o.Publish("win", "x64", "actions-runner-win-x64-2.336.0.zip", data, "tmp-token")
	c := &Cache{Dir: t.TempDir(), Log: slog.New(slog.DiscardHandler)}
	var seen [][]byte
	use := Use{File: func(fh *os.File) error {
		b, err := io.ReadAll(fh)
		seen = append(seen, b)
		return err
	}}
	bad := source(d)
	bad.SHA256 = strings.Repeat("0", 64)
	if _, err := c.Fetch(context.Background(), testFetcher(), bad, use); !errors.Is(err, ErrChecksum) || len(seen) != 0 {
		t.Fatalf("wrong checksum: err %v, reader ran %d times", err, len(seen))
	}
	if left := cacheDirEntries(t, c.Dir); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
	e, err := c.Fetch(context.Background(), testFetcher(), source(d), use) // download
	if err != nil || !e.Downloaded {
		t.Fatal(e, err)
	}
	e2, err := c.Fetch(context.Background(), testFetcher(), source(d), use) // cache
	if err != nil || e2.Downloaded {
		t.Fatal(e2, err)
	}
	if len(seen) != 2 || !bytes.Equal(seen[0], data) || !bytes.Equal(seen[1], data) {
		t.Fatalf("the reader saw %d reads, not the package twice", len(seen))
	}
	// A reader that fails keeps nothing (no cache entry for a package that could not be used).
	c2 := &Cache{Dir: t.TempDir(), Log: slog.New(slog.DiscardHandler)}
	boom := errors.New("unsafe archive")
	if _, err := c2.Fetch(context.Background(), testFetcher(), source(d), Use{File: func(*os.File) error { return boom }}); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if left := cacheDirEntries(t, c2.Dir); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
}

// A corrupt cache entry is removed (its file, and its directory once
// empty) and fetched again; the reader only ever sees the good bytes.
func TestCorruptEntryNeverRead(t *testing.T) {
	o := githubtest.NewOrigin()
	defer o.Close()
	data := gzPayload(t, 5000)
	d := o.Publish("linux", "x64", pkgName, data, "")
	c := &Cache{Dir: t.TempDir(), Log: slog.New(slog.DiscardHandler)}
	e, err := c.Fetch(context.Background(), testFetcher(), source(d), Use{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.Path, append([]byte{0x1f, 0x8b}, "rot"...), 0o644); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if _, err := c.Fetch(context.Background(), testFetcher(), source(d), Use{Stream: func(r io.Reader) error { _, err := io.Copy(&got, r); return err }}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("the reader got %d bytes, not the package", got.Len())
	}
}

// The cache directory is refused when it is a symbolic link or another
// user's, and loses group and other write permission when it is ours.
func TestCacheDirOwnership(t *testing.T) {
	o := githubtest.NewOrigin()
	defer o.Close()
	d := o.Publish("linux", "x64", pkgName, gzPayload(t, 1000), "")
	root := t.TempDir()

	real := filepath.Join(root, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(root, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	c := &Cache{Dir: link, Log: slog.New(slog.DiscardHandler)}
	if _, err := c.Fetch(context.Background(), testFetcher(), source(d), Use{}); failure.KindOf(err) != failure.Usage || !strings.Contains(err.Error(), "is a symbolic link") {
		t.Errorf("symlinked cache dir: err = %v", err)
	}
	if left := cacheDirEntries(t, real); len(left) != 0 {
		t.Errorf("written through the link: %v", left)
	}

	open := filepath.Join(root, "open")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	c = &Cache{Dir: open, Log: slog.New(slog.DiscardHandler)}
	if _, err := c.Fetch(context.Background(), testFetcher(), source(d), Use{}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(open); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("world-writable cache dir: now %v (%v), want 0755", fi.Mode(), err)
	}

	fresh := filepath.Join(root, "a", "b")
	c = &Cache{Dir: fresh, Log: slog.New(slog.DiscardHandler)}
	if _, err := c.Fetch(context.Background(), testFetcher(), source(d), Use{}); err != nil {
		t.Fatal(err)
	}

	if os.Geteuid() != 0 {
		t.Skip("another owner: needs root to chown")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	theirs := filepath.Join(root, "theirs")
	if err := os.Mkdir(theirs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(theirs, uid, -1); err != nil {
		t.Fatal(err)
	}
	c = &Cache{Dir: theirs, Log: slog.New(slog.DiscardHandler)}
	if _, err := c.Fetch(context.Background(), testFetcher(), source(d), Use{}); failure.KindOf(err) != failure.Usage || !strings.Contains(err.Error(), "belongs to another user") {
		t.Errorf("another user's cache dir: err = %v", err)
	}
	if left := cacheDirEntries(t, theirs); len(left) != 0 {
		t.Errorf("written into another user's dir: %v", left)
	}
}

// authLog is a loopback server that logs the Authorization header of each
// request by Host, and redirects /start to redirect (a format with %s for
// its own port).
type authLog struct {
	*httptest.Server
	mu  sync.Mutex
	got map[string][]string
}

func newAuthLog(t *testing.T, tls bool, redirect string, data []byte) *authLog {
	a := &authLog{got: map[string][]string{}}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.got[r.Host] = append(a.got[r.Host], r.Header.Get("Authorization"))
		a.mu.Unlock()
		if r.URL.Path == "/start" {
			_, port, _ := strings.Cut(r.Host, ":")
			http.Redirect(w, r, strings.ReplaceAll(redirect, "PORT", port), http.StatusFound)
			return
		}
		_, _ = w.Write(data)
	})
	if tls {
		a.Server = httptest.NewTLSServer(h)
	} else {
		a.Server = httptest.NewServer(h)
	}
	t.Cleanup(a.Close)
	return a
}

func (a *authLog) seen() map[string][]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.got
}

// tokenOnlyAtOrigin checks that the origin's last request carried the
// token and that the storage host got one request, without it.
func tokenOnlyAtOrigin(t *testing.T, origin, storage *authLog) {
	t.Helper()
	var o, s []string
	for _, a := range origin.seen() {
		o = append(o, a...)
	}
	for _, a := range storage.seen() {
		s = append(s, a...)
	}
	if len(o) == 0 || o[len(o)-1] != "Bearer tmp-token-xyz" || len(s) != 1 || s[0] != "" {
		t.Fatalf("Authorization at the origin %q, at the storage host %q", o, s)
	}
}

// onlyLoopback fails the test if a request would leave this machine.
type onlyLoopback struct {
	t    *testing.T
	next http.RoundTripper
}

func (o onlyLoopback) RoundTrip(r *http.Request) (*http.Response, error) {
	if h := r.URL.Hostname(); h != "127.0.0.1" && h != "localhost" {
		o.t.Errorf("a request for %s was sent", r.URL)
		return nil, errors.New("not loopback")
	}
	return o.next.RoundTrip(r)
}

// The temporary token goes to the download URL's origin only: not to
// another host name on the same port, not to another port, not after a
// downgrade. Plain http to a host that is not loopback, and a redirect
// from https to http, are refused unless InsecureHTTP; the refusal names
// --insecure-http and no request reaches the refused URL.
func TestDownloadRedirects(t *testing.T) {
	data := gzPayload(t, 3000)
	sum := hexSum(data)
	fetch := func(t *testing.T, f *Fetcher, url string) error {
		c := &Cache{Dir: t.TempDir(), Log: slog.New(slog.DiscardHandler)}
		_, err := c.Fetch(context.Background(), f, Source{URL: url, Filename: pkgName, SHA256: sum, Token: secret.New("tmp-token-xyz")}, Use{})
		return err
	}
	t.Run("other host name, same port", func(t *testing.T) {
		a := newAuthLog(t, false, "http://localhost:PORT/pkg", data)
		if err := fetch(t, testFetcher(), a.URL+"/start"); err != nil {
			t.Fatal(err)
		}
		port := a.Listener.Addr().(interface{ String() string }).String()
		_, port, _ = strings.Cut(port, ":")
		got := a.seen()
		if len(got["127.0.0.1:"+port]) != 1 || got["127.0.0.1:"+port][0] != "Bearer tmp-token-xyz" || len(got["localhost:"+port]) != 1 || got["localhost:"+port][0] != "" {
			t.Fatalf("Authorization by host: %v", got)
		}
	})
	t.Run("https to http refused", func(t *testing.T) {
		storage := newAuthLog(t, false, "", data)
		origin := newAuthLog(t, true, storage.URL+"/pkg", data)
		f := testFetcher()
		f.Transport = origin.Client().Transport
		err := fetch(t, f, origin.URL+"/start")
		if failure.KindOf(err) != failure.Integrity || !strings.Contains(err.Error(), "to plain http") || !strings.Contains(err.Error(), "--insecure-http") {
			t.Fatalf("err = %v", err)
		}
		if len(storage.seen()) != 0 {
			t.Fatalf("the http host was asked: %v", storage.seen())
		}
		// Allowed with --insecure-http, and still without the token.
		f.InsecureHTTP = true
		if err := fetch(t, f, origin.URL+"/start"); err != nil {
			t.Fatal(err)
		}
		tokenOnlyAtOrigin(t, origin, storage)
	})
	t.Run("https to https on another port", func(t *testing.T) {
		storage := newAuthLog(t, true, "", data)
		origin := newAuthLog(t, true, storage.URL+"/pkg", data)
		f := testFetcher()
		f.Transport = origin.Client().Transport
		if err := fetch(t, f, origin.URL+"/start"); err != nil {
			t.Fatal(err)
		}
		tokenOnlyAtOrigin(t, origin, storage)
	})
	t.Run("plain http to a host that is not loopback", func(t *testing.T) {
		f := testFetcher()
		f.Transport = onlyLoopback{t, http.DefaultTransport}
		err := fetch(t, f, "http://192.0.2.1/"+pkgName)
		if failure.KindOf(err) != failure.Integrity || !strings.Contains(err.Error(), "plain http to a host that is not loopback") || !strings.Contains(err.Error(), "--insecure-http") {
			t.Fatalf("err = %v", err)
		}
		a := newAuthLog(t, false, "http://192.0.2.1/pkg?sig=secret", data)
		err = fetch(t, f, a.URL+"/start")
		if failure.KindOf(err) != failure.Integrity || !strings.Contains(err.Error(), "http://192.0.2.1/pkg is plain http") {
			t.Fatalf("redirect: err = %v", err)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Fatalf("the error shows the signed query: %v", err)
		}
		if err := fetch(t, f, "file:///etc/passwd"); failure.KindOf(err) != failure.Integrity || !strings.Contains(err.Error(), "is not an http(s) URL") {
			t.Fatalf("file URL: err = %v", err)
		}
	})
}

func TestOriginOf(t *testing.T) {
	u := func(s string) string {
		p, err := http.NewRequest(http.MethodGet, s, nil)
		if err != nil {
			t.Fatal(err)
		}
		return originOf(p.URL)
	}
	same := [][2]string{{"https://GitHub.com/a", "https://github.com:443/b"}, {"http://127.0.0.1/x", "http://127.0.0.1:80/y"}}
	differ := [][2]string{{"https://h/x", "http://h/x"}, {"https://h/x", "https://h:8443/x"}, {"https://h/x", "https://h.evil/x"}, {"http://127.0.0.1:1/x", "http://localhost:1/x"}}
	for _, p := range same {
		if u(p[0]) != u(p[1]) {
			t.Errorf("%s and %s: different origins", p[0], p[1])
		}
	}
	for _, p := range differ {
		if u(p[0]) == u(p[1]) {
			t.Errorf("%s and %s: same origin", p[0], p[1])
		}
	}
}

// Pruning removes old runner packages only: not what else is in the
// cache (a directory that is not sha256-<64 hex>, a file that is not a
// runner package, a sha256-<hex> link to a directory elsewhere), and
// nothing outside it.
func TestPruneRemovesOnlyPackages(t *testing.T) {
	o := githubtest.NewOrigin()
	defer o.Close()
	root, c := sandbox(t)
	outside := filepath.Join(root, "x")
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"sha256-zz/actions-runner-linux-x64-1.0.0.tar.gz", "sha256-" + strings.Repeat("e", 64) + "/notes.txt", "notes.txt"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(c.Dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(c.Dir, p), []byte("mine"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(c.Dir, "sha256-"+strings.Repeat("f", 64))); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	for _, p := range []string{"sha256-zz/actions-runner-linux-x64-1.0.0.tar.gz", "sha256-" + strings.Repeat("e", 64) + "/notes.txt"} {
		_ = os.Chtimes(filepath.Join(c.Dir, p), old, old)
	}
	_ = os.Chtimes(filepath.Join(outside, pkgName), old, old)
	before := scanTree(t, root, c.Dir)
	var first string
	for i, v := range []string{"2.334.0", "2.335.0", "2.336.0"} {
		d := o.Publish("linux", "x64", "actions-runner-linux-x64-"+v+".tar.gz", gzPayload(t, 100), "")
		e, err := c.Fetch(context.Background(), testFetcher(), source(d), Use{})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = e.Path
			_ = os.Chtimes(e.Path, old.Add(time.Minute), old.Add(time.Minute))
		}
	}
	if _, err := os.Stat(first); !os.IsNotExist(err) {
		t.Errorf("the oldest package was kept")
	}
	if _, err := os.Stat(filepath.Dir(first)); !os.IsNotExist(err) {
		t.Errorf("its emptied directory was kept")
	}
	for _, p := range []string{"sha256-zz/actions-runner-linux-x64-1.0.0.tar.gz", "sha256-" + strings.Repeat("e", 64) + "/notes.txt", "notes.txt", "sha256-" + strings.Repeat("f", 64)} {
		if _, err := os.Lstat(filepath.Join(c.Dir, p)); err != nil {
			t.Errorf("%s was removed", p)
		}
	}
	if after := scanTree(t, root, c.Dir); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("outside the cache:\nbefore %v\nafter  %v", before, after)
	}
}
