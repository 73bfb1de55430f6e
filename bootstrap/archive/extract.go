package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/mholt/archives"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/platform"
)

// Limits bound what an archive may extract to.
type Limits struct {
	// MaxBytes bounds the total size of the extracted files (0: 8 GiB).
	MaxBytes int64
	// MaxEntries bounds the number of entries (0: 500,000).
	MaxEntries int
}

// ErrUnsafe is wrapped by every refusal of an archive entry.
var ErrUnsafe = errors.New("unsafe archive")

func unsafeErr(name, why string) error {
	return failure.Wrap(failure.Integrity, fmt.Errorf("extract: %w: entry %q %s", ErrUnsafe, name, why))
}

// Staged is a complete extraction waiting to be moved into place.
type Staged struct {
	Dir     string
	Files   int
	Bytes   int64
	removed bool
}

// Discard removes the staging directory.
func (s *Staged) Discard() {
	if s != nil && !s.removed {
		_ = os.RemoveAll(s.Dir)
		s.removed = true
	}
}

// Commit renames the staging directory to dest, which must not exist or be
// an empty directory.
func (s *Staged) Commit(dest string) error {
	if err := os.Remove(dest); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("install %s: it exists and is not empty: %w", dest, err)
	}
	if err := platform.RenameDurable(s.Dir, dest); err != nil {
		return fmt.Errorf("install %s: %w", dest, err)
	}
	s.removed = true
	return nil
}

// Extract reads an archive (its format chosen by filename: .tar.gz / .tgz
// stream; .zip needs r to be an *os.File) into a new staging directory
// beside dest. On error nothing is left behind.
func Extract(ctx context.Context, filename string, r io.Reader, dest string, lim Limits) (*Staged, error) {
	if lim.MaxBytes == 0 {
		lim.MaxBytes = 8 << 30
	}
	if lim.MaxEntries == 0 {
		lim.MaxEntries = 500_000
	}
	var ex archives.Extractor
	switch lower := strings.ToLower(filename); {
	case strings.HasSuffix(lower, ".tar.gz"), strings.HasSuffix(lower, ".tgz"):
		ex = archives.CompressedArchive{Compression: archives.Gz{Multithreaded: true}, Extraction: archives.Tar{}}
	case strings.HasSuffix(lower, ".zip"):
		if _, ok := r.(*os.File); !ok {
			return nil, fmt.Errorf("extract %s: a zip archive is read from a file", filename)
		}
		ex = archives.Zip{}
	default:
		return nil, failure.Wrap(failure.Integrity, fmt.Errorf("extract %s: unknown archive type (want .tar.gz or .zip)", filename))
	}
	parent := filepath.Dir(filepath.Clean(dest))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("extract: create %s: %w", parent, err)
	}
	dir, err := os.MkdirTemp(parent, "."+filepath.Base(dest)+".staging-")
	if err != nil {
		return nil, fmt.Errorf("extract: create staging directory: %w", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("extract: %w", err)
	}
	st := &Staged{Dir: dir}
	x := &extractor{root: dir, lim: lim, st: st, dirModes: map[string]fs.FileMode{}}
	if err := ex.Extract(ctx, r, x.handle); err != nil {
		st.Discard()
		if failure.KindOf(err) == failure.Unexpected && !errors.Is(err, context.Canceled) {
			return nil, fmt.Errorf("extract %s: %w", filename, err)
		}
		return nil, err
	}
	// Directory modes last, so that a read-only directory was still writable while filled.
	for p, m := range x.dirModes {
		if err := os.Chmod(p, m); err != nil {
			st.Discard()
			return nil, fmt.Errorf("extract: %w", err)
		}
	}
	return st, nil
}

type extractor struct {
	root     string
	lim      Limits
	st       *Staged
	dirModes map[string]fs.FileMode
}

// clean turns an entry name into a safe relative path, or refuses it.
// "" means the archive root ("./").
func clean(name string) (string, error) {
	n := strings.ReplaceAll(name, "\\", "/")
	if strings.HasPrefix(n, "/") || (len(n) >= 2 && n[1] == ':') {
		return "", unsafeErr(name, "has an absolute path")
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "", unsafeErr(name, `has a ".." path element`)
		}
	}
	c := path.Clean(n)
	if c == "." {
		return "", nil
	}
	return c, nil
}

