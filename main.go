// Command runnerctl turns a host into a registered, running GitHub Actions
// self-hosted runner and removes it cleanly. This file maps flags (also
// from RUNNERCTL_* and a YAML --config file) onto the option structs of
// package bootstrap and maps errors onto the documented exit codes; the
// work is done in bootstrap.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"

	"github.com/runnerctl/runnerctl/bootstrap"
	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/fetch"
	"github.com/runnerctl/runnerctl/bootstrap/github"
	"github.com/runnerctl/runnerctl/bootstrap/runner"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
	"github.com/runnerctl/runnerctl/platform"
	"github.com/runnerctl/runnerctl/service"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

// Exit codes (README "Exit codes").
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	switch failure.KindOf(err) {
	case failure.Usage:
		return 2
	case failure.Auth:
		return 3
	case failure.NotFound:
		return 4
	case failure.Integrity:
		return 5
	case failure.RunnerConfig:
		return 6
	case failure.Service:
		return 7
	case failure.Timeout:
		return 8
	}
	return 1
}

// cmdEnv is what every command's action gets besides its flags.
type cmdEnv struct {
	stdout, stderr io.Writer
	redactor       *secret.Redactor
	// defaultConfig is the config file read without --config, when it exists.
	defaultConfig string
	// configSkipped names the default config file when it was not readable.
	configSkipped string
}

func run(args []string, stdout, stderr io.Writer) int {
	return runEnv(&cmdEnv{stdout: stdout, stderr: stderr, redactor: &secret.Redactor{}, defaultConfig: platform.DefaultConfigFile()}, args)
}

func runEnv(env *cmdEnv, args []string) int {
	stderr := env.stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := newApp(env).RunContext(ctx, args)
	if err != nil {
		fmt.Fprintf(stderr, "runnerctl: error: %s\n", env.redactor.Redact(err.Error()))
	}
	return exitCode(err)
}

