package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
	"github.com/runnerctl/runnerctl/platform"
)

// Config is what `config.sh` is asked to register.
type Config struct {
	URL             string
	Name            string
	Labels          []string
	NoDefaultLabels bool
	Group           string
	Work            string
	Ephemeral       bool
	DisableUpdate   bool
	Replace         bool
}

// Args is config.sh's command line: --unattended, then "--name value"
// pairs (the parser knows no --name=value and drops values that start
// with '-'), then the flags asked for. The token is never in it. Every
// value passes CheckText first (exit 2 naming runnerctl's flag).
func (c Config) Args() ([]string, error) {
	texts := [][2]string{{"--url", c.URL}, {"--name", c.Name}, {"--runnergroup", c.Group}, {"--work", c.Work}}
	for _, l := range c.Labels {
		texts = append(texts, [2]string{"--labels", l})
	}
	for _, t := range texts {
		if err := CheckText(t[0], t[1]); err != nil {
			return nil, err
		}
	}
	args := []string{"--unattended", "--url", c.URL}
	pair := func(name, v string) error {
		if v == "" {
			return nil
		}
		if strings.HasPrefix(v, "-") {
			return failure.Wrap(failure.Usage, fmt.Errorf("--%s %q: config.sh drops values that start with '-'", name, v))
		}
		args = append(args, "--"+name, v)
		return nil
	}
	for _, l := range c.Labels {
		if strings.Contains(l, ",") || strings.TrimSpace(l) == "" || len(l) > 256 {
			return nil, failure.Wrap(failure.Usage, fmt.Errorf("--labels: %q is not a label (1-256 characters, no comma)", l))
		}
	}
	if c.NoDefaultLabels && len(c.Labels) == 0 {
		return nil, failure.Wrap(failure.Usage, errors.New("--no-default-labels needs --labels: a runner with no labels can take no job"))
	}
	for _, p := range [][2]string{{"name", c.Name}, {"labels", strings.Join(c.Labels, ",")}, {"runnergroup", c.Group}, {"work", c.Work}} {
		if err := pair(p[0], p[1]); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		on   bool
		name string
	}{{c.NoDefaultLabels, "no-default-labels"}, {c.Ephemeral, "ephemeral"}, {c.DisableUpdate, "disableupdate"}, {c.Replace, "replace"}} {
		if f.on {
			args = append(args, "--"+f.name)
		}
	}
	return args, nil
}

// Exec says how runner scripts are run.
type Exec struct {
	// Dir is the runner directory (the scripts' cwd).
	Dir string
	// User runs the scripts when runnerctl is root; "" runs them as ourselves.
	User string
	// AllowRoot sets RUNNER_ALLOW_RUNASROOT for a runner that runs as root.
	AllowRoot bool
	Log       *slog.Logger
}

// env is the scripts' environment: ours without our own credentials and
// settings, plus RUNNER_ALLOW_RUNASROOT when asked and the token input.
func (e Exec) env(token secret.Secret) []string {
	out := platform.ChildEnv("RUNNER_ALLOW_RUNASROOT")
	if e.AllowRoot {
		out = append(out, "RUNNER_ALLOW_RUNASROOT=1")
	}
	if !token.Empty() {
		out = append(out, "ACTIONS_RUNNER_INPUT_TOKEN="+token.Reveal())
	}
	return out
}

// Configure runs config.sh for c with token (a registration token). A
// non-zero exit is a RunnerConfig failure that quotes config.sh's last
// lines.
func (e Exec) Configure(ctx context.Context, c Config, token secret.Secret) error {
	args, err := c.Args()
	if err != nil {
		return err
	}
	return e.script(ctx, "register the runner", args, token)
}

// Remove runs `config.sh remove` with token (a remove token): it deletes
// the registration on the server and the local config files.
func (e Exec) Remove(ctx context.Context, token secret.Secret) error {
	return e.script(ctx, "remove the runner", []string{"remove"}, token)
}

func (e Exec) script(ctx context.Context, op string, args []string, token secret.Secret) error {
	script := filepath.Join(e.Dir, platform.ConfigScript())
	cmd := exec.CommandContext(ctx, script, args...)
	cmd.Dir = e.Dir
	cmd.Env = e.env(token)
	cmd.Stdin = nil // not a terminal: with --unattended nothing prompts
	if e.User != "" {
		if err := platform.RunAs(cmd, e.User); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	tail := &tailLog{log: e.Log, prefix: filepath.Base(script)}
	cmd.Stdout, cmd.Stderr = tail, tail
	e.Log.Info("running "+filepath.Base(script), "args", strings.Join(args, " "), "dir", e.Dir, "user", e.User)
	err := cmd.Run()
	tail.flush()
	if err == nil {
		return nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return failure.Wrap(failure.RunnerConfig, fmt.Errorf("%s: %s exited %d: %s", op, filepath.Base(script), ee.ExitCode(), tail.last()))
	}
	return fmt.Errorf("%s: start %s: %w", op, script, err)
}

// tailLog logs a script's output line by line and keeps the last lines
// for the error message.
type tailLog struct {
	mu     sync.Mutex
	log    *slog.Logger
	prefix string
	buf    []byte
	lines  []string
}

func (t *tailLog) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	for {
		i := strings.IndexByte(string(t.buf), '\n')
		if i < 0 {
			break
		}
		t.line(string(t.buf[:i]))
		t.buf = t.buf[i+1:]
	}
	return len(p), nil
}

func (t *tailLog) line(l string) {
	l = strings.TrimRight(l, "\r")
	if strings.TrimSpace(l) == "" {
		return
	}
	t.log.Info(t.prefix + ": " + l)
	t.lines = append(t.lines, strings.TrimSpace(l))
	if len(t.lines) > 3 {
		t.lines = t.lines[1:]
	}
}

func (t *tailLog) flush() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.buf) > 0 {
		t.line(string(t.buf))
		t.buf = nil
	}
}

func (t *tailLog) last() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == 0 {
		return "(no output)"
	}
	return strings.Join(t.lines, " / ")
}

var _ io.Writer = (*tailLog)(nil)
