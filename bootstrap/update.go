package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/github"
	"github.com/runnerctl/runnerctl/platform"
)

// `runnerctl update`: a new runner package for an installed runner,
// between jobs, keeping its registration. It is for runners that do not
// update themselves (--disableupdate: GitHub stops sending them jobs 30
// days after a new release) and for one whose version the server refused.
//
// The swap, and why it is safe for root:
//
//   - the new package is downloaded, verified and extracted into the
//     root-only staging directory beside the runner directory while the
//     runner still works;
//   - the runner is stopped between jobs: update waits until the API says
//     it is not busy (its own minimal wait; `drain` is the full one), then
//     stops the service (the listener's graceful stop). A job the server
//     hands out between the last look and the stop is cancelled by the
//     stop: that window is a heartbeat long (see README);
//   - the registration is kept: the runner's own files that hold it
//     (.runner, .credentials*, and .env, .path) are copied from the old
//     tree into the staging one as opaque bytes, each opened without
//     following links, only as a regular file with no other hard link,
//     1 MiB at most (platform.ReadInDir): root reads nothing there to
//     decide anything and cannot be made to copy a file the runner user
//     could not read itself; _work (job workspaces, the tool cache),
//     _diag (the runner's logs) and a relative --work folder's top
//     directory (keptEntries) are moved, each as one directory entry
//     (a link is moved as the link);
//   - the staged tree is given to the runner user and exchanged with the
//     old one, which goes with the staging directory; the service starts.
//
// Re-registering instead would change the runner's id and need a
// registration token on every update; the runner's own self-update keeps
// the same files the same way.

// carried are the runner's files that hold its registration and settings,
// copied from the old tree; their modes in the new one.
var carried = []carriedFile{
	{".runner", 0o644}, {".runner_migrated", 0o644},
	{".credentials", 0o600}, {".credentials_migrated", 0o600}, {".credentials_rsaparams", 0o600},
	{".env", 0o600}, {".path", 0o644},
}

type carriedFile struct {
	name string
	perm os.FileMode
}

// UpdateOptions configure Update.
type UpdateOptions struct {
	Dir     string
	Package PackageOptions
	// Timeout bounds the wait for a running job to end (default 1 h).
	Timeout time.Duration
	// Wait bounds the wait for the runner to come online after the swap (0 skips it).
	Wait time.Duration
	// pollEvery is how often the API is asked whether a job runs (default 5 s).
	pollEvery  time.Duration
	waitPolicy *waitPolicy
}

// UpdateResult says what Update did.
type UpdateResult struct {
	Dir     string `json:"dir"`
	Name    string `json:"name"`
	ID      int64  `json:"id"`
	From    string `json:"from"`
	To      string `json:"to"`
	Updated bool   `json:"updated"`
	Status  string `json:"status,omitempty"`
}

