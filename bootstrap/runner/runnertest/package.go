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

//go:embed layout
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
	Path     string // the .tar.gz
	Filename string // actions-runner-<os>-<arch>-<version>.tar.gz
	SHA256   string
	Version  string
}

// Build builds the fake package into outDir. It needs the go tool and must
// run inside this module (tests and scripts/demo do).
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
	if osName == "" || arch == "" || osName == "win" {
		return Package{}, fmt.Errorf("runnertest: no fake package for %s/%s", o.GOOS, o.GOARCH)
	}
	stage, err := os.MkdirTemp(outDir, "layout-")
	if err != nil {
		return Package{}, fmt.Errorf("runnertest: %w", err)
	}
	defer os.RemoveAll(stage)
	if err := writeLayout(stage); err != nil {
		return Package{}, err
	}
	if len(o.MissingLibs) > 0 {
		if err := os.WriteFile(filepath.Join(stage, "bin", ".fake-missing-libs"), []byte(strings.Join(o.MissingLibs, "\n")+"\n"), 0o644); err != nil {
			return Package{}, fmt.Errorf("runnertest: %w", err)
		}
	}
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w -X main.version="+o.Version,
		"-o", filepath.Join(stage, "bin", "Runner.Listener"), "github.com/runnerctl/runnerctl/bootstrap/runner/runnertest/fakelistener")
	build.Env = append(os.Environ(), "GOOS="+o.GOOS, "GOARCH="+o.GOARCH, "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return Package{}, fmt.Errorf("runnertest: build the fake listener: %w\n%s", err, out)
	}
	// bin/Runner.Worker is the same program: it runs as the worker when
	// started under that name.
	lb, err := os.ReadFile(filepath.Join(stage, "bin", "Runner.Listener"))
	if err != nil {
		return Package{}, fmt.Errorf("runnertest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(stage, "bin", "Runner.Worker"), lb, 0o755); err != nil {
		return Package{}, fmt.Errorf("runnertest: %w", err)
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
	sum, err := hashFile(path)
	if err != nil {
		return Package{}, err
	}
	return Package{Path: path, Filename: name, SHA256: sum, Version: o.Version}, nil
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
func RequestUpdate(dir string, pkg Package) error {
	if pkg.Version == "" {
		return fmt.Errorf("runnertest: request update: no version")
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
