package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/runner"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
	"github.com/runnerctl/runnerctl/platform"
)

// UninstallOptions configure Uninstall.
type UninstallOptions struct {
	Dir       string
	KeepFiles bool
	// RemoveTokenFile is --remove-token-file: deregister with this
	// pre-minted remove token instead of the API credential.
	RemoveTokenFile string
	// Force cleans the host even when the registration cannot be
	// removed (server unreachable, no credential): what is left on the
	// server is reported (UninstallResult.LeftOnServer).
	Force bool
	// Drain waits for a running job first (Drain), up to DrainTimeout.
	Drain        bool
	DrainTimeout time.Duration

	removeToken secret.Secret
	remover     removeTokenAPI // the client for removeToken
}

// UninstallResult says what Uninstall did.
type UninstallResult struct {
	Dir          string `json:"dir"`
	Name         string `json:"name,omitempty"`
	ID           int64  `json:"id,omitempty"`
	Service      string `json:"service,omitempty"`
	Deregistered bool   `json:"deregistered"`
	FilesRemoved bool   `json:"files_removed"`
	UserRemoved  string `json:"user_removed,omitempty"`
	// Nothing is true when nothing was installed there.
	Nothing bool `json:"nothing_installed"`
	// LeftOnServer is the registration --force left behind.
	LeftOnServer *Leftover `json:"left_on_server,omitempty"`
}

// localConfig are the files config.sh writes for a registration; with
// --keep-files they go (unlinked by name: a link is removed, not followed)
// since the registration they hold is deleted.
var localConfig = []string{".runner", ".runner_migrated", ".credentials", ".credentials_migrated", ".credentials_rsaparams", runner.ServiceMarker}

// Uninstall reverses Install, from the trusted store's record alone: it
// stops and removes the service, deletes the registration by id through
// the API, removes the directory unless KeepFiles, the record, and the
// runner user if install created it and no other runner uses it. api may
// be nil when no credentials were given: Uninstall then fails before
// removing anything, so that no registration is orphaned.
func Uninstall(ctx context.Context, d Deps, o UninstallOptions) (UninstallResult, error) {
	api, svc, log, st := d.API, d.Services, d.Log, d.Store
	dir, err := runnerDir(o.Dir)
	if err != nil {
		return UninstallResult{}, err
	}
	res := UninstallResult{Dir: dir}
	rec, err := st.Get(dir)
	if err != nil {
		return res, err
	}
	if rec == nil {
		if _, err := os.Lstat(dir); err == nil && !o.KeepFiles {
			return res, failure.Wrap(failure.Usage, fmt.Errorf("uninstall: %s was not installed by runnerctl (no record in %s): remove it yourself if it should go", dir, st.Dir))
		}
		log.Info("nothing installed", "dir", dir)
		res.Nothing = true
		return res, removeUnusedBinary(st, log)
	}
	r := rec.Runner
	if r != nil {
		res.Name, res.ID, res.Service = r.Name, r.ID, r.Service
		if api == nil && o.remover == nil && !o.Force {
			return res, failure.Wrap(failure.Auth, fmt.Errorf("uninstall: removing the registration of %q needs API credentials: set --access-token-file, RUNNERCTL_ACCESS_TOKEN or GITHUB_TOKEN, "+
				"or give --remove-token-file; --force cleans this host and leaves the registration on the server", r.Name))
		}
		// 1. The service.
		if r.Service != "" {
			if err := svc.Uninstall(r.Service); err != nil {
				if !o.Force {
					return res, failure.Wrap(failure.Service, err)
				}
				log.Warn("--force: the service could not be removed: going on", "service", r.Service, "err", err)
			}
		}
		// 2. The registration.
		if err := removeRegistration(ctx, api, o, r, log); err != nil {
			if !o.Force {
				return res, fmt.Errorf("uninstall: %w (the service is stopped and removed, the files and the record kept: run uninstall again once the server can be reached, or add --force to clean this host and leave the registration on the server)", err)
			}
			res.LeftOnServer = leftover(r)
			log.Warn("--force: the registration could not be removed: it is left on the server", "name", r.Name, "id", r.ID, "url", r.URL, "err", err)
		} else {
			res.Deregistered = true
			log.Info("runner registration removed", "name", r.Name, "id", r.ID)
		}
	}

	// 3. Files, record, user.
	if !o.KeepFiles {
		if err := platform.RemoveTree(dir); err != nil {
			return res, fmt.Errorf("uninstall: remove %s: %w", dir, err)
		}
		res.FilesRemoved = true
		log.Info("runner directory removed", "dir", dir)
		if rec.Count != nil && filepath.Dir(dir) == rec.Count.Dir {
			// The last runner of an install --count group: its directory
			// goes too once empty (os.Remove fails on anything else).
			if err := os.Remove(rec.Count.Dir); err == nil {
				log.Info("count group directory removed", "dir", rec.Count.Dir)
			}
		}
	} else {
		for _, f := range localConfig {
			if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return res, fmt.Errorf("uninstall: %w", err)
			}
		}
	}
	if err := st.Delete(dir); err != nil {
		return res, err
	}
	if err := removeUnusedCA(d.trust(), st, rec.CA, dir, recordCA, log); err != nil {
		log.Warn("could not take the CA install added out of the OS trust store", "err", err)
	}
	if err := removeUnusedBinary(st, log); err != nil {
		log.Warn("could not remove the runnerctl copy install placed for the services", "err", err)
	}
	if !o.KeepFiles {
		if removed, err := removeUnusedUser(st, rec.User, log); err != nil {
			log.Warn("could not remove the runner user install created", "user", rec.User, "err", err)
		} else {
			res.UserRemoved = removed
		}
	}
	return res, nil
}

// removeUnusedBinary removes the runnerctl copy install placed for the
// services (BinaryRecord.Placed) once no runner with a service is left:
// uninstall leaves nothing install made. One the operator put there is
// left alone.
func removeUnusedBinary(st Store, log *slog.Logger) error {
	d, err := st.read()
	if err != nil || d.Runnerctl == nil || slices.ContainsFunc(d.Runners, func(r Record) bool { return r.Runner != nil && r.Runner.Service != "" }) {
		return err
	}
	rec := *d.Runnerctl
	if rec.Placed {
		if err := os.Remove(rec.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		log.Info("removed the runnerctl copy the services ran: no runner is left", "path", rec.Path)
	}
	return st.update(func(d *storeData) error { d.Runnerctl = nil; return nil })
}

// removeUnusedUser removes user when runnerctl created it (the store's
// CreatedUsers) and no runner directory left in the store is its; it
// returns the user removed.
func removeUnusedUser(st Store, user string, log *slog.Logger) (string, error) {
	d, err := st.read()
	if err != nil || user == "" || user == "root" || !slices.Contains(d.CreatedUsers, user) {
		return "", err
	}
	if slices.ContainsFunc(d.Runners, func(r Record) bool { return r.User == user }) {
		return "", nil
	}
	if err := platform.DeleteUser(user); err != nil {
		return "", err
	}
	log.Info("runner user removed", "user", user)
	return user, st.createdUser(user, true)
}

// Dirs returns dir (the runners of the install --count group in dir,
// when dir is one's), or with all every installed runner's directory in
// the trusted store.
func Dirs(st Store, dir string, all bool) ([]string, error) {
	if !all {
		return groupDirs(st, dir)
	}
	recs, err := st.Records()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range recs {
		if r.Runner != nil {
			out = append(out, r.Dir)
		}
	}
	return out, nil
}
