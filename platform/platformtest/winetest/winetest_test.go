package winetest_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/platform/platformtest/winetest"
)

// A Go Windows program runs under Wine: its arguments arrive intact
// (spaces, quotes, backslashes), it sees Windows paths, and its exit code
// comes back; run under the console host, Ctrl-C reaches it as
// os.Interrupt and the host passes its exit code on.
func TestWineRunsGoProgram(t *testing.T) {
	start := time.Now()
	p := winetest.New(t)
	exe := filepath.Join(t.TempDir(), "echoargs.exe")
	winetest.BuildExe(t, "./testdata/echoargs", exe)
	t.Logf("prefix and build: %v", time.Since(start).Round(10*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	args := []string{"plain", "with space", `a "quoted" word`, `C:\dir\`, ""}
	cmd := p.Command(ctx, exe, args...)
	cmd.Env = append(cmd.Env, "ECHOARGS_EXIT=7")
	out, err := cmd.Output()
	if code := cmd.ProcessState.ExitCode(); code != 7 {
		t.Fatalf("exit code %d (%v), want 7\n%s", code, err, out)
	}
	var want strings.Builder
	for _, a := range args {
		want.WriteString("arg " + strconv.Quote(a) + "\n")
	}
	want.WriteString(`goos windows volume "Z:"` + "\n")
	if got := strings.ReplaceAll(string(out), "\r\n", "\n"); got != want.String() {
		t.Errorf("output\n%s\nwant\n%s", got, want.String())
	}

	// Through cmd.exe with a Windows path (Z:\ mapping), exit code 0.
	cmd = p.Command(ctx, "cmd.exe", "/c", p.WinPath(exe), "x")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), `arg "x"`) {
		t.Errorf("cmd /c %s: %v\n%s", p.WinPath(exe), err, out)
	}
	if !strings.HasPrefix(p.WinPath("/tmp/a/b"), `Z:\tmp\a\b`) {
		t.Errorf("WinPath(/tmp/a/b) = %q", p.WinPath("/tmp/a/b"))
	}

	c := p.Console(t, ctx, exe, "wait")
	c.Env = append(c.Env, "ECHOARGS_WAIT=1", "ECHOARGS_EXIT=5")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(c.Output(), "waiting") {
		if time.Now().After(deadline) {
			t.Fatalf("the program did not start:\n%s", c.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
	sent := time.Now()
	if err := c.CtrlC(); err != nil {
		t.Fatal(err)
	}
	err = c.Wait()
	if code := c.ProcessState.ExitCode(); code != 5 || !strings.Contains(c.Output(), "got interrupt") {
		t.Fatalf("after Ctrl-C: exit %d (%v), want 5 after \"got interrupt\"\n%s", code, err, c.Output())
	}
	t.Logf("Ctrl-C to exit: %v", time.Since(sent).Round(time.Millisecond))
}

// Prefixes made at the same time do not share a wineserver or a C:\.
func TestWinePrefixesIndependent(t *testing.T) {
	for _, name := range []string{"a", "b"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := winetest.New(t)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if out, err := p.Command(ctx, "cmd.exe", "/c", `echo x> C:\marker-`+name).CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if _, err := os.Stat(filepath.Join(p.DriveC(), "marker-"+name)); err != nil {
				t.Errorf("C:\\ is not %s: %v", p.DriveC(), err)
			}
			// Let the other prefix write its marker first, then look.
			time.Sleep(2 * time.Second)
			out, err := p.Command(ctx, "cmd.exe", "/c", `dir /b C:\marker-*`).CombinedOutput()
			if got := strings.Fields(string(out)); err != nil || len(got) != 1 || got[0] != "marker-"+name {
				t.Errorf("markers in C:\\ of prefix %s: %q (%v), want only its own", name, got, err)
			}
		})
	}
}
