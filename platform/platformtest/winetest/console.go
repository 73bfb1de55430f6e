package winetest

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/runnerctl/runnerctl/platform/platformtest"
)

// consoleHostPkg is the console host's import path (built per prefix).
const consoleHostPkg = "github.com/runnerctl/runnerctl/platform/platformtest/winetest/consolehost"

// Console is a Windows program run under Wine in a console of its own,
// through the harness's console host, so a test can stop it as a Windows
// service stops its child: Ctrl-C, sent to the processes on that console
// (the program's children too). Ctrl-Break (the service's OS-shutdown
// signal) cannot be tested: Wine 8 implements only Ctrl-C propagation.
// Set Dir, Env… on the embedded Cmd, then Start and Wait it; its exit
// code is the program's, its stdout and stderr are collected in Output.
type Console struct {
	*exec.Cmd
	ctl io.WriteCloser
	out platformtest.Buffer
}

// Output is what the program (and the host) wrote so far.
func (c *Console) Output() string { return c.out.String() }

// Console prepares `exe args...` (a Linux or Windows path) to run under
// the console host. The host is built on first use (a go build).
func (p *Prefix) Console(t testing.TB, ctx context.Context, exe string, args ...string) *Console {
	t.Helper()
	p.hostOnce.Do(func() {
		host := filepath.Join(p.tmp, "consolehost.exe")
		BuildExe(t, consoleHostPkg, host)
		p.host = host
	})
	if p.host == "" {
		t.Fatal("winetest: the console host was not built")
	}
	cmd := p.Command(ctx, p.host, append([]string{exe}, args...)...)
	ctl, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("winetest: %v", err)
	}
	c := &Console{Cmd: cmd, ctl: ctl}
	cmd.Stdout, cmd.Stderr = &c.out, &c.out
	return c
}

// CtrlC sends CTRL_C_EVENT to the program's console (os.Interrupt in Go).
func (c *Console) CtrlC() error {
	if _, err := fmt.Fprintln(c.ctl, "ctrl-c"); err != nil {
		return fmt.Errorf("winetest: send ctrl-c: %w", err)
	}
	return nil
}
