package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/archive"
	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/fetch"
	"github.com/runnerctl/runnerctl/bootstrap/runner"
	"github.com/runnerctl/runnerctl/platform"
)

// PrepareOptions configure Prepare.
type PrepareOptions struct {
	Package PackageOptions
	Dir     string
	// User will run the runner; created (Linux, as root) when missing.
	User    string
	Version string // runnerctl's, for the trusted record
}

// PrepareResult says what Prepare did.
type PrepareResult struct {
	Dir         string `json:"dir"`
	Package     string `json:"package"`
	SHA256      string `json:"sha256"`
	User        string `json:"user,omitempty"`
	UserCreated bool   `json:"user_created"`
	// Unchanged is true when the directory already held this package.
	Unchanged bool `json:"unchanged"`
}

// checkReachable refuses, as root, a runner directory whose parents the
// runner user cannot enter: config.sh and the listener run as that user
// and would fail late (fork/exec: permission denied) after the download.
func checkReachable(dir, user string) error {
	if user == "" || user == "root" || !platform.Privileged() {
		return nil
	}
	err := platform.CheckReachable(dir, user)
	var ae *platform.AccessError
	if errors.As(err, &ae) {
		return failure.Wrap(failure.Usage, fmt.Errorf("--dir %s: the runner user %s cannot reach it: %s has mode %s (owner %s); choose a --dir it can reach (the default is %s), or let it through with chmod o+x %s",
			dir, user, ae.Path, ae.Mode, ae.Owner, platform.DefaultRunnerDir(), ae.Path))
	}
	if err != nil {
		return fmt.Errorf("prepare: check --dir %s: %w", dir, err)
	}
	return nil
}

// runnerDir is --dir made canonical (absolute, links in its existing
// part resolved: the trusted store's key) and, as root, checked: root
// extracts, renames and removes there, so no other user may be able to
// swap the directory or one of its parents for a link.
func runnerDir(dir string) (string, error) {
	if err := runner.CheckText("--dir", dir); err != nil {
		return "", err
	}
	abs, err := absDir(dir)
	if err != nil {
		return "", err
	}
	canon, rest := abs, ""
	for {
		if real, err := filepath.EvalSymlinks(canon); err == nil {
			canon = filepath.Join(real, rest)
			break
		}
		if canon == filepath.Dir(canon) {
			canon = abs
			break
		}
		rest = filepath.Join(filepath.Base(canon), rest)
		canon = filepath.Dir(canon)
	}
	if platform.Privileged() && platform.RunsAsUser() {
		err := platform.CheckNoOtherLink(abs)
		if err == nil {
			err = platform.CheckNoOtherWriter(filepath.Dir(canon))
		}
		if err != nil {
			return "", failure.Wrap(failure.Usage, fmt.Errorf("--dir %s: %w: root would write there through a path another user can change; choose a --dir under root-owned parents (the default is %s)",
				dir, err, platform.DefaultRunnerDir()))
		}
	}
	return canon, nil
}

// staged is a package extracted, not yet in place.
type staged struct {
	tree *archive.Staged
	pkg  PackageRecord
}

// stage resolves the package, gets it (cache, download or --package-file)
// and extracts it into a root-only staging directory beside dir.
func stage(ctx context.Context, d Deps, po PackageOptions, dir string) (staged, error) {
	var api DownloadsAPI
	if d.API != nil {
		api = d.API
	}
	src, err := ResolvePackage(ctx, api, po)
	if err != nil {
		return staged{}, err
	}
	return stageSource(ctx, d, po, src, dir)
}

func stageSource(ctx context.Context, d Deps, po PackageOptions, src fetch.Source, dir string) (s staged, err error) {
	c, f := d.Cache, d.Fetcher
	defer func() {
		if err != nil {
			s.tree.Discard()
		}
	}()
	extract := func(r io.Reader) error {
		t, err := archive.Extract(ctx, src.Filename, r, dir, archive.Limits{})
		s.tree = t
		return err
	}
	// A tar.gz in one pass (network → sha256 + cache file + decompression +
	// extraction); a zip from the very file that was verified.
	entry, err := fetchExtract(ctx, c, f, po, src, extract)
	if err != nil {
		return s, err
	}
	if _, err := os.Lstat(filepath.Join(s.tree.Dir, platform.PackageListener(src.Filename))); err != nil {
		return s, failure.Wrap(failure.Integrity, fmt.Errorf("prepare: %s has no %s: it is not a runner package", src.Filename, platform.PackageListener(src.Filename)))
	}
	s.pkg = PackageRecord{Filename: src.Filename, SHA256: entry.SHA256, URL: fetch.DisplayURL(src.URL)}
	return s, nil
}

// stageFor stages the package for dir: one the store knows (known: its
// tree is replaced once the new one is ready), else one that is missing
// or empty (emptyOrMissing).
func stageFor(ctx context.Context, d Deps, po PackageOptions, src fetch.Source, dir string, known bool, op string) (staged, error) {
	if !known {
		if err := emptyOrMissing(dir, op); err != nil {
			return staged{}, err
		}
	}
	return stageSource(ctx, d, po, src, dir)
}