func newApp(env *cmdEnv) *cli.App {
	return &cli.App{
		Name:  "runnerctl",
		Usage: "turn this host into a GitHub Actions self-hosted runner, and remove it cleanly",
		Description: "Exit codes: 0 ok, 1 unexpected, 2 usage/config, 3 authentication or permission, 4 target not found,\n" +
			"5 integrity, 6 runner configuration failed, 7 service manager failed, 8 runner not online in time.\n" +
			"Every flag can also be set as RUNNERCTL_<FLAG> (RUNNERCTL_URL, RUNNERCTL_MAX_WAIT, ...) or as a key of the\n" +
			"YAML --config file (default " + platform.DefaultConfigFile() + " when present). Precedence: flag, environment, file.",
		Version:         version,
		HideHelpCommand: true,
		// Lists are split where they are used (splitList): a comma is part
		// of a --env value (NO_PROXY=a,b), a separator of --labels.
		DisableSliceFlagSeparator: true,
		Writer:                    env.stdout,
		ErrWriter:                 env.stderr,
		ExitErrHandler:            func(*cli.Context, error) {}, // run() maps errors to exit codes
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return failure.Wrap(failure.Usage, fmt.Errorf("%w (see --help)", err))
		},
		CommandNotFound: func(c *cli.Context, name string) {
			fmt.Fprintf(env.stderr, "runnerctl: no command %q; see runnerctl --help\n", name)
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return failure.Wrap(failure.Usage, fmt.Errorf("no command %q; see runnerctl --help", c.Args().First()))
			}
			return cli.ShowAppHelp(c)
		},
		Commands: []*cli.Command{
			command(env, &cli.Command{
				Name:      "downloads",
				Usage:     "list the runner packages the server offers (the list-runner-applications call)",
				UsageText: "runnerctl downloads --url https://github.com/ORG [--output json]",
			}, targetFlags(), runDownloads),
			command(env, &cli.Command{
				Name:  "download",
				Usage: "download and verify runner packages into the cache (--all: every platform, for mirrors)",
				UsageText: "runnerctl download --url URL [--os linux --arch arm64 | --all] [--cache-dir D]\n" +
					"runnerctl download --package-file F --sha256 HEX     (import a package into the cache, offline)",
			}, append(append(packageFlags(), boolFlag("all", "every platform the server lists")), targetFlags()...), runDownload),
			command(env, &cli.Command{
				Name:  "prepare",
				Usage: "golden-image step: download, verify and extract the runner package into --dir, create the runner user; no registration",
				UsageText: "runnerctl prepare --url URL [--dir /opt/actions-runner] [--user runner]\n" +
					"runnerctl prepare --package-file actions-runner-linux-x64-2.336.0.tar.gz --sha256 HEX [--dir D]     (offline)",
			}, append(append(packageFlags(), runnerDirFlags()...), targetFlags()...), runPrepare),
			command(env, &cli.Command{
				Name:  "install",
				Usage: "make this host a registered, running runner: package, user, config.sh, OS service, online check",
				UsageText: "runnerctl install --url URL --name ci-1 [--labels gpu,big] [--dir D] [--user runner] [--wait 2m]\n" +
					"runnerctl install --url URL --package-file F --sha256 HEX --no-service --allow-root     (offline package, run it yourself)",
			}, installFlags(), runInstall),
			command(env, &cli.Command{
				Name:      "uninstall",
				Usage:     "stop and remove the service, the registration (config.sh remove, else by id) and the directory",
				UsageText: "runnerctl uninstall [--dir D | --all] [--keep-files]",
			}, lifecycleFlags(boolFlag("keep-files", "keep the runner directory (the registration and the service still go)")), runUninstall),
			command(env, &cli.Command{
				Name:      "status",
				Usage:     "show installed runners: local service state, package version and, with credentials, the server's view",
				UsageText: "runnerctl status [--dir D | --all] [--output json]",
			}, lifecycleFlags(), runStatus),
			command(env, &cli.Command{
				Name:      "run",
				Usage:     "the service's entry point: supervise the runner listener of --dir (restarts by exit code, graceful stop)",
				UsageText: "runnerctl run --dir D     (what the installed service runs; run it yourself after install --no-service)",
			}, append(commonFlags(), strFlag("dir", "the runner directory", platform.DefaultRunnerDir()),
				strFlag("service", "the service this supervisor runs as (set by install): names its status file", "")), runRun),
			{
				Name:  "token",
				Usage: "mint a registration or remove token (printed: it is what you asked for)",
				Subcommands: []*cli.Command{
					command(env, &cli.Command{Name: "registration", Usage: "mint a registration token (valid for one hour)",
						UsageText: "runnerctl token registration --url https://github.com/ORG [--output json]"}, targetFlags(), runToken(true)),
					command(env, &cli.Command{Name: "remove", Usage: "mint a remove token (valid for one hour)",
						UsageText: "runnerctl token remove --url https://github.com/ORG [--output json]"}, targetFlags(), runToken(false)),
				},
				Action: needSubcommand,
			},
			{
				Name:  "runners",
				Usage: "list, show, delete and prune the runners registered at a repository, organization or enterprise",
				Subcommands: []*cli.Command{
					command(env, &cli.Command{Name: "list", Usage: "list runners (all pages)",
						UsageText: "runnerctl runners list --url URL [--status offline] [--label gpu] [--name-prefix ci-] [--output json]"},
						append(filterFlags(), targetFlags()...), runRunnersList),
					command(env, &cli.Command{Name: "get", Usage: "show one runner, by id or --name", ArgsUsage: "[ID]",
						UsageText: "runnerctl runners get --url URL (ID | --name NAME) [--output json]"},
						append([]cli.Flag{nameFlag()}, targetFlags()...), runRunnersGet, "name"),
					command(env, &cli.Command{Name: "delete", Usage: "delete one runner registration, by id or --name", ArgsUsage: "[ID]",
						UsageText: "runnerctl runners delete --url URL (ID | --name NAME)"},
						append([]cli.Flag{nameFlag()}, targetFlags()...), runRunnersDelete, "name"),
					command(env, &cli.Command{Name: "prune",
						Usage:     "delete offline runners left behind by dead hosts (never an online or busy one)",
						UsageText: "runnerctl runners prune --url URL (--label L | --name-prefix P | --all) [--dry-run] [--parallel N]"},
						append(pruneFlags(), targetFlags()...), runRunnersPrune),
				},
				Action: needSubcommand,
			},
			{
				Name:  "version",
				Usage: "print the version",
				Action: func(c *cli.Context) error {
					_, err := fmt.Fprintf(env.stdout, "runnerctl %s (%s %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
					return err
				},
			},
		},
	}
}

func needSubcommand(c *cli.Context) error {
	_ = cli.ShowSubcommandHelp(c)
	if c.NArg() > 0 {
		return failure.Wrap(failure.Usage, fmt.Errorf("%s: no subcommand %q", c.Command.Name, c.Args().First()))
	}
	return failure.Wrap(failure.Usage, fmt.Errorf("%s: a subcommand is needed", c.Command.Name))
}

