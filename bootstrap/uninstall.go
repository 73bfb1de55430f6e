package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/github"
	"github.com/runnerctl/runnerctl/bootstrap/runner"
	"github.com/runnerctl/runnerctl/platform"
)

// UninstallOptions configure Uninstall.
type UninstallOptions struct {
	Dir       string
	KeepFiles bool
	IndexDir  string
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
}

// Uninstall reverses Install: it stops and removes the service, removes
// the registration (config.sh remove with a remove token; by id through
// the API when that cannot work), then the directory unless KeepFiles,
// the host index entry, and the runner user if install created it and no
// other runner uses it. api may be nil when no credentials were given: a
// registration then stays and Uninstall fails before removing anything.
func Uninstall(ctx context.Context, d Deps, o UninstallOptions) (UninstallResult, error) {
	api, svc, red, log := d.API, d.Services, d.Redactor, d.Log
	dir, err := absDir(o.Dir)
	if err != nil {
		return UninstallResult{}, err
	}
	res := UninstallResult{Dir: dir}
	st, err := ReadState(dir)
	if err != nil {
		return res, err
	}
	settings, err := runner.ReadSettings(dir)
	if err != nil {
		return res, err
	}
	if st == nil && settings == nil {
		if _, err := os.Stat(dir); err == nil && !o.KeepFiles {
			return res, failure.Wrap(failure.Usage, fmt.Errorf("uninstall: %s was not installed by runnerctl: remove it yourself if it should go", dir))
		}
		log.Info("nothing installed", "dir", dir)
		res.Nothing = true
		if err := indexRemove(o.IndexDir, dir); err != nil {
			return res, err
		}
		return res, removeUnusedBinary(o.IndexDir, log)
	}
	user, svcName := "", ""
	var rec RunnerRecord
	if st != nil {
		user = st.User
		if st.Runner != nil {
			rec = *st.Runner
			svcName = rec.Service
		}
	}
	if settings != nil {
		res.Name, res.ID = settings.AgentName, settings.AgentID
	} else {
		res.Name, res.ID = rec.Name, rec.ID
	}
	res.Service = svcName
	if (settings != nil || rec.ID != 0) && api == nil {
		return res, failure.Wrap(failure.Auth, fmt.Errorf("uninstall: removing the registration of %q needs API credentials: set --access-token-file, RUNNERCTL_ACCESS_TOKEN or GITHUB_TOKEN", res.Name))
	}

	// 1. The service: stop, remove, and the .service marker with it.
	if svcName != "" {
		if err := svc.Uninstall(svcName); err != nil {
			return res, failure.Wrap(failure.Service, err)
		}
	}
	if err := os.Remove(filepath.Join(dir, runner.ServiceMarker)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return res, fmt.Errorf("uninstall: %w", err)
	}

	// 2. The registration.
	if settings != nil || rec.ID != 0 {
		ex := runner.Exec{Dir: dir, User: serviceUser(user), Log: log}
		ex.AllowRoot = ex.User == ""
		if settings == nil {
			// .runner is gone (an ephemeral runner after its job, or a
			// crash): the registration may still be there.
			if err := api.DeleteRunner(ctx, rec.ID); err != nil && !errors.Is(err, github.ErrNotFound) {
				return res, fmt.Errorf("uninstall: delete runner %d: %w", rec.ID, err)
			}
		} else if err := deregister(ctx, api, ex, res.ID, red, log); err != nil {
			return res, err
		}
		res.Deregistered = true
		log.Info("runner registration removed", "name", res.Name, "id", res.ID)
	}

	// 3. Files, index, user.
	indexedUser := ""
	if entries, err := ReadIndex(o.IndexDir); err == nil {
		for _, e := range entries {
			if e.Dir == dir {
				indexedUser = e.User
			}
		}
	}
	if !o.KeepFiles {
		if err := os.RemoveAll(dir); err != nil {
			return res, fmt.Errorf("uninstall: remove %s: %w", dir, err)
		}
		res.FilesRemoved = true
		log.Info("runner directory removed", "dir", dir)
	} else if st != nil {
		st.Runner = nil
		if err := WriteState(dir, *st); err != nil {
			return res, err
		}
	}
	if err := indexRemove(o.IndexDir, dir); err != nil {
		return res, err
	}
	if err := removeUnusedBinary(o.IndexDir, log); err != nil {
		log.Warn("could not remove the runnerctl copy install placed for the services", "err", err)
	}
	if !o.KeepFiles {
		if removed, err := removeUnusedUser(o.IndexDir, indexedUser, log); err != nil {
			log.Warn("could not remove the runner user install created", "user", indexedUser, "err", err)
		} else {
			res.UserRemoved = removed
		}
	}
	return res, nil
}

// removeUnusedBinary removes the runnerctl copy install placed for the
// services (BinaryRecord.Placed) once no runner is left: uninstall leaves
// nothing install made. One the operator put there is left alone.
func removeUnusedBinary(indexDir string, log *slog.Logger) error {
	ix, err := readIndex(indexDir)
	if err != nil || len(ix.Runners) > 0 || ix.Runnerctl == nil {
		return err
	}
	rec := *ix.Runnerctl
	if rec.Placed {
		if err := os.Remove(rec.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		log.Info("removed the runnerctl copy the services ran: no runner is left", "path", rec.Path)
	}
	return updateIndex(indexDir, func(ix *index) { ix.Runnerctl = nil })
}

// removeUnusedUser removes user when runnerctl created it (the host
// index's CreatedUsers, root's record, not the runner directory's) and no
// runner left in the index runs as it; it returns the user removed.
func removeUnusedUser(indexDir, user string, log *slog.Logger) (string, error) {
	ix, err := readIndex(indexDir)
	if err != nil || user == "" || user == "root" || !slices.Contains(ix.CreatedUsers, user) {
		return "", err
	}
	if slices.ContainsFunc(ix.Runners, func(e IndexEntry) bool { return e.User == user }) {
		return "", nil
	}
	if err := platform.DeleteUser(user); err != nil {
		return "", err
	}
	log.Info("runner user removed", "user", user)
	return user, updateIndex(indexDir, func(ix *index) {
		ix.CreatedUsers = slices.DeleteFunc(ix.CreatedUsers, func(u string) bool { return u == user })
	})
}

// Dirs returns dir, or with all every directory in the host index.
func Dirs(dir string, all bool, indexDir string) ([]string, error) {
	if !all {
		return []string{dir}, nil
	}
	entries, err := ReadIndex(indexDir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Dir)
	}
	return out, nil
}
