package runnertest

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// layout is the Linux/macOS package's scripts, winlayout the Windows
// package's (config.cmd, run.cmd, run-helper.cmd.template).
//
//go:embed layout winlayout
var layout embed.FS

// Options choose the package to build.
type Options struct {
	// Version is the runner version (default 2.336.0).
	Version string
	// GOOS and GOARCH of the listener (default: this host's).
	GOOS, GOARCH string
	// MissingLibs are the libraries config.sh's dependency check finds
	// missing (bin/.fake-missing-libs), e.g. "liblttng-ust.so.0" (ldd of
	// bin/libcoreclr.so says "not found": "Dependencies is missing for
	// Dotnet Core 6.0") or "libicu" ("Libicu's dependencies is missing
	// for Dotnet Core 6.0"); both exit 1 and name
	// bin/installdependencies.sh, which (as root) clears the list.
	MissingLibs []string
}

// Package is a built fake runner package.
type Package struct {
	Path     string // the .tar.gz (the .zip for Windows)
	Filename string // actions-runner-<os>-<arch>-<version>.tar.gz (.zip)
	SHA256   string
	Version  string
}

// Build builds the fake package into outDir. It needs the go tool and must
// run inside this module (tests and scripts/demo do). The Windows package
// (GOOS windows) is a .zip made with the zip tool, as the real one, with
// config.cmd, run.cmd and run-helper.cmd.template, bin\Runner.Listener.exe
// and bin\Runner.Worker.exe; no shell script, and no self-update.
func Build(ctx context.Context, outDir string, o Options) (Package, error) {
	if o.Version == "" {
		o.Version = "2.336.0"
	}
	if o.GOOS == "" {
		o.GOOS = runtime.GOOS
	}
	if o.GOARCH == "" {
		o.GOARCH = runtime.GOARCH
	}
	osName := map[string]string{"linux": "linux", "darwin": "osx", "windows": "win"}[o.GOOS]
	arch := map[string]string{"amd64": "x64", "arm64": "arm64", "arm": "arm"}[o.GOARCH]
	if osName == "" || arch == "" || (osName == "win" && arch == "arm") {
		return Package{}, fmt.Errorf("runnertest: no fake package for %s/%s", o.GOOS, o.GOARCH)
	}
	win := osName == "win"
	if win && len(o.MissingLibs) > 0 {
		return Package{}, fmt.Errorf("runnertest: MissingLibs is config.sh's Linux dependency check: the Windows package has none")
	}
	stage, err := os.MkdirTemp(outDir, "layout-")
	if err != nil {
		return Package{}, fmt.Errorf("runnertest: %w", err)
	}
	defer os.RemoveAll(stage)
	if win {
		err = writeWinLayout(stage)
	} else {
		err = writeLayout(stage)
	}
	if err != nil {
		return Package{}, err
	}
	if len(o.MissingLibs) > 0 {
		if err := os.WriteFile(filepath.Join(stage, "bin", ".fake-missing-libs"), []byte(strings.Join(o.MissingLibs, "\n")+"\n"), 0o644); err != nil {
			return Package{}, fmt.Errorf("runnertest: %w", err)
		}
	}
	exe := ""
	if win {
		exe = ".exe"
	}
	listener := filepath.Join(stage, "bin", "Runner.Listener"+exe)
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w -X main.version="+o.Version,
		"-o", listener, "github.com/runnerctl/runnerctl/bootstrap/runner/runnertest/fakelistener")
	build.Env = append(os.Environ(), "GOOS="+o.GOOS, "GOARCH="+o.GOARCH, "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return Package{}, fmt.Errorf("runnertest: build the fake listener: %w\n%s", err, out)
	}
	// bin/Runner.Worker is the same program: it runs as the worker when
	// started under that name.
	lb, err := os.ReadFile(listener)
	if err != nil {
		return Package{}, fmt.Errorf("runnertest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(stage, "bin", "Runner.Worker"+exe), lb, 0o755); err != nil {
		return Package{}, fmt.Errorf("runnertest: %w", err)
	}
	if win {
		return packWin(ctx, stage, outDir, fmt.Sprintf("actions-runner-%s-%s-%s.zip", osName, arch, o.Version), o.Version)
	}
	// externals/ holds a Node distribution with in-tree symlinks, as the real one.
	node := filepath.Join(stage, "externals", "node20")
	if err := os.MkdirAll(filepath.Join(node, "lib", "node_modules", "npm", "bin"), 0o755); err != nil {
		return Package{}, fmt.Errorf("runnertest: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(node, "bin"), 0o755); err != nil {
		return Package{}, fmt.Errorf("runnertest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(node, "bin", "node"), []byte("#!/bin/sh\necho v20.20.2\n"), 0o755); err != nil {
		return Package{}, fmt.Errorf("runnertest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(node, "lib", "node_modules", "npm", "bin", "npm-cli.js"), []byte("// npm\n"), 0o644); err != nil {
		return Package{}, fmt.Errorf("runnertest: %w", err)
	}
	if err := os.Symlink("../lib/node_modules/npm/bin/npm-cli.js", filepath.Join(node, "bin", "npm")); err != nil {
		return Package{}, fmt.Errorf("runnertest: %w", err)
	}
	name := fmt.Sprintf("actions-runner-%s-%s-%s.tar.gz", osName, arch, o.Version)
	path := filepath.Join(outDir, name)
	// The release packages are made with `tar -czf NAME -C _layout .`.
	tar := exec.CommandContext(ctx, "tar", "-czf", path, "-C", stage, ".")
	if out, err := tar.CombinedOutput(); err != nil {
		return Package{}, fmt.Errorf("runnertest: tar: %w\n%s", err, out)
	}
	return finish(path, name, o.Version)
}

func finish(path, name, version string) (Package, error) {
	sum, err := hashFile(path)
	if err != nil {
		return Package{}, err
	}
	return Package{Path: path, Filename: name, SHA256: sum, Version: version}, nil
}

// packWin adds the Windows package's Node stand-in (externals\node20\
// node.exe, the real one's place; not runnable) and zips the stage with
// the zip tool, entries relative to the root as in the release zips (no
// top-level folder, no extra attributes: -X).
func packWin(ctx context.Context, stage, outDir, name, version string) (Package, error) {
	node := filepath.Join(stage, "externals", "node20")
	if err := os.MkdirAll(node, 0o755); err != nil {
		return Package{}, fmt.Errorf("runnertest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(node, "node.exe"), []byte("fake node.exe v20.20.2 (runnertest; not a program)\r\n"), 0o644); err != nil {
		return Package{}, fmt.Errorf("runnertest: %w", err)
	}
	path, err := filepath.Abs(filepath.Join(outDir, name))
	if err != nil {
		return Package{}, fmt.Errorf("runnertest: %w", err)
	}
	zip := exec.CommandContext(ctx, "zip", "-qrX", path, ".")
	zip.Dir = stage
	if out, err := zip.CombinedOutput(); err != nil {
		return Package{}, fmt.Errorf("runnertest: zip (the Windows package needs the zip tool): %w\n%s", err, out)
	}
	return finish(path, name, version)
}

// writeLayout copies the embedded scripts with their modes: every script
// and template is executable, as in the real package.
func writeLayout(dst string) error {
	return fs.WalkDir(layout, "layout", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, "layout"), "/")
		target := filepath.Join(dst, filepath.FromSlash(rel))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := layout.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(target, b, 0o755); err != nil {
			return err
		}
		return os.Chmod(target, 0o755)
	})
}

// writeWinLayout writes the Windows scripts with CRLF line ends, as a
// Windows checkout of actions/runner has them (text=auto), and makes bin.
func writeWinLayout(dst string) error {
	ents, err := layout.ReadDir("winlayout")
	if err != nil {
		return fmt.Errorf("runnertest: %w", err)
	}
	for _, e := range ents {
		b, err := layout.ReadFile("winlayout/" + e.Name())
		if err != nil {
			return fmt.Errorf("runnertest: %w", err)
		}
		crlf := strings.ReplaceAll(string(b), "\n", "\r\n")
		if err := os.WriteFile(filepath.Join(dst, e.Name()), []byte(crlf), 0o644); err != nil {
			return fmt.Errorf("runnertest: %w", err)
		}
	}
	if err := os.Mkdir(filepath.Join(dst, "bin"), 0o755); err != nil {
		return fmt.Errorf("runnertest: %w", err)
	}
	return nil
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("runnertest: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("runnertest: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// UpdateRequestFile is where, under the runner directory, RequestUpdate
// writes its request (the fake's stand-in for the server's RunnerRefresh
// message).
const UpdateRequestFile = "_diag/.fake-update-to"

// UpdatePauseFile, under the runner directory, makes a running _update.sh
// wait, once it has moved bin and externals away, until the file is
// removed: the window in which killing the script leaves no bin/.
const UpdatePauseFile = "_diag/.fake-update-pause"

// RequestUpdate asks the listener running (or next run) in the runner
// directory dir to update itself to pkg at its next poll, as the real one
// does on RunnerRefresh: it stages bin.<version> and externals.<version>,
// starts _work/_update.sh and exits 3 (4 when run once); the script waits
// for the listener to exit, swaps bin and externals (symlinks) and touches
// update.finished in its cwd. A zero pkg.Path updates to a copy of the
// running package reporting pkg.Version.
//
// The Windows package cannot update itself (its real updater is
// bin\update.cmd.template, out of scope): RequestUpdate refuses a .zip
// package and a runner directory holding bin\Runner.Listener.exe.
func RequestUpdate(dir string, pkg Package) error {
	if pkg.Version == "" {
		return fmt.Errorf("runnertest: request update: no version")
	}
	if _, err := os.Stat(filepath.Join(dir, "bin", "Runner.Listener.exe")); err == nil || strings.HasSuffix(pkg.Filename, ".zip") || strings.HasSuffix(pkg.Path, ".zip") {
		return fmt.Errorf("runnertest: request update: the fake Windows package does not update itself (no update.cmd)")
	}
	body := pkg.Version + "\n" + pkg.Path + "\n" + pkg.SHA256 + "\n"
	p := filepath.Join(dir, filepath.FromSlash(UpdateRequestFile))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("runnertest: request update: %w", err)
	}
	// Written aside and renamed, so the listener never reads half of it.
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
		return fmt.Errorf("runnertest: request update: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("runnertest: request update: %w", err)
	}
	return nil
}

// JobSecondsFile, under the runner directory, holds how long a job's step
// (a sleep run by bin/Runner.Worker) lasts, in seconds (default 0.3).
const JobSecondsFile = "_diag/.fake-job-seconds"

// CancelSecondsFile, under the runner directory, holds how long the
// worker takes to cancel a job once asked (default 2): a graceful stop of
// the listener during a job lasts that long.
const CancelSecondsFile = "_diag/.fake-cancel-seconds"

// SetKnob writes a knob file (JobSecondsFile, CancelSecondsFile,
// UpdatePauseFile…) under the runner directory dir.
func SetKnob(dir, knob, value string) error {
	p := filepath.Join(dir, filepath.FromSlash(knob))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("runnertest: set %s: %w", knob, err)
	}
	if err := os.WriteFile(p, []byte(value), 0o644); err != nil {
		return fmt.Errorf("runnertest: set %s: %w", knob, err)
	}
	return nil
}

// DumpEnvFile, under the runner directory, lists variable names (one a
// line) whose values the listener writes, quoted, to EnvDumpFile once it
// has loaded .env (test only: nothing is written unless asked).
const (
	DumpEnvFile = "_diag/.fake-dump-env"
	EnvDumpFile = "_diag/.fake-env-dump"
)