// envName is the environment variable of a flag: --max-wait → RUNNERCTL_MAX_WAIT.
func envName(flag string) []string {
	return []string{"RUNNERCTL_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))}
}

func strFlag(name, usage, value string) cli.Flag {
	return &cli.StringFlag{Name: name, Usage: usage, Value: value, EnvVars: envName(name)}
}

func boolFlag(name, usage string) cli.Flag {
	return &cli.BoolFlag{Name: name, Usage: usage, EnvVars: envName(name)}
}

func listFlag(name, usage string) cli.Flag {
	return &cli.StringSliceFlag{Name: name, Usage: usage, EnvVars: envName(name)}
}

func durationFlag(name, usage string, value time.Duration) cli.Flag {
	return &cli.DurationFlag{Name: name, Usage: usage, Value: value, EnvVars: envName(name)}
}

// proxyFlag is a proxy setting: the flag, RUNNERCTL_<FLAG>, then the
// conventional variables (upper and lower case), then the config file.
func proxyFlag(name, conventional, usage string) cli.Flag {
	return &cli.StringFlag{Name: name, Usage: usage, EnvVars: append(envName(name), conventional, strings.ToLower(conventional))}
}

// proxy is the proxy configuration of the command's flags.
func proxy(o opts) github.Proxy {
	return github.Proxy{HTTP: o.String("http-proxy"), HTTPS: o.String("https-proxy"), No: o.String("no-proxy")}
}

// commonFlags are on every command that does work.
func commonFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Usage: "YAML file whose keys are long flag names", EnvVars: envName("config")},
		strFlag("log-format", "text or json (logs go to stderr)", "text"),
		strFlag("log-level", "debug, info, warn or error", "info"),
		strFlag("output", "text or json (results go to stdout)", "text"),
	}
}

// targetFlags select the GitHub target and credentials.
func targetFlags() []cli.Flag {
	return append(commonFlags(),
		strFlag("url", "web URL: https://HOST/OWNER/REPO, https://HOST/ORG or https://HOST/enterprises/SLUG", ""),
		strFlag("api-url", "REST API base, when it is not derived from --url (github.com → api.github.com, *.ghe.com → api.SUB.ghe.com, GHES → HOST/api/v3)", ""),
		strFlag("access-token-file", "file holding a PAT (else RUNNERCTL_ACCESS_TOKEN or GITHUB_TOKEN is used; a token is never a flag value)", ""),
		strFlag("ca-file", "extra PEM roots, for a GHES with a private CA", ""),
		durationFlag("max-wait", "longest time one API request may wait for retries and rate limits", 10*time.Minute),
		proxyFlag("https-proxy", "HTTPS_PROXY", "proxy for https:// requests, runnerctl's and the runner's (written to its .env)"),
		proxyFlag("http-proxy", "HTTP_PROXY", "proxy for http:// requests, runnerctl's and the runner's"),
		proxyFlag("no-proxy", "NO_PROXY", "hosts reached without the proxy (comma-separated), runnerctl's and the runner's"),
	)
}

func filterFlags() []cli.Flag {
	return []cli.Flag{
		strFlag("status", "only runners with this status: online or offline", ""),
		listFlag("label", "only runners carrying this label (repeat, or comma-separate, for all of several)"),
		strFlag("name-prefix", "only runners whose name starts with this", ""),
	}
}

// packageFlags choose and store the runner package.
func packageFlags() []cli.Flag {
	return []cli.Flag{
		strFlag("os", "package OS instead of this host's: linux, osx or win", ""),
		strFlag("arch", "package architecture instead of this host's: x64, arm or arm64", ""),
		strFlag("package-file", "a local runner package instead of the API (offline; needs --sha256)", ""),
		strFlag("sha256", "the expected sha256 of --package-file", ""),
		strFlag("cache-dir", "where verified packages are kept", platform.DefaultCacheDir()),
	}
}

func runnerDirFlags() []cli.Flag {
	return []cli.Flag{
		strFlag("dir", "the runner directory", platform.DefaultRunnerDir()),
		strFlag("user", "the unprivileged user the runner runs as (created as a system user when missing, as root on Linux)", "runner"),
	}
}

func nameFlag() cli.Flag { return strFlag("name", "the runner's name instead of its id", "") }

func indexDirFlag() cli.Flag {
	return strFlag("index-dir", "the host index of installed runners (status --all, uninstall --all)", platform.DefaultIndexDir())
}

func installFlags() []cli.Flag {
	fs := append(packageFlags(), runnerDirFlags()...)
	fs = append(fs,
		strFlag("name", "the runner's name (default: the host name)", ""),
		listFlag("labels", "custom labels (comma-separated or repeated)"),
		boolFlag("no-default-labels", "drop self-hosted, the OS and the architecture labels (needs --labels)"),
		strFlag("runnergroup", "the runner group (default: the Default group)", ""),
		strFlag("work", "the work folder (default _work)", ""),
		boolFlag("ephemeral", "take one job, then deregister"),
		boolFlag("disableupdate", "ask the server not to update the runner"),
		boolFlag("replace", "replace a runner registered with the same name"),
		boolFlag("allow-root", "run the runner as root instead of an unprivileged --user (sets RUNNER_ALLOW_RUNASROOT)"),
		listFlag("env", "KEY=VALUE lines for the runner's .env (repeat)"),
		boolFlag("no-service", "register, but install no OS service: run `runnerctl run --dir D` yourself"),
		strFlag("bin-dir", "where to put the runnerctl the service runs (default: "+platform.DefaultBinDir()+", unless runnerctl already runs from a root-owned directory outside /tmp and home directories)", ""),
		durationFlag("wait", "how long to wait for the runner to show online (0: do not wait)", 2*time.Minute),
		boolFlag("keep-on-failure", "on failure, keep what this run created (directory, registration, service) for debugging"),
		indexDirFlag(),
	)
	return append(fs, targetFlags()...)
}

