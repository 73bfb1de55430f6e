package bootstrap

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/runnerctl/runnerctl/bootstrap/runner"
	"github.com/runnerctl/runnerctl/platform"
)

// The files root writes into an installed runner directory (.env,
// .service): the directory is the runner user's, so every job's. They are
// written without following links (platform.WriteInDir) and given to
// that user.

// owner is the uid and gid the runner user's files get; -1, -1 (leave
// them as they are) when the runner runs as root, as ourselves, or on
// Windows (ACLs).
func owner(user string) (uid, gid int, err error) {
	if user == "" || !platform.Privileged() || !platform.RunsAsUser() {
		return -1, -1, nil
	}
	a, err := platform.LookupAccount(user)
	if err != nil {
		return -1, -1, err
	}
	return int(a.UID), int(a.GID), nil
}

// writeRunnerFile writes name in the runner directory dir as user's
// file. Something a job planted in its place (a link, a FIFO) is removed
// (unlinked, not followed), reported, and replaced.
func writeRunnerFile(dir, name, user string, data []byte, perm os.FileMode, log *slog.Logger) error {
	uid, gid, err := owner(user)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	err = platform.WriteInDir(dir, name, data, perm, uid, gid)
	if errors.Is(err, platform.ErrNotRegular) {
		p := filepath.Join(dir, name)
		log.Warn("the runner directory holds something other than a file where runnerctl writes: a job may have planted it; it is replaced, not followed", "path", p, "err", err)
		if err = os.Remove(p); err == nil {
			err = platform.WriteInDir(dir, name, data, perm, uid, gid)
		}
	}
	return err
}

// readEnv reads the installed runner's .env for a merge; a .env that is
// not a regular file (a job's link) counts as empty: it is replaced.
func readEnv(dir string, log *slog.Logger) (string, error) {
	b, _, err := platform.ReadInDir(dir, runner.EnvFile, 1<<20)
	if errors.Is(err, platform.ErrNotRegular) {
		log.Warn("the runner's .env is not a regular file: a job may have planted it; it is replaced, not read", "dir", dir, "err", err)
		return "", nil
	}
	return string(b), err
}