// checkParents refuses a path whose parent directories in the tree are
// anything but real directories: no write through a symlink.
func (x *extractor) checkParents(rel, name string) error {
	dir := x.root
	parts := strings.Split(rel, "/")
	for _, p := range parts[:len(parts)-1] {
		dir = filepath.Join(dir, p)
		fi, err := os.Lstat(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return os.MkdirAll(filepath.Join(x.root, filepath.FromSlash(path.Dir(rel))), 0o755)
		}
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return unsafeErr(name, "is written through a symlink or a file ("+p+")")
		}
	}
	return nil
}

func (x *extractor) handle(ctx context.Context, f archives.FileInfo) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	x.st.Files++
	if x.st.Files > x.lim.MaxEntries {
		return failure.Wrap(failure.Integrity, fmt.Errorf("extract: more than %d entries", x.lim.MaxEntries))
	}
	name := f.NameInArchive
	rel, err := clean(name)
	if err != nil {
		return err
	}
	if rel == "" {
		return nil
	}
	target := filepath.Join(x.root, filepath.FromSlash(rel))
	if err := x.checkParents(rel, name); err != nil {
		return err
	}
	mode := f.Mode()
	if h, ok := f.Header.(*tar.Header); ok && h.Typeflag == tar.TypeLink {
		return x.hardlink(rel, name, h.Linkname, target)
	}
	switch {
	case mode.IsDir():
		if fi, err := os.Lstat(target); err == nil && !fi.IsDir() {
			return unsafeErr(name, "replaces a file or link with a directory")
		}
		if err := os.MkdirAll(target, 0o755); err != nil {
			return err
		}
		x.dirModes[target] = mode.Perm() | 0o700
		return nil
	case mode&fs.ModeSymlink != 0:
		return x.symlink(rel, name, f, target)
	case mode.IsRegular():
		return x.file(f, name, target, mode)
	}
	return unsafeErr(name, fmt.Sprintf("is a %s, not a file, directory or link", mode.Type()))
}

func (x *extractor) symlink(rel, name string, f archives.FileInfo, target string) error {
	link := f.LinkTarget
	if link == "" { // zip stores the target as the content
		rc, err := f.Open()
		if err != nil {
			return err
		}
		b, err := io.ReadAll(io.LimitReader(rc, 4096))
		rc.Close()
		if err != nil {
			return err
		}
		link = string(b)
	}
	l := strings.ReplaceAll(link, "\\", "/")
	if strings.HasPrefix(l, "/") || (len(l) >= 2 && l[1] == ':') {
		return unsafeErr(name, "is a symlink to an absolute path ("+link+")")
	}
	resolved := path.Join(path.Dir(rel), l)
	if resolved == ".." || strings.HasPrefix(resolved, "../") {
		return unsafeErr(name, "is a symlink leaving the tree ("+link+")")
	}
	if err := removeExisting(target); err != nil {
		return err
	}
	return os.Symlink(filepath.FromSlash(l), target)
}

func (x *extractor) hardlink(rel, name, linkname, target string) error {
	lrel, err := clean(linkname)
	if err != nil || lrel == "" {
		return unsafeErr(name, "is a hard link outside the tree ("+linkname+")")
	}
	src := filepath.Join(x.root, filepath.FromSlash(lrel))
	fi, err := os.Lstat(src)
	if err != nil || !fi.Mode().IsRegular() {
		return unsafeErr(name, "is a hard link to something not extracted before it ("+linkname+")")
	}
	if err := x.checkParents(lrel, name); err != nil {
		return err
	}
	if err := removeExisting(target); err != nil {
		return err
	}
	return os.Link(src, target)
}

func removeExisting(target string) error {
	fi, err := os.Lstat(target)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return unsafeErr(target, "replaces a directory")
	}
	return os.Remove(target)
}

func (x *extractor) file(f archives.FileInfo, name, target string, mode fs.FileMode) error {
	if err := removeExisting(target); err != nil {
		return err
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	// O_EXCL: never follow or reuse something already at the path.
	out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	room := x.lim.MaxBytes - x.st.Bytes
	n, err := io.Copy(out, io.LimitReader(rc, room+1))
	x.st.Bytes += n
	if err == nil && n > room {
		err = failure.Wrap(failure.Integrity, fmt.Errorf("extract: the archive expands to more than %d bytes (at %q)", x.lim.MaxBytes, name))
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// Exactly the archive's permission bits, whatever the umask; never setuid/setgid.
	return os.Chmod(target, mode.Perm())
}
