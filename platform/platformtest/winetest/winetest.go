// Package winetest runs Windows binaries under Wine for tests on Linux:
// a fresh Wine prefix per New (its own wineserver, so prefixes made in
// parallel never share state), Go cross-builds (BuildExe), commands run
// through wine64 (Command) and a console host that can send Ctrl-C to
// what it runs (Console), as a Windows service does to its child on stop
// (Ctrl-Break cannot be sent: Wine 8 propagates only Ctrl-C).
//
// Wine 8 has no bcryptprimitives.dll, which every Go ≥ 1.22 Windows binary
// needs at start-up (ProcessPrng): New builds a stand-in from
// dll/bcryptprimitives.c (a C file cannot sit beside Go files without
// cgo) with mingw-w64 and puts it in the prefix's system32.
//
// Without Wine (wine64) or mingw-w64 (x86_64-w64-mingw32-gcc) the test is
// skipped, unless the environment variable CI is set: CI installs them
// (apt: wine64 wine gcc-mingw-w64-x86-64), so there their absence fails
// the test. Every step is bounded by a timeout, so a hung Wine fails the
// test instead of hanging the run.
//
// Known limits of Wine 8 with Go 1.26 binaries: os.RemoveAll of a
// non-empty tree fails ("Invalid function"), so a Windows program under
// test should not rely on it, and directories it wrote into are cleaned
// from the Linux side (t.TempDir does that); exit codes above 255 are cut
// to their low byte by wine64's Unix exit status; Wine's default console
// handler ends a program on Ctrl-C with exit code 0, not
// STATUS_CONTROL_C_EXIT as Windows does.
//
// Never linked into runnerctl.
package winetest

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

//go:embed dll/bcryptprimitives.c
var bcryptSource []byte

// Timeouts of the harness's own steps.
const (
	bootTimeout   = 3 * time.Minute // wineboot --init: 5-8 s on an idle machine
	toolTimeout   = time.Minute     // mingw, wineserver -p/-k/-w
	buildTimeout  = 5 * time.Minute // go build of a Windows binary (cold cache: ~20 s)
	waitDelay     = 10 * time.Second
	serverLinger  = 600 // seconds the wineserver stays up with no client (-p)
	mingwCompiler = "x86_64-w64-mingw32-gcc"
)

// Prefix is a Wine prefix made for one test, with its wineserver running.
type Prefix struct {
	// Dir is the prefix (WINEPREFIX).
	Dir string

	wine, server string
	env          []string
	tmp          string // the test's temp dir the prefix lives in

	hostOnce sync.Once
	host     string // consolehost.exe, built on first use
}

// tools finds wine64, wineserver and mingw-w64's gcc; it returns why not.
func tools() (wine, server, gcc, missing string) {
	if runtime.GOOS != "linux" {
		return "", "", "", "Wine tests run on Linux only"
	}
	for _, w := range []string{"/usr/lib/wine/wine64", "wine64"} {
		if p, err := exec.LookPath(w); err == nil {
			wine = p
			break
		}
	}
	if wine == "" {
		return "", "", "", "no wine64 (/usr/lib/wine/wine64 or on PATH; apt-get install wine64 wine)"
	}
	server = filepath.Join(filepath.Dir(wine), "wineserver")
	if _, err := os.Stat(server); err != nil {
		p, err := exec.LookPath("wineserver")
		if err != nil {
			return "", "", "", "no wineserver beside " + wine + " or on PATH"
		}
		server = p
	}
	gcc, err := exec.LookPath(mingwCompiler)
	if err != nil {
		return "", "", "", "no " + mingwCompiler + " (apt-get install gcc-mingw-w64-x86-64) to build the bcryptprimitives.dll Go needs under Wine"
	}
	return wine, server, gcc, ""
}

// unavailable skips the test, or fails it under CI, where the tools are
// installed on purpose.
func unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") != "" && runtime.GOOS == "linux" {
		t.Fatalf("winetest: %s (CI is set: CI installs Wine and mingw-w64)", why)
	}
	t.Skipf("skipped: %s", why)
}