// lifecycleFlags: uninstall and status find the runner by --dir or --all;
// the URL comes from the runner's state file.
func lifecycleFlags(extra ...cli.Flag) []cli.Flag {
	fs := append([]cli.Flag{
		strFlag("dir", "the runner directory", platform.DefaultRunnerDir()),
		boolFlag("all", "every runner in the host index"),
		indexDirFlag(),
	}, extra...)
	return append(fs, targetFlags()...)
}

func pruneFlags() []cli.Flag {
	return []cli.Flag{
		listFlag("label", "only offline runners carrying this label (repeat for all of several)"),
		strFlag("name-prefix", "only offline runners whose name starts with this", ""),
		boolFlag("all", "every offline runner, when no --label or --name-prefix is given"),
		boolFlag("dry-run", "show what would be deleted, delete nothing"),
		&cli.IntFlag{Name: "parallel", Usage: "deletions in flight at once (1-16)", Value: 4, EnvVars: envName("parallel")},
	}
}

// opts is what every command gets: its flags resolved, a logger, the output format.
type opts struct {
	*cli.Context
	env    *cmdEnv
	log    *slog.Logger
	format bootstrap.Format
}

// command finishes a leaf command: its flags, the config file applied to
// them, and the logger and output format parsed before the action runs.
// The keys in fromFlagsOnly are, for this command, taken from flags only
// (runners get|delete: `name` picks what they act on, and the host's
// config file names its own runner).
func command(env *cmdEnv, c *cli.Command, flags []cli.Flag, action func(o opts) error, fromFlagsOnly ...string) *cli.Command {
	c.Flags = flags
	c.Before = func(cc *cli.Context) error { return applyConfigFile(env, cc, c.Flags, fromFlagsOnly) }
	c.Action = func(cc *cli.Context) error {
		log, err := newLogger(redactingWriter{env.stderr, env.redactor}, cc.String("log-format"), cc.String("log-level"))
		if err != nil {
			return err
		}
		if env.configSkipped != "" {
			log.Warn("the default config file is not readable by this user: not used (run as root, or give --config)", "file", env.configSkipped)
		}
		f, err := bootstrap.ParseFormat(cc.String("output"))
		if err != nil {
			return err
		}
		return action(opts{Context: cc, env: env, log: log, format: f})
	}
	return c
}

// flagOnlyKeys may not be set in a config file: they are about one
// invocation (`all`: `all: true` in a host's file would make every
// uninstall remove every runner; `dry-run`) or internal (`service`, set by
// install in the service definition).
var flagOnlyKeys = map[string]bool{"all": true, "dry-run": true, "service": true, "config": true}

// applyConfigFile fills flags not set on the command line or in the
// environment from the YAML file (--config, else the default file when it
// exists). One file serves every command: a key that is a flag of another
// runnerctl command is left alone here (install's `labels` does not break
// `status`), but a key that is no flag of any command, or one of
// flagOnlyKeys, is an error naming the key and the file: a typo in a
// fleet's config must not be ignored silently. A value is taken as
// written (`0755` stays 0755); a list flag takes a YAML list or a
// comma-separated string. `run`, the service's entry point, reads a
// config file only when given --config: everything it needs is on its
// command line, and no edit of the file can stop the service. The default
// file unreadable by us (root's 0600 file, a non-root user) is skipped
// with a warning.
func applyConfigFile(env *cmdEnv, c *cli.Context, flags []cli.Flag, fromFlagsOnly []string) error {
	path, explicit := c.String("config"), true
	if path == "" {
		if c.Command.Name == "run" {
			return nil
		}
		path, explicit = env.defaultConfig, false
	}
	raw, err := os.ReadFile(path)
	if !explicit && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission)) {
		if errors.Is(err, fs.ErrPermission) {
			env.configSkipped = path
		}
		return nil
	}
	if err != nil {
		return failure.Wrap(failure.Usage, fmt.Errorf("read --config: %w", err))
	}
	var keys map[string]yaml.Node
	if err := yaml.Unmarshal(raw, &keys); err != nil {
		return failure.Wrap(failure.Usage, fmt.Errorf("read --config %s: %w", path, err))
	}
	own := map[string]cli.Flag{}
	for _, f := range flags {
		own[f.Names()[0]] = f
	}
	all := allFlagNames(c.App.Commands)
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if flagOnlyKeys[k] {
			return failure.Wrap(failure.Usage, fmt.Errorf("read --config %s: key %q cannot be set in a config file, only as the flag --%s", path, k, k))
		}
		f, ok := own[k]
		if !ok || slices.Contains(fromFlagsOnly, k) {
			if !all[k] {
				return failure.Wrap(failure.Usage, fmt.Errorf("read --config %s: key %q is not a runnerctl flag (the keys are the long flag names, as in `runnerctl install --help`)", path, k))
			}
			// Another command's setting. The file is install's first:
			// one of its keys is always fine; another key one letter from
			// one of ours is taken as a typo (`label`, runners list's
			// filter, in install's file meant for `labels`).
			if near := nearFlag(k, own); near != "" && !slices.Contains(fromFlagsOnly, k) && !isInstallFlag(c.App, k) {
				return failure.Wrap(failure.Usage, fmt.Errorf("read --config %s: key %q is not a flag of %q (did you mean %q?)", path, k, c.Command.FullName(), near))
			}
			continue
		}
		if c.IsSet(k) {
			continue
		}
		node := keys[k]
		_, isList := f.(*cli.StringSliceFlag)
		vals, err := configValues(&node, isList)
		if err != nil {
			return failure.Wrap(failure.Usage, fmt.Errorf("read --config %s: key %q: %w", path, k, err))
		}
		for _, v := range vals {
			if err := c.Set(k, v); err != nil {
				return failure.Wrap(failure.Usage, fmt.Errorf("read --config %s: key %q: %w", path, k, err))
			}
		}
	}
	return nil
}