// emptyOrMissing refuses a directory that holds anything: runnerctl
// never extracts over, or removes, what it did not make.
func emptyOrMissing(dir, op string) error {
	entries, err := os.ReadDir(dir)
	if err == nil && len(entries) > 0 {
		return failure.Wrap(failure.Usage, fmt.Errorf("%s: --dir %s is not empty and runnerctl has no record of it: choose an empty or new directory", op, dir))
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// ensureUser creates the runner user when missing (as root, where
// runners run as users of their own), recording it in the store and
// undoing both on rollback.
func ensureUser(st Store, user string, rb *rollback) (created bool, err error) {
	if user == "" || user == "root" || !platform.Privileged() || !platform.RunsAsUser() {
		return false, nil
	}
	exists, err := platform.UserExists(user)
	if err != nil || exists {
		if err != nil {
			err = fmt.Errorf("look up user %s: %w", user, err)
		}
		return false, err
	}
	if err := platform.CreateUser(user); err != nil {
		return false, err
	}
	rb.push("remove the runner user "+user+" this run created", func() error { return platform.DeleteUser(user) })
	if err := st.createdUser(user, false); err != nil {
		return true, err
	}
	rb.push("forget the runner user "+user+" in the trusted store", func() error { return st.createdUser(user, true) })
	return true, nil
}

// Prepare downloads (or takes from the cache or --package-file), verifies
// and extracts the runner package into o.Dir and records it in the
// trusted store. It registers nothing: it is the golden-image step. The
// tree stays root's (pristine) until install hands it to the runner user,
// so that no job can have changed the config.sh a registration token is
// given to. The same call again changes nothing. A failure leaves no
// directory behind.
func Prepare(ctx context.Context, d Deps, o PrepareOptions) (res PrepareResult, err error) {
	log, st := d.Log, d.Store
	if err := o.Package.Validate(); err != nil {
		return PrepareResult{}, err
	}
	dir, err := runnerDir(o.Dir)
	if err != nil {
		return PrepareResult{}, err
	}
	if err := checkReachable(dir, o.User); err != nil {
		return PrepareResult{}, err
	}
	rec, err := st.Get(dir)
	if err != nil {
		return PrepareResult{}, err
	}
	if rec != nil && !rec.Pristine {
		return PrepareResult{}, failure.Wrap(failure.Usage, fmt.Errorf("prepare: %s holds an installed runner: run `runnerctl uninstall --dir %s` first, or choose another --dir", dir, dir))
	}
	var api DownloadsAPI
	if d.API != nil {
		api = d.API
	}
	src, err := ResolvePackage(ctx, api, o.Package)
	if err != nil {
		return PrepareResult{}, err
	}
	res = PrepareResult{Dir: dir, Package: src.Filename, User: o.User}
	if !platform.Privileged() || !platform.RunsAsUser() {
		res.User = ""
	}
	if rec != nil && src.SHA256 != "" && rec.Package.SHA256 == src.SHA256 {
		if _, err := os.Lstat(filepath.Join(dir, platform.PackageListener(rec.Package.Filename))); err == nil {
			log.Info("runner directory already prepared with this package", "dir", dir, "package", rec.Package.Filename)
			res.SHA256, res.Unchanged = rec.Package.SHA256, true
			return res, nil
		}
	}
	if rec != nil { // a re-bake: "runner package 2.336.0 → 2.337.0"
		logPackageChange(log, dir, rec.Package, src)
	}
	s, err := stageFor(ctx, d, o.Package, src, dir, rec != nil, "prepare")
	if err != nil {
		return res, err
	}
	defer s.tree.Discard() // a no-op once committed
	rb := &rollback{log: log}
	defer func() {
		if err != nil {
			rb.run()
		}
	}()
	if res.UserCreated, err = ensureUser(st, res.User, rb); err != nil {
		return res, fmt.Errorf("prepare: %w", err)
	}
	if res.UserCreated {
		log.Info("created runner user", "user", res.User)
	}
	// A tree prepared before (another package) is root's: replaced whole.
	if err := commitTree(s.tree, dir, rec != nil); err != nil {
		return res, err
	}
	rb.push("remove the runner directory "+dir, func() error { return platform.RemoveTree(dir) })
	res.SHA256 = s.pkg.SHA256
	if err := st.Put(Record{Dir: dir, Package: s.pkg, Pristine: true, User: res.User, MadeAt: time.Now().UTC(), Runnerctl: o.Version}); err != nil {
		return res, err
	}
	log.Info("runner package prepared", "dir", dir, "package", src.Filename, "sha256", s.pkg.SHA256)
	return res, nil
}

// commitTree moves a staged tree into dir: over a tree runnerctl made
// (replacing), else into a missing or empty dir.
func commitTree(t *archive.Staged, dir string, replacing bool) error {
	if replacing {
		return t.CommitReplacing(dir)
	}
	return t.Commit(dir)
}

// DownloadOptions configure Download.
type DownloadOptions struct {
	Package PackageOptions
	// All fetches every platform the server lists (for mirrors).
	All bool
}

// Download puts packages in the cache and returns the entries.
func Download(ctx context.Context, d Deps, o DownloadOptions) ([]fetch.Entry, error) {
	c, f := d.Cache, d.Fetcher
	var api DownloadsAPI
	if d.API != nil {
		api = d.API
	}
	if err := o.Package.Validate(); err != nil {
		return nil, err
	}
	var srcs []fetch.Source
	if o.All {
		if o.Package.Offline() || o.Package.OS != "" || o.Package.Arch != "" || o.Package.SHA256 != "" {
			return nil, failure.Wrap(failure.Usage, errors.New("--all fetches every platform: it goes with neither --os/--arch, --sha256 nor --package-file"))
		}
		ds, err := api.Downloads(ctx)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			srcs = append(srcs, SourceOf(d))
		}
	} else {
		src, err := ResolvePackage(ctx, api, o.Package)
		if err != nil {
			return nil, err
		}
		srcs = []fetch.Source{src}
	}
	var out []fetch.Entry
	for _, src := range srcs {
		e, err := obtain(ctx, c, f, o.Package, src, nil)
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
	return out, nil
}