// Update replaces the package of the runner installed in o.Dir with the
// newest the server offers (or --package-file) when it differs, between
// jobs, keeping the registration; see the comment above.
func Update(ctx context.Context, d Deps, o UpdateOptions) (res UpdateResult, err error) {
	log, st, svc := d.Log, d.Store, d.Services
	started := time.Now()
	dir, err := runnerDir(o.Dir)
	if err != nil {
		return res, err
	}
	rec, err := st.Get(dir)
	if err != nil {
		return res, err
	}
	if rec == nil || rec.Runner == nil {
		return res, fmt.Errorf("update: %w", st.notInstalled(dir))
	}
	r := rec.Runner
	res = UpdateResult{Dir: dir, Name: r.Name, ID: r.ID, From: packageVersion(rec.Package.Filename)}
	if !o.Package.Offline() && d.API == nil {
		return res, failure.Wrap(failure.Usage, errors.New("update: no API credential to ask the server for its newest runner package: give one, or --package-file F --sha256 HEX"))
	}
	src, err := ResolvePackage(ctx, d.API, o.Package)
	if err != nil {
		return res, err
	}
	res.To = packageVersion(src.Filename)
	if src.SHA256 != "" && src.SHA256 == rec.Package.SHA256 {
		log.Info("runner package is current: nothing to update", "dir", dir, "package", src.Filename)
		return res, nil
	}
	if compareVersions(res.To, res.From) < 0 {
		return res, failure.Wrap(failure.Usage, fmt.Errorf("update: the package offered, %s, is older than the installed %s: runnerctl does not downgrade a runner", res.To, res.From))
	}

	// The new tree first, while the runner still takes jobs.
	s, err := stageSource(ctx, d, o.Package, src, dir)
	if err != nil {
		return res, err
	}
	defer s.tree.Discard() // nothing after a commit
	if err := waitIdle(ctx, d, r, o); err != nil {
		return res, err
	}
	if r.Service != "" {
		if err := svc.Stop(r.Service); err != nil {
			return res, failure.Wrap(failure.Service, fmt.Errorf("update: %w", err))
		}
	}
	committed := false
	var moved []string
	defer func() {
		if err == nil || committed {
			return
		}
		for _, name := range moved {
			if merr := os.Rename(filepath.Join(s.tree.Dir, name), filepath.Join(dir, name)); merr != nil {
				log.Warn("update failed: could not move "+name+" back", "dir", dir, "err", merr)
			}
		}
		if r.Service != "" {
			if serr := svc.Start(r.Service); serr != nil {
				log.Warn("update failed: could not start the service again", "service", r.Service, "err", serr)
			}
		}
	}()
	for _, f := range carried {
		data, found, err := platform.ReadInDir(dir, f.name, 1<<20)
		if err != nil {
			return res, fmt.Errorf("update: keep the runner's %s: %w", f.name, err)
		}
		if found {
			if err := platform.WriteInDir(s.tree.Dir, f.name, data, f.perm, -1, -1); err != nil {
				return res, fmt.Errorf("update: %w", err)
			}
		}
	}
	uid, gid, err := owner(rec.User)
	if err != nil {
		return res, fmt.Errorf("update: %w", err)
	}
	if uid >= 0 {
		if err := s.tree.Chown(uid, gid); err != nil {
			return res, fmt.Errorf("update: %w", err)
		}
	}
	for _, name := range keptEntries(r) {
		ok, err := moveEntry(dir, s.tree.Dir, name)
		if err != nil {
			return res, err
		}
		if ok {
			moved = append(moved, name)
		}
	}
	// After the swap, a failure (the old tree's removal: a process the
	// job left may still write in it) leaves the new tree in place: it
	// is recorded and started as such, and the error is returned after.
	var after error
	if err := commitTree(s.tree, dir, true); err != nil {
		if !s.tree.Placed() {
			return res, err
		}
		after = fmt.Errorf("update: the new package is in place, but: %w", err)
		log.Warn("update: the new package is in place; what came after failed", "dir", dir, "err", err)
	}
	committed = true
	defer func() { err = errors.Join(err, after) }()
	log.Info(fmt.Sprintf("runner package %s → %s", res.From, res.To), "dir", dir, "from", rec.Package.Filename, "to", s.pkg.Filename)
	if err := platform.GrantServiceAccess(dir, rec.User); err != nil {
		return res, fmt.Errorf("update: %w", err)
	}
	rec.Package, rec.Pristine = s.pkg, false
	if err := st.Put(*rec); err != nil {
		return res, err
	}
	res.Updated = true
	if r.Service == "" {
		log.Info("--no-service runner: (re)start your `runnerctl run --dir " + dir + "`: update cannot stop or start it")
		return res, nil
	}
	if err := writeServiceMarker(dir, r.Service, rec.User, log); err != nil {
		return res, err
	}
	if err := svc.Start(r.Service); err != nil {
		return res, failure.Wrap(failure.Service, fmt.Errorf("update: %w", err))
	}
	if d.API == nil {
		return res, nil
	}
	ires := InstallResult{Dir: dir, Name: r.Name, ID: r.ID, Service: r.Service, User: rec.User}
	if err := confirm(ctx, d.API, svc, InstallOptions{Dir: dir, Wait: o.Wait, waitPolicy: o.waitPolicy}, &ires, started, log); err != nil {
		return res, err
	}
	res.Status = ires.Status
	return res, nil
}