// configValues turns a YAML value into flag values, as written: a scalar
// is one value, a list (for list flags only) one value per item. An empty
// value (`name:`) is an error rather than a silent default.
func configValues(n *yaml.Node, isList bool) ([]string, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil, errors.New("no value given (remove the key for the default)")
		}
		return []string{n.Value}, nil
	case yaml.SequenceNode:
		if !isList {
			return nil, errors.New("a list is given, but this flag takes one value")
		}
		var out []string
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode || item.Tag == "!!null" {
				return nil, fmt.Errorf("line %d: a list item must be a plain value", item.Line)
			}
			out = append(out, item.Value)
		}
		return out, nil
	case yaml.AliasNode:
		return configValues(n.Alias, isList)
	}
	return nil, errors.New("a mapping is given, but flags take a value or a list")
}

func isInstallFlag(app *cli.App, name string) bool {
	if c := app.Command("install"); c != nil {
		return slices.ContainsFunc(c.Flags, func(f cli.Flag) bool { return f.Names()[0] == name })
	}
	return false
}

// nearFlag returns the flag of own whose name is one edit (an insertion,
// a deletion or a change of one letter) from key, or "".
func nearFlag(key string, own map[string]cli.Flag) string {
	for name := range own {
		if oneEdit(key, name) {
			return name
		}
	}
	return ""
}

func oneEdit(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(b)-len(a) > 1 || a == b {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if len(a) == len(b) {
		return a[i+1:] == b[i+1:]
	}
	return a[i:] == b[i+1:]
}

// allFlagNames is the long name of every flag of every command.
func allFlagNames(cmds []*cli.Command) map[string]bool {
	out := map[string]bool{}
	for _, c := range cmds {
		for _, f := range c.Flags {
			out[f.Names()[0]] = true
		}
		maps.Copy(out, allFlagNames(c.Subcommands))
	}
	return out
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, failure.Wrap(failure.Usage, fmt.Errorf("--log-level %q: use debug, info, warn or error", level))
	}
	ho := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, ho)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, ho)), nil
	}
	return nil, failure.Wrap(failure.Usage, fmt.Errorf("--log-format %q: use text or json", format))
}

// accessToken finds the API credential: --access-token-file, then
// RUNNERCTL_ACCESS_TOKEN, then GITHUB_TOKEN.
func accessToken(o opts) (secret.Secret, error) {
	var tok secret.Secret
	if f := o.String("access-token-file"); f != "" {
		s, err := secret.FromFile(f)
		if err != nil {
			return tok, failure.Wrap(failure.Usage, fmt.Errorf("--access-token-file: %w", err))
		}
		tok = s
	} else if v := os.Getenv("RUNNERCTL_ACCESS_TOKEN"); strings.TrimSpace(v) != "" {
		tok = secret.New(v)
	} else if v := os.Getenv("GITHUB_TOKEN"); strings.TrimSpace(v) != "" {
		tok = secret.New(v)
	} else {
		return tok, failure.Wrap(failure.Usage, errors.New("no API credential: give --access-token-file FILE, or set RUNNERCTL_ACCESS_TOKEN or GITHUB_TOKEN"))
	}
	o.env.redactor.Add(tok)
	return tok, nil
}

