package fetch

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/runnerctl/runnerctl/platform"
)

// Cache is a content-addressed store of verified packages:
// DIR/sha256-<hex>/<filename>. Entries are written atomically (temporary
// file, fsync, rename) and hashed again before every use.
type Cache struct {
	Dir string
	// Keep is how many versions per platform are kept (0 means 2).
	Keep int
	Log  *slog.Logger
}

// Entry is a verified package in the cache.
type Entry struct {
	Path     string `json:"path"`
	Filename string `json:"filename"`
	SHA256   string `json:"sha256"`
	// Downloaded is false when the cache already had it.
	Downloaded bool `json:"downloaded"`
}

func (c *Cache) path(sum, filename string) string {
	return filepath.Join(c.Dir, "sha256-"+strings.ToLower(sum), filename)
}

// Lookup returns the cached, re-verified entry for src. A cached file whose
// bytes no longer match its name is removed.
func (c *Cache) Lookup(src Source) (Entry, bool) {
	var candidates []string
	if src.SHA256 != "" {
		candidates = []string{c.path(src.SHA256, src.Filename)}
	} else {
		candidates, _ = filepath.Glob(filepath.Join(c.Dir, "sha256-*", src.Filename))
	}
	for _, p := range candidates {
		want := strings.TrimPrefix(filepath.Base(filepath.Dir(p)), "sha256-")
		got, err := HashFile(p)
		if err != nil {
			continue
		}
		if got != want {
			c.Log.Warn("cached package is corrupt, removing it", "path", p, "sha256", got, "expected", want)
			_ = os.RemoveAll(filepath.Dir(p))
			continue
		}
		return Entry{Path: p, Filename: src.Filename, SHA256: got}, true
	}
	return Entry{}, false
}

// Fetch returns the verified package for src from the cache, downloading it
// when it is not there. When sink is not nil it reads the package bytes as
// they arrive (or from the cached file): one pass for download, hash and
// extraction. The caller must not trust what sink made unless Fetch returns
// nil: the checksum is known only at the end.
func (c *Cache) Fetch(ctx context.Context, f *Fetcher, src Source, sink func(io.Reader) error) (Entry, error) {
	if e, ok := c.Lookup(src); ok {
		return c.fromCache(e, sink)
	}
	c.Log.Info("downloading runner package", "file", src.Filename, "url", DisplayURL(src.URL))
	r, err := f.open(ctx, src)
	if err != nil {
		return Entry{}, err
	}
	defer r.Close()
	var prog *Progress
	if f.Progress != nil {
		prog = f.Progress(src.Filename, r.total)
	}
	return c.store(r, src, sink, prog)
}

// fromCache serves a verified cache entry, feeding sink from the file.
func (c *Cache) fromCache(e Entry, sink func(io.Reader) error) (Entry, error) {
	c.Log.Info("runner package found in cache", "path", e.Path, "sha256", e.SHA256)
	if sink == nil {
		return e, nil
	}
	fh, err := os.Open(e.Path)
	if err != nil {
		return Entry{}, fmt.Errorf("open cached package: %w", err)
	}
	defer fh.Close()
	if err := sink(fh); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// Import verifies a local package file (offline installs: --package-file)
// and stores it in the cache like a download, feeding sink on the way.
func (c *Cache) Import(path string, src Source, sink func(io.Reader) error) (Entry, error) {
	if e, ok := c.Lookup(src); ok {
		return c.fromCache(e, sink)
	}
	fh, err := os.Open(path)
	if err != nil {
		return Entry{}, fmt.Errorf("open --package-file: %w", err)
	}
	defer fh.Close()
	e, err := c.store(fh, src, sink, nil)
	e.Downloaded = false
	return e, err
}

// store hashes r while writing it to a temporary file in the cache (and to
// sink), verifies it, and renames it into place.
func (c *Cache) store(r io.Reader, src Source, sink func(io.Reader) error, prog *Progress) (Entry, error) {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return Entry{}, fmt.Errorf("create cache dir: %w", err)
	}
	tmp, err := platform.CreateAtomic(c.Dir, ".partial-*")
	if err != nil {
		return Entry{}, fmt.Errorf("create cache file: %w", err)
	}
	defer tmp.Abort() // nothing once committed
	h := sha256.New()
	buf := bufio.NewWriterSize(tmp, 1<<20)
	stream := io.TeeReader(&sniffer{r: r, filename: src.Filename}, io.MultiWriter(buf, h, prog))
	if sink != nil {
		ra := newReadAhead(stream, 256<<10, 8)
		defer ra.Close()
		if err := sink(ra); err != nil {
			return Entry{}, err
		}
		// Whatever the sink left (the gzip trailer, padding) is read too: every byte is hashed and kept.
		if _, err := io.Copy(io.Discard, ra); err != nil {
			return Entry{}, err
		}
	} else if _, err := io.Copy(io.Discard, stream); err != nil {
		return Entry{}, err
	}
	prog.Done()
	if err := verify(src, h.Sum(nil)); err != nil {
		return Entry{}, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if src.SHA256 == "" {
		c.Log.Warn("the server gave no sha256 for the runner package; it was not verified", "file", src.Filename, "sha256", sum)
	}
	if err := buf.Flush(); err != nil {
		return Entry{}, fmt.Errorf("write cache file: %w", err)
	}
	final := c.path(sum, src.Filename)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return Entry{}, fmt.Errorf("create cache entry: %w", err)
	}
	// The entry's directory is new in c.Dir: Commit syncs both.
	if err := tmp.Commit(final, 0o644); err != nil {
		return Entry{}, fmt.Errorf("store cache file: %w", err)
	}
	c.prune(final)
	return Entry{Path: final, Filename: src.Filename, SHA256: sum, Downloaded: true}, nil
}

var platformOf = regexp.MustCompile(`^actions-runner-([a-z]+-[a-z0-9]+)-`)

// prune keeps the newest Keep packages per platform; just is never removed.
func (c *Cache) prune(just string) {
	keep := c.Keep
	if keep <= 0 {
		keep = 2
	}
	paths, _ := filepath.Glob(filepath.Join(c.Dir, "sha256-*", "*"))
	type ent struct {
		path string
		mod  time.Time
	}
	groups := map[string][]ent{}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		key := filepath.Base(p)
		if m := platformOf.FindStringSubmatch(key); m != nil {
			key = m[1]
		}
		groups[key] = append(groups[key], ent{p, st.ModTime()})
	}
	for _, es := range groups {
		sort.Slice(es, func(i, j int) bool { return es[i].mod.After(es[j].mod) })
		for i, e := range es {
			if i >= keep && e.path != just {
				c.Log.Info("pruning old runner package from cache", "path", e.path)
				_ = os.RemoveAll(filepath.Dir(e.path))
			}
		}
	}
}
