package fetch

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/platform"
)

// Cache is a content-addressed store of verified packages:
// DIR/sha256-<hex>/<filename>. Entries are written atomically (temporary
// file, fsync, rename) and hashed again before every use, from the file
// that is then used. Only a checked source (Source.Check: a runner
// package's base name and 64 hex digits) becomes a path, so nothing the
// server says makes the cache create or remove anything outside DIR.
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

// Use says how the caller reads the package while the cache gets it (at
// most one of the two; the zero Use only puts the package in the cache).
type Use struct {
	// Stream reads the bytes as they are hashed: one pass for download,
	// hash and extraction. What it made is to be trusted only when the
	// call returns nil: the checksum is known at the end.
	Stream func(io.Reader) error
	// File reads the package after its checksum matched, from the very
	// open file that was hashed, at offset 0: a zip, which is read at
	// random. Nothing is opened again by path between check and use.
	File func(*os.File) error
}

func (c *Cache) path(sum, filename string) string {
	return filepath.Join(c.Dir, "sha256-"+strings.ToLower(sum), filename)
}

// ensureDir makes the cache directory, or checks the one there: a real
// directory (not a symbolic link) of this process's user (root's, when
// runnerctl runs as root) that neither its group nor others can write.
// Those write bits are removed; another owner or a link is refused.
func (c *Cache) ensureDir() error {
	if platform.Privileged() {
		// Root keeps verified packages there: no other user may be able to
		// swap the directory, or a link on the way to it.
		err := platform.CheckNoOtherLink(c.Dir)
		if err == nil {
			err = platform.CheckNoOtherWriter(filepath.Dir(filepath.Clean(c.Dir)))
		}
		if err != nil {
			return failure.Wrap(failure.Usage, fmt.Errorf("--cache-dir %s: %w: choose a directory under root-owned parents (the default is %s)", c.Dir, err, platform.DefaultCacheDir()))
		}
	}
	fi, err := os.Lstat(c.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(c.Dir, 0o755); err != nil {
			return fmt.Errorf("create cache dir: %w", err)
		}
		fi, err = os.Lstat(c.Dir)
	}
	switch {
	case err != nil:
		return fmt.Errorf("cache dir: %w", err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return failure.Wrap(failure.Usage, fmt.Errorf("--cache-dir %s is a symbolic link: give a real directory (the verified packages are kept only where no other user can swap them)", c.Dir))
	case !fi.IsDir():
		return failure.Wrap(failure.Usage, fmt.Errorf("--cache-dir %s is not a directory", c.Dir))
	case !platform.OwnedByUs(fi):
		return failure.Wrap(failure.Usage, fmt.Errorf("--cache-dir %s belongs to another user (mode %s): the verified packages are kept only in a directory of runnerctl's own user (root's when run as root); chown it, or choose another --cache-dir", c.Dir, fi.Mode()))
	}
	// Windows: a protected ACL when elevated (any user may make folders
	// under ProgramData); nothing more on Unix (checked above).
	if err := platform.SecureSharedDir(c.Dir); err != nil {
		return failure.Wrap(failure.Usage, fmt.Errorf("--cache-dir %s: %w: choose another --cache-dir", c.Dir, err))
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		if err := os.Chmod(c.Dir, perm&^0o022); err != nil {
			return fmt.Errorf("cache dir: remove the group and other write permission: %w", err)
		}
		// Modes are no permissions on Windows: the mode read back does not change there, and nothing is said.
		if after, err := os.Lstat(c.Dir); err == nil && after.Mode().Perm() != perm {
			c.Log.Warn("the cache directory was writable by its group or others: that permission was removed", "dir", c.Dir, "was", perm, "now", after.Mode().Perm())
		}
	}
	return nil
}

// open returns src's cache entry, hashed from the open file it returns
// (at offset 0): what the caller reads is what was hashed, whatever
// happens to the path meanwhile. A file whose bytes no longer match its
// name is removed (and its sha256-<hex> directory, when that is empty).
func (c *Cache) open(src Source) (Entry, *os.File, bool) {
	p := c.path(src.SHA256, src.Filename)
	fh, err := platform.OpenNoFollow(p)
	if err != nil {
		return Entry{}, nil, false
	}
	want := strings.ToLower(src.SHA256)
	got, err := hashReader(fh)
	if err == nil && got == want {
		if _, err = fh.Seek(0, io.SeekStart); err == nil {
			return Entry{Path: p, Filename: src.Filename, SHA256: got}, fh, true
		}
	}
	fh.Close()
	if err == nil {
		c.Log.Warn("cached package is corrupt, removing it", "path", p, "sha256", got, "expected", want)
		_ = os.Remove(p)
		_ = os.Remove(filepath.Dir(p))
	}
	return Entry{}, nil, false
}

// Fetch returns the verified package for src from the cache, downloading it
// when it is not there, and has use read it. A source that does not pass
// Source.Check is refused before anything is touched.
func (c *Cache) Fetch(ctx context.Context, f *Fetcher, src Source, use Use) (Entry, error) {
	if err := src.Check(); err != nil {
		return Entry{}, err
	}
	if err := c.ensureDir(); err != nil {
		return Entry{}, err
	}
	if e, fh, ok := c.open(src); ok {
		defer fh.Close()
		return c.serve(e, fh, use)
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
	return c.store(r, src, use, prog)
}

// serve has use read a verified cache entry from its open file.
func (c *Cache) serve(e Entry, fh *os.File, use Use) (Entry, error) {
	c.Log.Info("runner package found in cache", "path", e.Path, "sha256", e.SHA256)
	if use.Stream != nil {
		if err := use.Stream(fh); err != nil {
			return Entry{}, err
		}
	}
	if use.File != nil {
		if _, err := fh.Seek(0, io.SeekStart); err != nil {
			return Entry{}, fmt.Errorf("read cached package: %w", err)
		}
		if err := use.File(fh); err != nil {
			return Entry{}, err
		}
	}
	return e, nil
}

// Import verifies a local package file (offline installs: --package-file)
// and stores it in the cache like a download, having use read it. The
// file's base name is the cache entry's name and chooses the archive
// format, so it must be a runner package's name as GitHub gives it.
func (c *Cache) Import(path string, src Source, use Use) (Entry, error) {
	if err := CheckFilename(src.Filename); err != nil {
		return Entry{}, failure.Wrap(failure.Usage, fmt.Errorf("--package-file %s: the %w: give the file the name it has in the runner's release (actions-runner-linux-x64-2.336.0.tar.gz, …)", path, err))
	}
	if err := CheckSHA256(src.SHA256); err != nil {
		return Entry{}, failure.Wrap(failure.Usage, fmt.Errorf("--sha256: %w", err))
	}
	if err := c.ensureDir(); err != nil {
		return Entry{}, err
	}
	if e, fh, ok := c.open(src); ok {
		defer fh.Close()
		return c.serve(e, fh, use)
	}
	fh, err := os.Open(path)
	if err != nil {
		return Entry{}, fmt.Errorf("open --package-file: %w", err)
	}
	defer fh.Close()
	e, err := c.store(fh, src, use, nil)
	e.Downloaded = false
	return e, err
}

// store hashes r while writing it to a temporary file in the cache (and to
// use.Stream), verifies it, gives use.File the verified temporary file,
// and renames it into place. On any failure nothing is kept.
func (c *Cache) store(r io.Reader, src Source, use Use, prog *Progress) (Entry, error) {
	tmp, err := platform.CreateAtomic(c.Dir, ".partial-*")
	if err != nil {
		return Entry{}, fmt.Errorf("create cache file: %w", err)
	}
	defer tmp.Abort() // nothing once committed
	h := sha256.New()
	buf := bufio.NewWriterSize(tmp, 1<<20)
	stream := io.TeeReader(&sniffer{r: r, filename: src.Filename}, io.MultiWriter(buf, h, prog))
	if use.Stream != nil {
		ra := newReadAhead(stream, 256<<10, 8)
		defer ra.Close()
		if err := use.Stream(ra); err != nil {
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
	if err := buf.Flush(); err != nil {
		return Entry{}, fmt.Errorf("write cache file: %w", err)
	}
	if use.File != nil {
		// The file just hashed, through the descriptor that wrote it.
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return Entry{}, fmt.Errorf("read cache file: %w", err)
		}
		if err := use.File(tmp.File); err != nil {
			return Entry{}, err
		}
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

// prune keeps the newest Keep packages per platform; just is never
// removed. It looks only at DIR/sha256-<64 hex>/<runner package name>
// (regular files) and removes only such files, and their sha256-<hex>
// directory once it is empty: nothing else in the cache, nothing outside.
func (c *Cache) prune(just string) {
	keep := c.Keep
	if keep <= 0 {
		keep = 2
	}
	type ent struct {
		path string
		mod  time.Time
	}
	groups := map[string][]ent{}
	dirs, _ := os.ReadDir(c.Dir)
	for _, d := range dirs {
		sum, ok := strings.CutPrefix(d.Name(), "sha256-")
		if !ok || !d.IsDir() || CheckSHA256(sum) != nil {
			continue
		}
		files, _ := os.ReadDir(filepath.Join(c.Dir, d.Name()))
		for _, f := range files {
			m := packageName.FindStringSubmatch(f.Name())
			st, err := f.Info()
			if m == nil || err != nil || !st.Mode().IsRegular() {
				continue
			}
			key := m[1] + "-" + m[2]
			groups[key] = append(groups[key], ent{filepath.Join(c.Dir, d.Name(), f.Name()), st.ModTime()})
		}
	}
	for _, es := range groups {
		sort.Slice(es, func(i, j int) bool { return es[i].mod.After(es[j].mod) })
		for i, e := range es {
			if i >= keep && e.path != just {
				c.Log.Info("pruning old runner package from cache", "path", e.path)
				_ = os.Remove(e.path)
				_ = os.Remove(filepath.Dir(e.path)) // only when empty: the same bytes may be listed under another name
			}
		}
	}
}