func newClient(o opts) (*github.Client, error) { return newClientFor(o, o.String("url")) }

// newClientFor builds the API client for url (a runner's, from its state file).
func newClientFor(o opts, url string) (*github.Client, error) {
	t, err := github.ParseTarget(url, o.String("api-url"))
	if err != nil {
		return nil, err
	}
	tok, err := accessToken(o)
	if err != nil {
		return nil, err
	}
	o.log.Debug("GitHub target", "url", t.URL, "scope", t.Kind.String(), "api", t.APIBase.String())
	return github.New(github.Options{
		Target: t, Token: tok, Version: version, CAFile: o.String("ca-file"), Proxy: proxy(o),
		Retry: github.DefaultRetryPolicy(o.Duration("max-wait")), Logger: o.log,
	})
}

func runDownloads(o opts) error {
	c, err := newClient(o)
	if err != nil {
		return err
	}
	ds, err := c.Downloads(o.Context.Context)
	if err != nil {
		return err
	}
	for _, d := range ds {
		o.env.redactor.Add(d.TempDownloadToken)
	}
	return bootstrap.WriteDownloads(o.env.stdout, o.format, ds)
}

func runToken(registration bool) func(o opts) error {
	return func(o opts) error {
		c, err := newClient(o)
		if err != nil {
			return err
		}
		var t github.Token
		if registration {
			t, err = c.RegistrationToken(o.Context.Context)
		} else {
			t, err = c.RemoveToken(o.Context.Context)
		}
		if err != nil {
			return err
		}
		o.log.Info("token minted", "expires_at", t.ExpiresAt.UTC().Format(time.RFC3339))
		return bootstrap.WriteToken(o.env.stdout, o.format, t)
	}
}

func runRunnersList(o opts) error {
	f := bootstrap.RunnerFilter{Status: o.String("status"), Labels: splitList(o.StringSlice("label")), NamePrefix: o.String("name-prefix")}
	if err := f.Validate(); err != nil {
		return err
	}
	c, err := newClient(o)
	if err != nil {
		return err
	}
	rs, err := c.ListRunners(o.Context.Context, "")
	if err != nil {
		return err
	}
	return bootstrap.WriteRunners(o.env.stdout, o.format, f.Select(rs))
}

// oneRunner builds the client and resolves the ID argument or --name to a runner.
func oneRunner(o opts) (*github.Client, github.Runner, error) {
	c, err := newClient(o)
	if err != nil {
		return nil, github.Runner{}, err
	}
	r, err := lookupRunner(o, c)
	return c, r, err
}

func lookupRunner(o opts, c *github.Client) (github.Runner, error) {
	name := o.String("name")
	switch {
	case o.NArg() == 1 && name == "":
		id, err := strconv.ParseInt(o.Args().First(), 10, 64)
		if err != nil || id <= 0 {
			return github.Runner{}, failure.Wrap(failure.Usage, fmt.Errorf("runner id %q: want a positive number (or use --name)", o.Args().First()))
		}
		return c.GetRunner(o.Context.Context, id)
	case o.NArg() == 0 && name != "":
		r, err := c.FindRunner(o.Context.Context, name)
		if err != nil {
			return github.Runner{}, err
		}
		if r == nil {
			return github.Runner{}, failure.Wrap(failure.NotFound, fmt.Errorf("no runner named %q at %s", name, c.Target().Describe()))
		}
		return *r, nil
	}
	return github.Runner{}, failure.Wrap(failure.Usage, errors.New("give a runner id or --name NAME (one of them)"))
}

func runRunnersGet(o opts) error {
	_, r, err := oneRunner(o)
	if err != nil {
		return err
	}
	if o.format == "json" {
		return bootstrap.WriteJSON(o.env.stdout, r)
	}
	return bootstrap.WriteRunners(o.env.stdout, o.format, []github.Runner{r})
}

func runRunnersDelete(o opts) error {
	c, r, err := oneRunner(o)
	if err != nil {
		return err
	}
	if err := c.DeleteRunner(o.Context.Context, r.ID); err != nil {
		if github.StatusCode(err) == 422 {
			return fmt.Errorf("runner %d %q is running a job; GitHub deletes runners only when idle: %w", r.ID, r.Name, err)
		}
		return err
	}
	o.log.Info("deleted runner", "id", r.ID, "name", r.Name)
	return nil
}

func runRunnersPrune(o opts) error {
	c, err := newClient(o)
	if err != nil {
		return err
	}
	res, err := bootstrap.Prune(o.Context.Context, c, bootstrap.PruneOptions{
		Labels: splitList(o.StringSlice("label")), NamePrefix: o.String("name-prefix"),
		All: o.Bool("all"), DryRun: o.Bool("dry-run"), Parallel: o.Int("parallel"),
	}, o.log)
	if failure.KindOf(err) == failure.Usage {
		return err
	}
	if werr := bootstrap.WritePrune(o.env.stdout, o.format, res); werr != nil && err == nil {
		err = werr
	}
	return err
}

