package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/archive"
	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/fetch"
	"github.com/runnerctl/runnerctl/platform"
)

// PrepareOptions configure Prepare.
type PrepareOptions struct {
	Package PackageOptions
	Dir     string
	// User will own the runner directory; created (Linux, as root) when missing.
	User    string
	Version string // runnerctl's, for the state file
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

// Prepare downloads (or takes from the cache or --package-file), verifies
// and extracts the runner package into o.Dir, gives it to the runner user
// and records it in DIR/.runnerctl.json. It registers nothing: it is the
// golden-image step. The same call again changes nothing. A failure leaves
// no directory behind.
func Prepare(ctx context.Context, d Deps, o PrepareOptions) (res PrepareResult, err error) {
	c, f, log := d.Cache, d.Fetcher, d.Log
	var api DownloadsAPI
	if d.API != nil {
		api = d.API
	}
	if err := o.Package.Validate(); err != nil {
		return PrepareResult{}, err
	}
	dir, err := absDir(o.Dir)
	if err != nil {
		return PrepareResult{}, err
	}
	if err := checkReachable(dir, o.User); err != nil {
		return PrepareResult{}, err
	}
	src, err := ResolvePackage(ctx, api, o.Package)
	if err != nil {
		return PrepareResult{}, err
	}
	res = PrepareResult{Dir: dir, Package: src.Filename, User: o.User}

	if st, err := ReadState(dir); err != nil {
		return res, err
	} else if st != nil && src.SHA256 != "" && st.Package.SHA256 == src.SHA256 {
		if _, err := os.Stat(filepath.Join(dir, platform.PackageListener(st.Package.Filename))); err == nil {
			log.Info("runner directory already prepared with this package", "dir", dir, "package", st.Package.Filename)
			res.SHA256, res.Unchanged = st.Package.SHA256, true
			return res, nil
		}
	} else if st != nil {
		return res, failure.Wrap(failure.Usage, fmt.Errorf("prepare: %s holds %s (sha256 %s), not %s: remove the directory or choose another --dir",
			dir, st.Package.Filename, st.Package.SHA256, src.Filename))
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return res, failure.Wrap(failure.Usage, fmt.Errorf("prepare: --dir %s is not empty and was not prepared by runnerctl: choose an empty or new directory", dir))
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return res, fmt.Errorf("prepare: %w", err)
	}

	var staged *archive.Staged
	defer func() { staged.Discard() }() // staged is set during extraction; Discard after Commit is a no-op
	extract := func(r io.Reader) error {
		s, err := archive.Extract(ctx, src.Filename, r, dir, archive.Limits{})
		staged = s
		return err
	}
	zip := strings.HasSuffix(strings.ToLower(src.Filename), ".zip")
	var entry fetch.Entry
	if zip {
		// A zip is read from the verified file, once it is in the cache.
		if entry, err = obtain(ctx, c, f, o.Package, src, nil); err == nil {
			var fh *os.File
			if fh, err = os.Open(entry.Path); err == nil {
				err = extract(fh)
				fh.Close()
			}
		}
	} else {
		// One pass: network → sha256 + cache file + decompression + extraction.
		entry, err = obtain(ctx, c, f, o.Package, src, extract)
	}
	if err != nil {
		return res, err
	}
	res.SHA256 = entry.SHA256
	if _, err := os.Stat(filepath.Join(staged.Dir, platform.PackageListener(src.Filename))); err != nil {
		return res, failure.Wrap(failure.Integrity, fmt.Errorf("prepare: %s has no %s: it is not a runner package", src.Filename, platform.PackageListener(src.Filename)))
	}
	if err := staged.Commit(dir); err != nil {
		return res, err
	}
	// From here on the directory (and a user made below) is this run's:
	// remove them if a later step fails.
	rb := &rollback{log: log}
	defer func() {
		if err != nil {
			rb.run()
		}
	}()
	rb.push("remove the runner directory "+dir, func() error { return os.RemoveAll(dir) })
	if o.User != "" && platform.Privileged() {
		exists, err := platform.UserExists(o.User)
		if err != nil {
			return res, fmt.Errorf("prepare: look up user %s: %w", o.User, err)
		}
		if !exists {
			if err := platform.CreateUser(o.User); err != nil {
				return res, fmt.Errorf("prepare: %w", err)
			}
			res.UserCreated = true
			rb.push("remove the runner user "+o.User+" this run created", func() error { return platform.DeleteUser(o.User) })
			log.Info("created runner user", "user", o.User)
		}
		if err := platform.ChownTree(dir, o.User); err != nil {
			return res, fmt.Errorf("prepare: %w", err)
		}
	} else if o.User != "" && platform.RunsAsUser() {
		log.Info("not running as root: the runner user is not created and files stay owned by the current user", "user", o.User)
		res.User = ""
	}
	if err := WriteState(dir, State{
		Package:      PackageRecord{Filename: src.Filename, SHA256: entry.SHA256, URL: fetch.DisplayURL(src.URL)},
		User:         res.User,
		UserCreated:  res.UserCreated,
		PreparedAt:   time.Now().UTC(),
		RunnerctlVer: o.Version,
	}); err != nil {
		return res, err
	}
	log.Info("runner package prepared", "dir", dir, "package", src.Filename, "sha256", entry.SHA256)
	return res, nil
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
		if o.Package.Offline() || o.Package.OS != "" || o.Package.Arch != "" {
			return nil, failure.Wrap(failure.Usage, errors.New("--all fetches every platform: it goes with neither --os/--arch nor --package-file"))
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
