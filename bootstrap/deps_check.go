package bootstrap

import (
	"bufio"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/platform"
)

// The runner's own dependencies (issue 11 item 2). The real config.sh
// refuses (exit 1) when `ldd` finds a "not found" in bin/libcoreclr.so,
// bin/libSystem.Security.Cryptography.Native.OpenSsl.so or
// bin/libSystem.IO.Compression.Native.so, or when the loader cache holds
// no libicu (runner-contract.md §2); .NET then dlopens libssl, zlib and
// libgssapi_krb5 at run time. Install checks the same before it
// registers, in the root-only staging tree, so the error names the
// libraries and a fix that still works (the real one points at
// bin/installdependencies.sh in a directory the rollback deletes).
//
// The check runs nothing from the package: it reads the ELF files' needed
// entries (DT_NEEDED, debug/elf) and looks them up in the loader cache
// (`ldconfig -p`), the tree's own bin/ and the loader's default
// directories; ldd would execute the loader on the package's files as
// root.

// nativeLibs are the files of bin/ config.sh runs ldd on.
var nativeLibs = []string{"libcoreclr.so", "libSystem.Security.Cryptography.Native.OpenSsl.so", "libSystem.IO.Compression.Native.so"}

// dlopened are the libraries .NET loads by name at run time: one of
// Sonames must be in the loader cache. Optional ones are reported by
// doctor, never refused.
type dlopened struct {
	Name     string   // for messages: "libicu"
	Sonames  []string // exact sonames, or prefixes ending in '.' ("libicuuc.so.")
	Optional bool
	// Packages by package manager, for the fix.
	Apt, Dnf, Zypper string
}

var runtimeLibs = []dlopened{
	{Name: "libicu", Sonames: []string{"libicuuc.so."}, Apt: "libicuNN (apt-cache search --names-only '^libicu[0-9]+$')", Dnf: "libicu", Zypper: "libicuNN"},
	{Name: "libssl", Sonames: []string{"libssl.so.3", "libssl.so.1.1", "libssl.so.1.0.", "libssl.so.10"}, Apt: "libssl3", Dnf: "openssl-libs", Zypper: "libopenssl3"},
	{Name: "zlib", Sonames: []string{"libz.so.1"}, Apt: "zlib1g", Dnf: "zlib", Zypper: "libz1"},
	{Name: "libkrb5", Sonames: []string{"libgssapi_krb5.so.2"}, Optional: true, Apt: "libkrb5-3 libgssapi-krb5-2", Dnf: "krb5-libs", Zypper: "krb5"},
	{Name: "liblttng-ust", Sonames: []string{"liblttng-ust.so.1", "liblttng-ust.so.0"}, Optional: true, Apt: "liblttng-ust1", Dnf: "lttng-ust", Zypper: "liblttng-ust1"},
}

// LibCache is the loader cache: soname → the flags of each entry
// ("libc6,x86-64").
type LibCache map[string][]string

// ParseLibCache reads `ldconfig -p` output.
func ParseLibCache(out string) LibCache {
	c := LibCache{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		name, rest, ok := strings.Cut(line, " (")
		if !ok {
			continue // the "N libs found in cache" header
		}
		flags, _, _ := strings.Cut(rest, ")")
		c[name] = append(c[name], flags)
	}
	return c
}

// has reports whether the cache holds soname for an ELF of this class
// and machine (a 64-bit x86 runner needs the x86-64 entry, not the
// i386 one of a multilib host).
func (c LibCache) has(soname string, class elf.Class, machine elf.Machine) bool {
	for _, flags := range c[soname] {
		if archMatches(flags, class, machine) {
			return true
		}
	}
	return false
}

// hasAny reports whether the cache holds one of sonames (prefixes end in
// '.') for this host's runner: any architecture's entry, as config.sh's
// grep does.
func (c LibCache) hasAny(sonames []string) bool {
	for name := range c {
		for _, s := range sonames {
			if name == s || (strings.HasSuffix(s, ".") && strings.HasPrefix(name, s)) {
				return true
			}
		}
	}
	return false
}

// archMatches compares an ldconfig flags field with an ELF's class and
// machine; an unknown combination matches (better a config.sh refusal
// than a false one of ours).
func archMatches(flags string, class elf.Class, machine elf.Machine) bool {
	tag := map[elf.Machine]string{elf.EM_X86_64: "x86-64", elf.EM_AARCH64: "AArch64", elf.EM_PPC64: "64bit", elf.EM_S390: "64bit", elf.EM_RISCV: "64bit"}[machine]
	if class == elf.ELFCLASS64 && tag != "" {
		return strings.Contains(flags, tag)
	}
	if class == elf.ELFCLASS32 {
		return !strings.Contains(flags, "x86-64") && !strings.Contains(flags, "AArch64") && !strings.Contains(flags, "64bit")
	}
	return true
}

// HostLibCache reads this host's loader cache; ok is false where the
// runner needs nothing of it (outside Linux).
func HostLibCache() (c LibCache, ok bool, err error) {
	out, ok, err := platform.LibraryCache()
	if !ok || err != nil {
		return nil, ok, err
	}
	return ParseLibCache(out), true, nil
}