func packageOptions(o opts) bootstrap.PackageOptions {
	return bootstrap.PackageOptions{OS: o.String("os"), Arch: o.String("arch"), PackageFile: o.String("package-file"), SHA256: o.String("sha256")}
}

// packageTools builds the API client (unless the package is local), the
// cache and the fetcher.
func packageTools(o opts, needAPI bool) (bootstrap.DownloadsAPI, *fetch.Cache, *fetch.Fetcher, error) {
	var api bootstrap.DownloadsAPI
	if needAPI {
		c, err := newClient(o)
		if err != nil {
			return nil, nil, nil, err
		}
		api = c
	}
	tr, err := github.NewTransport(o.String("ca-file"), proxy(o))
	if err != nil {
		return nil, nil, nil, err
	}
	var tty io.Writer
	if f, ok := o.env.stderr.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = f
		}
	}
	f := &fetch.Fetcher{
		Transport: tr, UserAgent: "runnerctl/" + version, MaxAttempts: 8, MinBackoff: time.Second, MaxBackoff: 30 * time.Second, Log: o.log,
		Progress: func(name string, total int64) *fetch.Progress { return fetch.NewProgress(tty, o.log, name, total) },
	}
	return api, &fetch.Cache{Dir: o.String("cache-dir"), Log: o.log}, f, nil
}

func runDownload(o opts) error {
	po := packageOptions(o)
	api, cache, f, err := packageTools(o, !po.Offline())
	if err != nil {
		return err
	}
	es, err := bootstrap.Download(o.Context.Context, api, cache, f, bootstrap.DownloadOptions{Package: po, All: o.Bool("all")})
	if err != nil {
		return err
	}
	if o.format == "json" {
		return bootstrap.WriteJSON(o.env.stdout, es)
	}
	for _, e := range es {
		fmt.Fprintf(o.env.stdout, "%s  %s\n", e.SHA256, e.Path) // sha256sum's format
	}
	return nil
}

func runPrepare(o opts) error {
	po := packageOptions(o)
	api, cache, f, err := packageTools(o, !po.Offline())
	if err != nil {
		return err
	}
	res, err := bootstrap.Prepare(o.Context.Context, api, cache, f, bootstrap.PrepareOptions{
		Package: po, Dir: o.String("dir"), User: o.String("user"), Version: version,
	}, o.log)
	if err != nil {
		return err
	}
	if o.format == "json" {
		return bootstrap.WriteJSON(o.env.stdout, res)
	}
	what := "prepared"
	if res.Unchanged {
		what = "already prepared"
	}
	_, err = fmt.Fprintf(o.env.stdout, "%s %s from %s (sha256 %s)\n", what, res.Dir, res.Package, res.SHA256)
	return err
}

