package archive

import (
	"archive/tar"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

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

// Staged is a complete extraction waiting to be moved into place. The
// tree (Dir) is inside a wrapper directory beside the destination that
// only root (the extracting user) can enter, mode 0700: no other user can
// reach it while it is filled, given away (Chown) and renamed into place.
type Staged struct {
	Dir     string // the extracted tree: WRAPPER/tree
	Files   int
	Bytes   int64
	wrapper string // .NAME.staging-XXX beside the destination, 0700
	removed bool
	placed  bool // the tree was renamed into place (Commit, CommitReplacing)
}

// Discard removes the wrapper directory and everything in it (os.RemoveAll
// does not follow links: on Unix it works with openat/unlinkat and
// O_NOFOLLOW). After a commit it does nothing.
func (s *Staged) Discard() {
	if s != nil && !s.removed {
		_ = platform.RemoveTree(s.wrapper)
		s.removed = true
	}
}

// Placed reports whether the tree was renamed into place: after an error
// of Commit or CommitReplacing, whether the destination is the new tree
// all the same (what failed came after: the old tree's removal, its
// ACL).
func (s *Staged) Placed() bool { return s != nil && s.placed }

// Chown gives every entry of the staged tree, the tree itself included,
// to uid:gid: children before their directory, links themselves (never
// their targets), inside the root-only wrapper, before the tree is moved
// into place (platform.ChownNoFollow). It does nothing on Windows.
func (s *Staged) Chown(uid, gid int) error {
	if s.removed {
		return errors.New("chown the staged tree: it was committed or discarded")
	}
	if err := platform.ChownNoFollow(s.Dir, uid, gid); err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	return nil
}

// Commit renames the staged tree to dest, which must not exist or be an
// empty directory (not a link), and removes the wrapper.
func (s *Staged) Commit(dest string) error {
	if s.removed {
		return fmt.Errorf("install %s: the staged tree was committed or discarded", dest)
	}
	if fi, err := os.Lstat(dest); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("install %s: it exists and is not a directory (%s)", dest, fi.Mode().Type())
		}
		if err := os.Remove(dest); err != nil {
			return fmt.Errorf("install %s: it exists and is not empty: %w", dest, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("install %s: %w", dest, err)
	}
	if err := platform.RenameDurable(s.Dir, dest); err != nil {
		return fmt.Errorf("install %s: %w", dest, err)
	}
	s.removed, s.placed = true, true
	if err := platform.RestrictMovedTree(dest); err != nil {
		return fmt.Errorf("install %s: %w", dest, err)
	}
	if err := os.Remove(s.wrapper); err != nil {
		return fmt.Errorf("install %s: the tree is in place; remove %s: %w", dest, s.wrapper, err)
	}
	return nil
}

// CommitReplacing puts the staged tree at dest whatever is there now (a
// tree another user may own and may be changing): the old one is moved
// into the root-only wrapper, in the same step as the new one takes its
// place where the OS can exchange two names (Linux, macOS), else just
// before; then the wrapper is removed with everything in it, without
// following any link planted in the old tree (see Discard). dest absent
// is Commit. On an error after the new tree is in place, the error says
// so: dest is then the new tree.
func (s *Staged) CommitReplacing(dest string) error {
	if s.removed {
		return fmt.Errorf("install %s: the staged tree was committed or discarded", dest)
	}
	if _, err := os.Lstat(dest); errors.Is(err, fs.ErrNotExist) {
		return s.Commit(dest)
	} else if err != nil {
		return fmt.Errorf("install %s: %w", dest, err)
	}
	err := platform.RenameExchange(s.Dir, dest)
	if errors.Is(err, errors.ErrUnsupported) {
		err = s.replaceInTwoSteps(dest)
	}
	if err != nil {
		return fmt.Errorf("install %s: %w", dest, err)
	}
	s.removed, s.placed = true, true
	if err := platform.RestrictMovedTree(dest); err != nil {
		return fmt.Errorf("install %s: %w", dest, err)
	}
	if err := platform.RemoveTree(s.wrapper); err != nil {
		return fmt.Errorf("install %s: the new tree is in place; remove the old one: %w", dest, err)
	}
	return nil
}

// replaceInTwoSteps moves dest into the wrapper, then the tree to dest
// (putting the old one back when that fails).
func (s *Staged) replaceInTwoSteps(dest string) error {
	old := filepath.Join(s.wrapper, "old")
	if err := os.Rename(dest, old); err != nil {
		return fmt.Errorf("move the old tree aside: %w", err)
	}
	if err := platform.RenameDurable(s.Dir, dest); err != nil {
		if rerr := os.Rename(old, dest); rerr != nil {
			return fmt.Errorf("%w (and putting the old tree back failed: %v; it is in %s)", err, rerr, old)
		}
		return err
	}
	return nil
}

// Extract reads an archive (its format chosen by filename: .tar.gz / .tgz
// stream; .zip needs r to be an *os.File) into a new staging tree inside
// a root-only wrapper directory beside dest. When running as root, the
// directories above dest must be root's alone (platform.CheckNoOtherWriter),
// or another user could swap the wrapper: refused as a Usage failure. On
// error nothing is left behind.
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
	st, err := newStaging(dest)
	if err != nil {
		return nil, err
	}
	x := &extractor{root: st.Dir, lim: lim, st: st, dirModes: map[string]fs.FileMode{}}
	if err := ex.Extract(ctx, r, x.handle); err != nil {
		st.Discard()
		if failure.KindOf(err) == failure.Unexpected && !errors.Is(err, context.Canceled) {
			return nil, fmt.Errorf("extract %s: %w", filename, err)
		}
		return nil, err
	}
	// A link checked when it was made may resolve otherwise through links
	// made after it: all are checked again against the finished tree.
	if err := x.recheckLinks(); err != nil {
		st.Discard()
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

// newStaging makes the wrapper (0700) beside dest and the tree (0755) in it.
func newStaging(dest string) (*Staged, error) {
	parent := filepath.Dir(filepath.Clean(dest))
	if platform.Privileged() {
		if err := platform.CheckNoOtherWriter(parent); err != nil {
			return nil, failure.Wrap(failure.Usage, fmt.Errorf("extract: the runner directory %s must be in a directory only root can change: %w", dest, err))
		}
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("extract: create %s: %w", parent, err)
	}
	wrapper, err := mkdirStaging(parent, "."+filepath.Base(dest)+".staging-")
	if err != nil {
		return nil, fmt.Errorf("extract: create staging directory: %w", err)
	}
	st := &Staged{Dir: filepath.Join(wrapper, "tree"), wrapper: wrapper}
	if platform.Privileged() {
		// Again, now that every parent exists: one another user made
		// between the first check and MkdirAll (under a sticky /tmp) could
		// let that user swap the wrapper.
		if err := platform.CheckNoOtherWriter(wrapper); err != nil {
			st.Discard()
			return nil, failure.Wrap(failure.Usage, fmt.Errorf("extract: the runner directory %s must be in a directory only root can change: %w", dest, err))
		}
	}
	err = os.Mkdir(st.Dir, 0o700)
	if err == nil {
		err = os.Chmod(st.Dir, 0o755)
	}
	if err != nil {
		st.Discard()
		return nil, fmt.Errorf("extract: create staging directory: %w", err)
	}
	return st, nil
}

// mkdirStaging makes a new directory prefix+random in parent, closed to
// everyone but its owner from the start (platform.MkdirRestricted).
func mkdirStaging(parent, prefix string) (string, error) {
	for range 16 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		dir := filepath.Join(parent, prefix+hex.EncodeToString(b[:]))
		err := platform.MkdirRestricted(dir)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	return "", fmt.Errorf("no free name for %s* in %s", prefix, parent)
}

type extractor struct {
	root     string
	lim      Limits
	st       *Staged
	dirModes map[string]fs.FileMode
	links    []string // every symlink made, relative, in order
}

// clean turns an entry name into a safe relative path, or refuses it.
// "" means the archive root ("./").
func clean(name string) (string, error) {
	n := slashed(name)
	if absolute(n) {
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
// anything but real directories (no write through a symlink, nor through
// a file), and makes the missing ones.
func (x *extractor) checkParents(rel, name string) error {
	missing, err := x.realParents(rel, name)
	if err != nil || !missing {
		return err
	}
	return os.MkdirAll(filepath.Join(x.root, filepath.FromSlash(path.Dir(rel))), 0o755)
}

// realParents checks rel's parent directories from the top, each with
// Lstat after the one above it was found a real directory, so no link is
// followed: it refuses a link or a file among them, and reports whether
// one is missing (then so are those below it).
func (x *extractor) realParents(rel, name string) (missing bool, err error) {
	dir := x.root
	parts := strings.Split(rel, "/")
	for _, p := range parts[:len(parts)-1] {
		dir = filepath.Join(dir, p)
		fi, err := os.Lstat(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		if !fi.IsDir() {
			return false, unsafeErr(name, "is written through a symlink or a file ("+p+")")
		}
	}
	return false, nil
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
	if err := x.checkLink(rel, name, link); err != nil {
		return err
	}
	if err := removeExisting(target); err != nil {
		return err
	}
	x.links = append(x.links, rel)
	return os.Symlink(filepath.FromSlash(slashed(link)), target)
}

// maxLinkHops bounds the links one resolution goes through (as the
// kernel's ELOOP does).
const maxLinkHops = 40

func slashed(link string) string { return strings.ReplaceAll(link, "\\", "/") }

func absolute(l string) bool { return strings.HasPrefix(l, "/") || (len(l) >= 2 && l[1] == ':') }

// checkLink refuses the link rel -> link when it resolves outside the
// tree: followed as the OS would, from rel's directory, through the
// links already extracted (their targets read from the tree, not from
// the archive), ".." popping what was really reached; below a name not
// extracted yet, lexically.
func (x *extractor) checkLink(rel, name, link string) error {
	if absolute(slashed(link)) {
		return unsafeErr(name, "is a symlink to an absolute path ("+link+")")
	}
	var stack []string
	if d := path.Dir(rel); d != "." {
		stack = strings.Split(d, "/")
	}
	todo := strings.Split(slashed(link), "/")
	for hops := 0; len(todo) > 0; {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(stack) == 0 {
				return unsafeErr(name, "is a symlink leaving the tree ("+link+")")
			}
			stack = stack[:len(stack)-1]
			continue
		}
		stack = append(stack, c)
		// Every name on the stack is a real directory or missing: this
		// Lstat follows no link.
		p := filepath.Join(x.root, filepath.FromSlash(strings.Join(stack, "/")))
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			continue
		}
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		if hops++; hops > maxLinkHops {
			return unsafeErr(name, "is a symlink through too many links ("+link+")")
		}
		next, err := os.Readlink(p)
		if err != nil {
			return err
		}
		if absolute(slashed(next)) {
			return unsafeErr(name, "is a symlink through "+strings.Join(stack, "/")+", a link to an absolute path ("+link+")")
		}
		stack = stack[:len(stack)-1]
		todo = append(strings.Split(slashed(next), "/"), todo...)
	}
	return nil
}

// recheckLinks checks every link still in the finished tree again: one
// made early may pass through names that later entries made links.
func (x *extractor) recheckLinks() error {
	for _, rel := range x.links {
		p := filepath.Join(x.root, filepath.FromSlash(rel))
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) || (err == nil && fi.Mode()&fs.ModeSymlink == 0) {
			continue // replaced by a later entry
		}
		if err != nil {
			return err
		}
		link, err := os.Readlink(p)
		if err != nil {
			return err
		}
		if err := x.checkLink(rel, "./"+rel, link); err != nil {
			return err
		}
	}
	return nil
}

func (x *extractor) hardlink(rel, name, linkname, target string) error {
	lrel, err := clean(linkname)
	if err != nil || lrel == "" {
		return unsafeErr(name, "is a hard link outside the tree ("+linkname+")")
	}
	// The source's directories first: the Lstat below must follow no link.
	if missing, err := x.realParents(lrel, name); err != nil {
		return err
	} else if missing {
		return unsafeErr(name, "is a hard link to something not extracted before it ("+linkname+")")
	}
	src := filepath.Join(x.root, filepath.FromSlash(lrel))
	fi, err := os.Lstat(src)
	if err != nil || !fi.Mode().IsRegular() {
		return unsafeErr(name, "is a hard link to something not extracted before it ("+linkname+")")
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