// New makes a fresh Wine prefix in a temporary directory, starts its
// wineserver (killed, and waited for, at the test's cleanup), runs
// wineboot --init and installs the bcryptprimitives.dll stand-in. It
// takes 5-10 s and about 700 MB of disk.
func New(t testing.TB) *Prefix {
	t.Helper()
	wine, server, gcc, missing := tools()
	if missing != "" {
		unavailable(t, missing)
	}
	tmp := t.TempDir()
	p := &Prefix{Dir: filepath.Join(tmp, "prefix"), wine: wine, server: server, tmp: tmp}
	p.env = environ(p.Dir)
	if err := os.Mkdir(p.Dir, 0o700); err != nil {
		t.Fatalf("winetest: %v", err)
	}
	// Persistent, so separate wine64 runs share one server (and its
	// services) instead of each booting one. Cleanups run last-in first-out:
	// the server is gone before t.TempDir removes the prefix.
	if err := p.tool(toolTimeout, "wineserver.log", server, fmt.Sprintf("-p%d", serverLinger)); err != nil {
		t.Fatalf("winetest: start the wineserver: %v", err)
	}
	t.Cleanup(func() {
		// -k fails when no server runs any more (it lingers 600 s idle):
		// only -w, which returns once none runs, says whether one is left.
		if err := p.tool(toolTimeout, "wineserver-kill.log", server, "-k"); err != nil {
			t.Logf("winetest: %v", err)
		}
		if err := p.tool(toolTimeout, "wineserver-wait.log", server, "-w"); err != nil {
			t.Errorf("winetest: wineserver -w: %v", err)
		}
	})
	start := time.Now()
	if err := p.tool(bootTimeout, "wineboot.log", wine, "wineboot", "--init"); err != nil {
		t.Fatalf("winetest: wineboot --init: %v", err)
	}
	// The first boot of a new prefix leaves two services.exe running (seen
	// with Wine 8): a service one creates is then found by one and not by
	// the other, request by request. The prefix is booted once more on a
	// fresh server, which starts one.
	for _, step := range [][]string{{server, "-k"}, {server, "-w"}, {server, fmt.Sprintf("-p%d", serverLinger)}, {wine, "wineboot"}} {
		if err := p.tool(bootTimeout, "reboot.log", step[0], step[1:]...); err != nil {
			t.Fatalf("winetest: reboot the prefix: %v", err)
		}
	}
	dll := filepath.Join(p.DriveC(), "windows", "system32", "bcryptprimitives.dll")
	src := filepath.Join(tmp, "bcryptprimitives.c")
	if err := os.WriteFile(src, bcryptSource, 0o644); err != nil {
		t.Fatalf("winetest: %v", err)
	}
	if err := p.tool(toolTimeout, "mingw.log", gcc, "-shared", "-O2", "-o", dll, src, "-ladvapi32"); err != nil {
		t.Fatalf("winetest: build bcryptprimitives.dll: %v", err)
	}
	t.Logf("winetest: prefix %s ready in %v", p.Dir, time.Since(start).Round(10*time.Millisecond))
	return p
}

// environ is this process's environment for Wine: the prefix, no debug
// output, no display (nothing opens a window), and no Mono/Gecko install
// prompt at wineboot (mscoree and mshtml disabled).
func environ(prefix string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "WINEPREFIX", "WINEDEBUG", "WINEDLLOVERRIDES", "WINESERVER", "WINELOADER", "WINEARCH", "DISPLAY", "WAYLAND_DISPLAY":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "WINEPREFIX="+prefix, "WINEDEBUG=-all", "WINEDLLOVERRIDES=mscoree,mshtml=")
}

// tool runs a harness step with its output in a log file beside the
// prefix: a file, not a pipe, because what Wine starts in the background
// (the wineserver, services.exe…) inherits it and would keep a pipe open.
func (p *Prefix) tool(timeout time.Duration, logName, name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	logPath := filepath.Join(p.tmp, logName)
	log, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = log, log
	cmd.WaitDelay = waitDelay
	if err := cmd.Run(); err != nil {
		out, _ := os.ReadFile(logPath)
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (timed out after %v)", err, timeout)
		}
		return fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return nil
}

// Command runs `wine64 exe args...` in the prefix, with WINEDEBUG=-all.
// exe is a Linux path to a Windows binary or a program Wine knows
// ("cmd.exe"). Cancelling ctx kills it; its exit code is the Windows
// process's, cut to 8 bits. WaitDelay is set so that a background Wine
// process holding an output pipe cannot make Wait hang.
func (p *Prefix) Command(ctx context.Context, exe string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, p.wine, append([]string{exe}, args...)...)
	cmd.Env = append([]string{}, p.env...)
	cmd.WaitDelay = waitDelay
	return cmd
}

// WinPath is the Windows path of an absolute Linux path, through Wine's
// Z: drive (the Linux root): /tmp/x → Z:\tmp\x.
func (p *Prefix) WinPath(linuxPath string) string {
	abs, err := filepath.Abs(linuxPath)
	if err != nil {
		abs = linuxPath
	}
	return `Z:` + strings.ReplaceAll(abs, "/", `\`)
}

// DriveC is the Linux path of the prefix's C:\.
func (p *Prefix) DriveC() string { return filepath.Join(p.Dir, "drive_c") }

// BuildExe cross-builds the Go main package pkg (an import path, or a
// directory such as ./testdata/prog) for windows/amd64 into out.
func BuildExe(t testing.TB, pkg, out string) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		unavailable(t, "the go tool is not on PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("winetest: go build %s for windows/amd64: %v\n%s", pkg, err, b)
	}
}