// waitIdle waits until the server says the runner runs no job (bounded by
// o.Timeout). Without an API credential it cannot know: it says so.
func waitIdle(ctx context.Context, d Deps, r *RunnerRecord, o UpdateOptions) error {
	if d.API == nil {
		d.Log.Warn("no API credential: update cannot see whether the runner runs a job; stopping it now cancels one that does", "name", r.Name)
		return nil
	}
	timeout, every := o.Timeout, o.pollEvery
	if timeout <= 0 {
		timeout = time.Hour
	}
	if every <= 0 {
		every = 5 * time.Second
	}
	deadline := time.Now().Add(timeout)
	for said := false; ; said = true {
		got, err := d.API.GetRunner(ctx, r.ID)
		if errors.Is(err, github.ErrNotFound) {
			return failure.Wrap(failure.NotFound, fmt.Errorf("update: the server no longer has runner %q (id %d): run `runnerctl install` again to register it", r.Name, r.ID))
		}
		if err != nil {
			return err
		}
		if !got.Busy {
			return nil
		}
		if time.Now().After(deadline) {
			return failure.Wrap(failure.Timeout, fmt.Errorf("update: runner %q still runs a job after --timeout %s: nothing was changed", r.Name, timeout))
		}
		if !said {
			d.Log.Info("the runner is running a job: waiting for it to end before the update", "name", r.Name, "timeout", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
		}
	}
}

// keptEntries are the entries of the old tree update moves into the new
// one: _work and _diag, and the top directory of a --work folder inside
// the runner directory (--work mywork: the job workspaces and the tool
// cache are there, not in _work; an absolute one, or one outside the
// directory, is not in the tree and stays where it is).
func keptEntries(r *RunnerRecord) []string {
	out := []string{"_work", "_diag"}
	if r.Settings == nil || r.Settings.Work == "" || filepath.IsAbs(r.Settings.Work) || filepath.VolumeName(r.Settings.Work) != "" {
		return out
	}
	top, _, _ := strings.Cut(filepath.ToSlash(filepath.Clean(r.Settings.Work)), "/")
	if top == "." || top == ".." || top == "" || slices.Contains(out, top) || slices.ContainsFunc(carried, func(c carriedFile) bool { return c.name == top }) {
		return out
	}
	return append(out, top)
}

// moveEntry moves the old tree's name (_work, _diag: one directory
// entry, a link moved as the link) into the new tree, replacing what the
// package has there (_diag, empty); it reports whether there was one.
func moveEntry(dir, tree, name string) (bool, error) {
	from, to := filepath.Join(dir, name), filepath.Join(tree, name)
	if _, err := os.Lstat(from); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("update: %w", err)
	}
	if err := os.Remove(to); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("update: keep %s: %w", name, err)
	}
	if err := os.Rename(from, to); err != nil {
		return false, fmt.Errorf("update: keep %s: %w", name, err)
	}
	return true, nil
}

// RunUpdate updates the runner in o.Dir, or with all every runner in the
// trusted store, one after the other; url, when given, is the server to
// ask (else the record's).
func RunUpdate(ctx context.Context, e Env, url string, all bool, o UpdateOptions) error {
	if err := o.Package.Validate(); err != nil {
		return err
	}
	dirs, err := Dirs(e.store(), o.Dir, all)
	if err != nil {
		return err
	}
	return eachRunner(e, dirs, e.lifecycleFor(url), WriteUpdate, func(d Deps, dir string) (UpdateResult, error) {
		o.Dir = dir
		return Update(ctx, d, o)
	})
}

// WriteUpdate prints what Update did, one line per runner, or JSON.
func WriteUpdate(w io.Writer, f Format, results []UpdateResult) error {
	if f == "json" {
		return WriteJSON(w, results)
	}
	for _, res := range results {
		line := fmt.Sprintf("runner %s (id %d) in %s: package %s is current", res.Name, res.ID, res.Dir, res.From)
		if res.Updated {
			line = fmt.Sprintf("updated runner %s (id %d) in %s: package %s → %s", res.Name, res.ID, res.Dir, res.From, res.To)
			if res.Status != "" {
				line += ", " + res.Status
			}
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}