// MissingLibraries returns the shared libraries the runner tree in dir
// needs that cache (the loader cache) lacks: what bin/libcoreclr.so and
// the other native files config.sh checks link against (and that neither
// the tree's bin/ nor the loader's default directories hold), then, for a
// real .NET runner (bin/libcoreclr.so present), the libraries it loads at
// run time (libicu, libssl, zlib). Optional ones (libkrb5, lttng-ust) are
// not reported. Nothing in dir is executed.
func MissingLibraries(dir string, cache LibCache) ([]string, error) {
	bin := filepath.Join(dir, "bin")
	var missing []string
	coreclr := false
	for _, name := range nativeLibs {
		path := filepath.Join(bin, name)
		f, err := elf.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("check the runner's libraries: %w", err)
		}
		coreclr = coreclr || name == "libcoreclr.so"
		needed, err := f.ImportedLibraries()
		class, machine := f.Class, f.Machine
		_ = f.Close()
		if err != nil {
			return nil, fmt.Errorf("check the runner's libraries: %s: %w", path, err)
		}
		for _, lib := range needed {
			if slices.Contains(missing, lib) || cache.has(lib, class, machine) || inDirs(lib, bin, platform.LibraryDirs()) {
				continue
			}
			missing = append(missing, lib)
		}
	}
	if coreclr {
		for _, l := range runtimeLibs {
			if !l.Optional && !cache.hasAny(l.Sonames) {
				missing = append(missing, l.Name)
			}
		}
	}
	return missing, nil
}

func inDirs(lib, first string, dirs []string) bool {
	for _, d := range append([]string{first}, dirs...) {
		if _, err := os.Stat(filepath.Join(d, lib)); err == nil {
			return true
		}
	}
	return false
}

// DependencyError says which shared libraries the runner lacks on this
// host, and how to get them.
type DependencyError struct {
	Missing []string
	// Packages is the host package manager's command that installs them
	// ("" when none is known).
	Packages string
}

func (e *DependencyError) Error() string {
	return fmt.Sprintf("the runner needs shared libraries this host lacks: %s (config.sh would refuse); %s", strings.Join(e.Missing, ", "), e.Fix())
}

// Fix says how to get the missing libraries.
func (e *DependencyError) Fix() string {
	msg := "run install with --install-dependencies (it runs the package's bin/installdependencies.sh as root before config.sh)"
	if e.Packages != "" {
		return msg + ", or install them: " + e.Packages
	}
	return msg + ", or install them with the host's package manager"
}

// packageCommand is the command that installs missing (names of
// runtimeLibs, or sonames) with the first package manager found.
func packageCommand(missing []string) string {
	for _, pm := range []struct{ tool, cmd string }{{"apt-get", "apt-get install -y"}, {"dnf", "dnf install -y"}, {"yum", "yum install -y"}, {"zypper", "zypper install -y"}} {
		if _, err := exec.LookPath(pm.tool); err != nil {
			continue
		}
		var pkgs []string
		for _, m := range missing {
			pkg := m // a soname: the package that holds it is the distribution's to say
			for _, l := range runtimeLibs {
				if l.Name == m {
					pkg = map[string]string{"apt-get": l.Apt, "dnf": l.Dnf, "yum": l.Dnf, "zypper": l.Zypper}[pm.tool]
				}
			}
			pkgs = append(pkgs, pkg)
		}
		return pm.cmd + " " + strings.Join(pkgs, " ")
	}
	return ""
}

// CheckRunnerDependencies is install's preflight for the runner's
// libraries, on the tree config.sh is about to run in (root's alone: the
// staging tree, or the pristine prepared one). With install
// (--install-dependencies) it first runs the package's
// bin/installdependencies.sh there, as root, when something is missing.
// It returns a *DependencyError (failure.Usage) naming what is still
// missing; outside Linux it does nothing.
func CheckRunnerDependencies(ctx context.Context, treeDir string, install bool, log *slog.Logger) error {
	cache, ok, err := HostLibCache()
	if !ok {
		return nil
	}
	if err != nil {
		return failure.Wrap(failure.Usage, fmt.Errorf("install: %w", err))
	}
	missing, err := MissingLibraries(treeDir, cache)
	if err != nil || len(missing) == 0 {
		return err
	}
	if install {
		log.Info("the runner's libraries are missing: running the package's bin/installdependencies.sh", "missing", strings.Join(missing, ","))
		if err := InstallDependencies(ctx, treeDir, log); err != nil {
			return err
		}
		if cache, _, err = HostLibCache(); err != nil {
			return failure.Wrap(failure.Usage, fmt.Errorf("install: %w", err))
		}
		if missing, err = MissingLibraries(treeDir, cache); err != nil || len(missing) == 0 {
			return err
		}
	}
	return failure.Wrap(failure.Usage, fmt.Errorf("install: %w", &DependencyError{Missing: missing, Packages: packageCommand(missing)}))
}

// InstallDependencies runs treeDir's bin/installdependencies.sh as root
// (cwd treeDir, the allow-listed environment): a script of the verified
// package in a tree no other user can reach yet.
func InstallDependencies(ctx context.Context, treeDir string, log *slog.Logger) error {
	script := filepath.Join(treeDir, "bin", "installdependencies.sh")
	if _, err := os.Lstat(script); err != nil {
		return failure.Wrap(failure.Usage, fmt.Errorf("install: --install-dependencies: the package has no bin/installdependencies.sh: %w", err))
	}
	cmd := exec.CommandContext(ctx, script)
	cmd.Dir, cmd.Env, cmd.Stdin = treeDir, platform.ChildEnv(), nil
	out, err := cmd.CombinedOutput()
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		log.Debug("installdependencies.sh", "line", line)
	}
	if err != nil {
		tail := string(out)
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return failure.Wrap(failure.Usage, fmt.Errorf("install: --install-dependencies: bin/installdependencies.sh: %w: %s", err, strings.TrimSpace(tail)))
	}
	log.Info("installed the runner's dependencies (bin/installdependencies.sh)")
	return nil
}
