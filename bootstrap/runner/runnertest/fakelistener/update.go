package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// UpdateRequestFile, under the runner root, asks the listener for a
// self-update at its next poll, as the server's RunnerRefresh message
// does: line 1 the target version, line 2 (optional) the path of that
// version's package (.tar.gz), line 3 (optional) its sha256. Without a
// package the update is made from a copy of the running one, reporting
// the target version. runnertest.RequestUpdate writes it.
const updateRequestFile = "_diag/.fake-update-to"

// updateRequest reads and consumes the update request, "" for none.
func updateRequest(root string) string {
	p := filepath.Join(root, filepath.FromSlash(updateRequestFile))
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	_ = os.Remove(p)
	if s := strings.TrimSpace(string(b)); s != "" {
		return s
	}
	return ""
}

// nextVersion is the version after v (patch + 1), the target of an
// update the server asked for with a bare exit code 3.
func nextVersion(v string) string {
	parts := strings.Split(v, ".")
	n, err := strconv.Atoi(parts[len(parts)-1])
	if err != nil {
		return v + ".1"
	}
	parts[len(parts)-1] = strconv.Itoa(n + 1)
	return strings.Join(parts, ".")
}

// selfUpdate follows SelfUpdater.cs: the package is unpacked into
// _work/_update, its bin and externals copied to bin.<new> and
// externals.<new> under the root, its top-level files copied over the
// root's, then _work/_update.sh is written from bin.<new>/update.sh.template
// and started with bash (a child in the listener's process group, not
// waited for), update.finished deleted, and the listener exits 3 (4 when
// run once). On a failed update the real listener logs and keeps running;
// the fake exits 2 (retryable) so a test sees it.
func selfUpdate(root, work, request string, once bool) int {
	if runtime.GOOS == "windows" {
		// The real one runs bin\update.cmd.template; the fake's update is
		// bash, tar and cp, so the Windows package does not update.
		fmt.Fprintf(os.Stderr, "%s: Runner update failed: the fake Windows runner does not update itself\n", stamp())
		return exitRetryable
	}
	lines := strings.Split(request, "\n")
	target := strings.TrimSpace(lines[0])
	if target == "" {
		target = nextVersion(version)
	}
	pkg, sum := "", ""
	if len(lines) > 1 {
		pkg = strings.TrimSpace(lines[1])
	}
	if len(lines) > 2 {
		sum = strings.TrimSpace(lines[2])
	}
	fmt.Printf("%s: Runner update in progress, do not shutdown runner.\n%s: Downloading %s runner\n", stamp(), stamp(), target)
	if err := stageUpdate(root, work, target, pkg, sum); err != nil {
		fmt.Fprintf(os.Stderr, "%s: Runner update failed: %v\n", stamp(), err)
		return exitRetryable
	}
	script, err := writeUpdateScript(root, work, target)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: Runner update failed: %v\n", stamp(), err)
		return exitRetryable
	}
	_ = os.Remove("update.finished")
	cmd := exec.Command("bash", script)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: Runner update failed: %v\n", stamp(), err)
		return exitRetryable
	}
	fmt.Printf("%s: Update script start running (pid %d)\n", stamp(), cmd.Process.Pid)
	_ = cmd.Process.Release()
	fmt.Printf("%s: Runner will exit shortly for update, should be back online within 10 seconds.\n", stamp())
	if once {
		return exitRunOnceUpd
	}
	return exitUpdating
}

func stageUpdate(root, work, target, pkg, sum string) error {
	upd := filepath.Join(work, "_update")
	if err := os.RemoveAll(upd); err != nil {
		return err
	}
	if err := os.MkdirAll(upd, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(upd)
	if pkg != "" {
		if sum != "" {
			got, err := sha256File(pkg)
			if err != nil {
				return err
			}
			if got != sum {
				return fmt.Errorf("the sha256 of %s is %s, not %s", pkg, got, sum)
			}
		}
		if out, err := exec.Command("tar", "-xzf", pkg, "-C", upd).CombinedOutput(); err != nil {
			return fmt.Errorf("tar: %w: %s", err, out)
		}
	} else {
		// A copy of this package standing for the target version.
		for _, d := range []string{"bin", "externals"} {
			if err := copyTree(filepath.Join(root, d), filepath.Join(upd, d)); err != nil {
				return err
			}
		}
		ents, err := os.ReadDir(root)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if e.Type().IsRegular() && (strings.HasSuffix(e.Name(), ".sh") || strings.HasSuffix(e.Name(), ".template")) {
				if err := copyTree(filepath.Join(root, e.Name()), filepath.Join(upd, e.Name())); err != nil {
					return err
				}
			}
		}
		if err := os.WriteFile(filepath.Join(upd, "bin", ".fake-version"), []byte(target+"\n"), 0o644); err != nil {
			return err
		}
	}
	for _, d := range []string{"bin", "externals"} {
		dst := filepath.Join(root, d+"."+target)
		if err := os.RemoveAll(dst); err != nil {
			return err
		}
		if err := copyTree(filepath.Join(upd, d), dst); err != nil {
			return err
		}
	}
	ents, err := os.ReadDir(upd)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		dst := filepath.Join(root, e.Name())
		_ = os.Remove(dst)
		if err := copyTree(filepath.Join(upd, e.Name()), dst); err != nil {
			return err
		}
	}
	return nil
}

func writeUpdateScript(root, work, target string) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, "bin."+target, "update.sh.template"))
	if err != nil {
		return "", err
	}
	log := filepath.Join(root, "_diag", "SelfUpdate-"+time.Now().UTC().Format("20060102-150405")+".log")
	s := strings.NewReplacer(
		"_PROCESS_ID_", strconv.Itoa(os.Getpid()),
		"_RUNNER_PROCESS_NAME_", "Runner.Listener",
		"_ROOT_FOLDER_", root,
		"_EXIST_RUNNER_VERSION_", version,
		"_DOWNLOAD_RUNNER_VERSION_", target,
		"_UPDATE_LOG_", log,
		"_RESTART_INTERACTIVE_RUNNER_", "0",
	).Replace(string(b))
	script := filepath.Join(work, "_update.sh")
	_ = os.Remove(script)
	return script, os.WriteFile(script, []byte(s), 0o644)
}

// copyTree copies a file or a directory with cp -a (modes and symlinks
// kept), as IOUtil.CopyDirectory does.
func copyTree(src, dst string) error {
	if fi, err := os.Stat(src); err == nil && fi.IsDir() {
		// bin may be a symlink to bin.<version> after an earlier update.
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return err
		}
		src += "/."
	}
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		return fmt.Errorf("cp %s: %w: %s", src, err, out)
	}
	return nil
}

func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