// splitList accepts repeated flags and comma-separated values alike.
func splitList(in []string) []string {
	var out []string
	for _, v := range in {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func runInstall(o opts) error {
	po := packageOptions(o)
	if err := po.Validate(); err != nil {
		return err
	}
	c, err := newClient(o)
	if err != nil {
		return err
	}
	_, cache, f, err := packageTools(o, false)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		return fmt.Errorf("install: find runnerctl's own path for the service: %w", err)
	}
	envLines := append(proxy(o).Env(), o.StringSlice("env")...)
	if ca := o.String("ca-file"); ca != "" {
		if ca, err = filepath.Abs(ca); err != nil {
			return failure.Wrap(failure.Usage, err)
		}
		envLines = append(envLines, "NODE_EXTRA_CA_CERTS="+ca)
	}
	res, err := bootstrap.Install(o.Context.Context, c, service.New(o.log), cache, f, bootstrap.InstallOptions{
		Target: c.Target(), Package: po, Dir: o.String("dir"), User: o.String("user"), AllowRoot: o.Bool("allow-root"),
		Runner: runner.Config{
			Name: o.String("name"), Labels: splitList(o.StringSlice("labels")), NoDefaultLabels: o.Bool("no-default-labels"),
			Group: o.String("runnergroup"), Work: o.String("work"), Ephemeral: o.Bool("ephemeral"),
			DisableUpdate: o.Bool("disableupdate"), Replace: o.Bool("replace"),
		},
		Env: envLines, NoService: o.Bool("no-service"), Wait: o.Duration("wait"), KeepOnFailure: o.Bool("keep-on-failure"),
		Executable: exe, BinDir: o.String("bin-dir"), IndexDir: o.String("index-dir"), Version: version,
	}, o.env.redactor, o.log)
	if err != nil {
		return err
	}
	if o.format == "json" {
		return bootstrap.WriteJSON(o.env.stdout, res)
	}
	what := "installed"
	switch {
	case res.Unchanged:
		what = "already installed"
	case res.Repaired:
		what = "repaired"
	}
	fmt.Fprintf(o.env.stdout, "%s runner %s (id %d) in %s", what, res.Name, res.ID, res.Dir)
	if res.Service != "" {
		fmt.Fprintf(o.env.stdout, ", service %s (%s)", res.Service, res.ServiceManager)
	}
	if res.Status != "" {
		fmt.Fprintf(o.env.stdout, ", %s %s after the install started", res.Status, res.OnlineAfter.Round(10*time.Millisecond))
	}
	_, err = fmt.Fprintln(o.env.stdout)
	return err
}

// lifecycleClient builds the API client for a runner directory's URL, or
// nil when there are no credentials.
func lifecycleClient(o opts, dir string) (*github.Client, error) {
	url := o.String("url")
	if url == "" {
		st, err := bootstrap.ReadState(dir)
		if err != nil || st == nil || st.Runner == nil {
			return nil, err
		}
		url = st.Runner.URL
	}
	if _, err := accessToken(o); err != nil {
		o.log.Debug("no API credentials: the server is not asked", "err", err)
		return nil, nil
	}
	return newClientFor(o, url)
}

// api turns a nil client into a nil interface.
func api(c *github.Client) bootstrap.LifecycleAPI {
	if c == nil {
		return nil
	}
	return c
}

func runUninstall(o opts) error {
	dirs, err := bootstrap.Dirs(o.String("dir"), o.Bool("all"), o.String("index-dir"))
	if err != nil {
		return err
	}
	if len(dirs) == 0 {
		fmt.Fprintln(o.env.stdout, "nothing installed")
		return nil
	}
	var results []bootstrap.UninstallResult
	var errs []error
	for _, dir := range dirs {
		c, err := lifecycleClient(o, dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		res, err := bootstrap.Uninstall(o.Context.Context, api(c), service.New(o.log), bootstrap.UninstallOptions{
			Dir: dir, KeepFiles: o.Bool("keep-files"), IndexDir: o.String("index-dir"),
		}, o.env.redactor, o.log)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		results = append(results, res)
		if o.format != "json" {
			if res.Nothing {
				fmt.Fprintf(o.env.stdout, "nothing installed in %s\n", res.Dir)
			} else {
				fmt.Fprintf(o.env.stdout, "uninstalled runner %s (id %d) from %s\n", res.Name, res.ID, res.Dir)
			}
		}
	}
	if o.format == "json" {
		if err := bootstrap.WriteJSON(o.env.stdout, results); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

func runStatus(o opts) error {
	dirs, err := bootstrap.Dirs(o.String("dir"), o.Bool("all"), o.String("index-dir"))
	if err != nil {
		return err
	}
	reps := []bootstrap.StatusReport{}
	for _, dir := range dirs {
		c, err := lifecycleClient(o, dir)
		if err != nil {
			return err
		}
		rep, err := bootstrap.Status(o.Context.Context, api(c), service.New(o.log), dir)
		if err != nil {
			return err
		}
		reps = append(reps, rep)
	}
	return bootstrap.WriteStatus(o.env.stdout, o.format, reps)
}

func runRun(o opts) error {
	dir, err := filepath.Abs(o.String("dir"))
	if err != nil {
		return failure.Wrap(failure.Usage, err)
	}
	st, err := bootstrap.ReadState(dir)
	if err != nil {
		return err
	}
	if st == nil || st.Runner == nil {
		return failure.Wrap(failure.Usage, fmt.Errorf("run: no runner is installed in %s: run `runnerctl install --dir %s` first", dir, dir))
	}
	user := st.User
	if user == "root" {
		user = ""
	}
	name, statusFile := o.String("service"), ""
	if name != "" {
		if statusFile, err = service.StatusFile(name); err != nil {
			return failure.Wrap(failure.Usage, fmt.Errorf("run: --service: %w", err))
		}
	} else if name = st.Runner.Service; name == "" {
		name = "runnerctl-run"
	}
	sup := &service.Supervisor{Dir: dir, User: user, Log: o.log, Output: o.env.stderr, StatusFile: statusFile}
	o.log.Info("supervising the runner listener", "dir", dir, "runner", st.Runner.Name, "user", user)
	if err := service.Run(name, sup); err != nil {
		if errors.Is(err, service.ErrStopped) {
			return failure.Wrap(failure.RunnerConfig, err)
		}
		return err
	}
	return nil
}

// redactingWriter scrubs registered secrets from every log record: the
// one place where what runnerctl and the scripts it runs say is formatted.
type redactingWriter struct {
	w io.Writer
	r *secret.Redactor
}

func (rw redactingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(rw.w, rw.r.Redact(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
