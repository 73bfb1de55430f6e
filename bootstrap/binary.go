package bootstrap

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/platform"
)

// binaryPlan is where the runnerctl that services run lives.
type binaryPlan struct {
	Path string
	// Placed: install copied itself to Path (now or before).
	Placed bool
	// Created: Path did not exist before this install; Replaced: it held
	// another runnerctl, which services still running run until restarted.
	Created, Replaced bool
	// Prev is the trusted store's record before this install.
	Prev *BinaryRecord
}

// planBinary decides which runnerctl the services run (design.md step 8:
// never wherever the operator happened to start it: /tmp is emptied at
// boot, /root is closed to the service user) and checks, before anything
// is registered, that it can be there: exe runs in place when it is in a
// stable, root-owned place (platform.StableExecutable) and binDir is not
// given; otherwise it is copied to binDir (default
// platform.DefaultBinDir()), which must be a directory only root can
// change (root runs the service's runnerctl: SysV, Windows) and that the
// service user can reach. The trusted store says where the services ran
// it before. placeBinary then puts it there.
func planBinary(exe, binDir, user string, st Store, log *slog.Logger) (binaryPlan, error) {
	d, err := st.read()
	if err != nil {
		return binaryPlan{}, err
	}
	prev := d.Runnerctl
	target, flag := exe, "--bin-dir"
	if binDir != "" || !platform.StableExecutable(exe) {
		if binDir == "" {
			binDir, flag = platform.DefaultBinDir(), "the default --bin-dir"
		}
		abs, err := filepath.Abs(filepath.Join(binDir, platform.ExecutableName()))
		if err != nil {
			return binaryPlan{}, failure.Wrap(failure.Usage, fmt.Errorf("--bin-dir %q: %w", binDir, err))
		}
		target = abs
		if err := platform.CheckRootOnly(filepath.Dir(target)); err != nil {
			return binaryPlan{}, failure.Wrap(failure.Usage, fmt.Errorf("install: %s %s: %w: the service runs the runnerctl there (as root on SysV and Windows); give --bin-dir a directory only root can change", flag, binDir, err))
		}
		if platform.Temporary(target) {
			log.Warn("--bin-dir is a temporary directory: the service will not find runnerctl after a reboot", "bin_dir", binDir)
		}
	}
	if user != "" {
		if err := platform.CheckReachable(target, user); err != nil {
			return binaryPlan{}, failure.Wrap(failure.Usage, fmt.Errorf("install: the service user cannot reach runnerctl at %s: %w: give --bin-dir a directory it can reach", target, err))
		}
	}
	return binaryPlan{Path: target, Placed: prev != nil && prev.Placed && prev.Path == target, Prev: prev}, nil
}

// placeBinary puts the runnerctl at exe where plan says, replacing an
// older copy atomically (a running service keeps the old file until it
// restarts), and checks that user can run it.
func placeBinary(plan *binaryPlan, exe, user string, log *slog.Logger) error {
	if plan.Path != exe {
		same, existed, err := sameFile(exe, plan.Path)
		if err != nil {
			return fmt.Errorf("install: compare %s with %s: %w", exe, plan.Path, err)
		}
		if !same {
			if err := copyBinary(exe, plan.Path); err != nil {
				return fmt.Errorf("install: place runnerctl at %s for the service (or give --bin-dir DIR): %w", plan.Path, err)
			}
			plan.Created, plan.Replaced = !existed, existed
			log.Info("runnerctl placed for the service", "path", plan.Path, "from", exe, "replaced", existed)
		}
		// A file that was there and is not on record was put there by the
		// operator: it stays theirs (uninstall leaves it).
		plan.Placed = plan.Placed || !existed
	}
	if user != "" {
		if err := platform.CheckExecutable(plan.Path, user); err != nil {
			return failure.Wrap(failure.Usage, fmt.Errorf("install: the service user cannot run runnerctl: %w: give --bin-dir a directory it can reach", err))
		}
	}
	return nil
}

// sameFile reports whether b exists with a's content, as copyBinary
// leaves it: a regular file (not a link), root's where we are root, mode
// 0755. Anything else is replaced, even with the same bytes.
func sameFile(a, b string) (same, existed bool, err error) {
	fi, err := os.Lstat(b)
	if errors.Is(err, fs.ErrNotExist) {
		return false, false, nil
	}
	if err != nil {
		return false, true, err
	}
	if fi.Mode().Perm() != 0o755 || !fi.Mode().IsRegular() || !platform.OwnedByUs(fi) {
		return false, true, nil
	}
	hb, err := fileSum(b)
	if err != nil {
		return false, true, err
	}
	ha, err := fileSum(a)
	if err != nil {
		return false, true, err
	}
	return bytes.Equal(ha, hb), true, nil
}

func fileSum(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// copyBinary installs a copy of src at dst, mode 0755, atomically: a
// running service keeps the old file until it is restarted.
func copyBinary(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return platform.WriteFileAtomic(dst, 0o755, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}
