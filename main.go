// Command runnerctl turns a host into a registered, running GitHub Actions
// self-hosted runner and removes it cleanly. This file only maps flags
// (also from RUNNERCTL_* and the YAML config file) onto the option structs
// of package bootstrap, calls one bootstrap.RunX per command, and maps
// errors onto the documented exit codes.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/runnerctl/runnerctl/bootstrap"
	"github.com/runnerctl/runnerctl/bootstrap/config"
	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/github"
	"github.com/runnerctl/runnerctl/bootstrap/runner"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
	"github.com/runnerctl/runnerctl/platform"
	"github.com/runnerctl/runnerctl/service"
)

var version = "dev" // set at build time with -ldflags "-X main.version=…"

func main() { os.Exit(run(os.Args, os.Stdout, os.Stderr)) }

// exitCode maps an error to the documented exit codes (README "Exit codes");
// a runner stopped for good is service.ExitNoRestart, which the unit does not restart.
func exitCode(err error) int {
	if err == nil || errors.Is(err, service.ErrEphemeralDone) { // the job of an ephemeral runner done: over to the service's root step
		return map[bool]int{true: service.ExitEphemeralDone}[err != nil]
	}
	return map[failure.Kind]int{failure.Unexpected: 1, failure.Usage: 2, failure.Auth: 3, failure.NotFound: 4, failure.Integrity: 5,
		failure.RunnerConfig: service.ExitNoRestart, failure.Service: 7, failure.Timeout: 8}[failure.KindOf(err)]
}

// cmdEnv is what every command's action gets besides its flags.
type cmdEnv struct {
	stdout, stderr io.Writer
	redactor       *secret.Redactor
	defaultConfig  string // read without --config, when it exists
	configSkipped  string // the default config file, when it was not readable
}

func run(args []string, stdout, stderr io.Writer) int {
	return runEnv(&cmdEnv{stdout: stdout, stderr: stderr, redactor: &secret.Redactor{}, defaultConfig: platform.DefaultConfigFile()}, args)
}

func runEnv(env *cmdEnv, args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := newApp(env).RunContext(ctx, args)
	if err != nil {
		fmt.Fprintf(env.stderr, "runnerctl: error: %s\n", bootstrap.ErrorText(err, env.redactor))
	}
	return exitCode(err)
}

func newApp(env *cmdEnv) *cli.App {
	// cmd makes a leaf command: its flags, the config file applied to them
	// (config.Settings; the keys in fromFlagsOnly are, here, flags only),
	// and the bootstrap.Env the action gets.
	cmd := func(name, usage, text string, flags []cli.Flag, action func(*cli.Context, bootstrap.Env) error, fromFlagsOnly ...string) *cli.Command {
		return &cli.Command{Name: name, Usage: usage, UsageText: text, Flags: flags, OnUsageError: usageError,
			Before: func(c *cli.Context) error { return applyConfigFile(env, c, fromFlagsOnly) },
			Action: func(c *cli.Context) error {
				e, err := newEnv(env, c)
				if err != nil {
					return err
				}
				return action(c, e)
			}}
	}
	return &cli.App{
		Name:  "runnerctl",
		Usage: "turn this host into a GitHub Actions self-hosted runner, and remove it cleanly",
		Description: "Exit codes: 0 ok, 1 unexpected, 2 usage/config, 3 authentication or permission, 4 target not found,\n" +
			"5 integrity, 6 runner configuration failed, 7 service manager failed, 8 runner not online in time (or drain --timeout),\n10 (run only) an ephemeral runner's job is done: the service's root step takes over.\n" +
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
		OnUsageError:              usageError,
		CommandNotFound: func(c *cli.Context, name string) {
			fmt.Fprintf(env.stderr, "runnerctl: no command %q; see runnerctl --help\n", name)
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return failure.Wrap(failure.Usage, fmt.Errorf("no command %q; see runnerctl --help", c.Args().First()))
			}
			return cli.ShowAppHelp(c)
		},
		Commands: slices.Concat([]*cli.Command{
			cmd("downloads", "list the runner packages the server offers (the list-runner-applications call)",
				"runnerctl downloads --url https://github.com/ORG [--output json]", targetFlags(),
				func(c *cli.Context, e bootstrap.Env) error {
					return bootstrap.RunDownloads(c.Context, e, c.String("url"))
				}),
			cmd("download", "download and verify runner packages into the cache (--all: every platform, for mirrors)",
				"runnerctl download --url URL [--os linux --arch arm64 | --all] [--cache-dir D]\n"+
					"runnerctl download --package-file F --sha256 HEX     (import a package into the cache, offline)",
				slices.Concat(packageFlags(), []cli.Flag{boolFlag("all", "every platform the server lists")}, targetFlags()),
				func(c *cli.Context, e bootstrap.Env) error {
					return bootstrap.RunDownload(c.Context, e, c.String("url"), bootstrap.DownloadOptions{Package: packageOptions(c), All: c.Bool("all")})
				}),
			cmd("prepare", "golden-image step: download, verify and extract the runner package into --dir, create the runner user; no registration",
				"runnerctl prepare --url URL [--dir /opt/actions-runner] [--user runner]\n"+
					"runnerctl prepare --package-file actions-runner-linux-x64-2.336.0.tar.gz --sha256 HEX [--dir D]     (offline)",
				slices.Concat(packageFlags(), runnerDirFlags(), targetFlags()),
				func(c *cli.Context, e bootstrap.Env) error {
					return bootstrap.RunPrepare(c.Context, e, c.String("url"), bootstrap.PrepareOptions{Package: packageOptions(c), Dir: c.String("dir"), User: c.String("user")})
				}),
			cmd("install", "make this host a registered, running runner: package, user, config.sh, OS service, online check",
				"runnerctl install --url URL --name ci-1 [--labels gpu,big] [--dir D] [--user runner] [--wait 2m]\n"+
					"runnerctl install --url URL --package-file F --sha256 HEX --no-service --allow-root     (offline package, run it yourself)",
				installFlags(), func(c *cli.Context, e bootstrap.Env) error {
					return bootstrap.RunInstall(c.Context, e, c.String("url"), installOptions(c))
				}),
			cmd("doctor", "check this host for an install, or why its runner never shows up: network, TLS, credential, clock, disk, libraries, service manager, user, --dir",
				"runnerctl doctor [--url URL] [--dir D] [--user U] [--output json]     (exit 0 without a failed check, else the first one's: 2 host/network config, 3 credential, 4 target not found, 7 no service manager)",
				slices.Concat(runnerDirFlags(), targetFlags()), func(c *cli.Context, e bootstrap.Env) error {
					return bootstrap.RunDoctor(c.Context, e, bootstrap.DoctorOptions{URL: c.String("url"), Dir: c.String("dir"), User: c.String("user")})
				}),
			cmd("uninstall", "stop and remove the service, the registration (by id, with the API credential or --remove-token-file) and the directory",
				"runnerctl uninstall [--dir D | --all] [--keep-files] [--remove-token-file F] [--force] [--drain [--timeout D]]",
				lifecycleFlags(append(uninstallDrainFlags(), boolFlag("keep-files", "keep the runner directory (the registration and the service still go)"),
					strFlag("remove-token-file", "deregister with this pre-minted remove token (no API credential needed)", ""),
					boolFlag("force", "clean this host even when the registration cannot be removed (server down, no credential); print what is left on the server"))...),
				func(c *cli.Context, e bootstrap.Env) error {
					return bootstrap.RunUninstall(c.Context, e, c.String("url"), c.Bool("all"), uninstallOptions(c))
				}),
			cmd("status", "show installed runners: local service state, package version and, with credentials, the server's view",
				"runnerctl status [--dir D | --all] [--output json]", lifecycleFlags(),
				func(c *cli.Context, e bootstrap.Env) error {
					return bootstrap.RunStatus(c.Context, e, c.String("url"), c.String("dir"), c.Bool("all"))
				}),
			cmd("update", updateUsage, updateText, updateFlags(), runUpdate),
			cmd("run", "the service's entry point: supervise the runner listener of --dir (restarts by exit code, graceful stop)",
				"runnerctl run --dir D     (what the installed service runs; run it yourself after install --no-service)",
				runFlags(), runRun),
			{Name: "token", Usage: "mint a registration or remove token (printed: it is what you asked for)", Action: needSubcommand,
				Subcommands: []*cli.Command{
					cmd("registration", "mint a registration token (valid for one hour)", "runnerctl token registration --url https://github.com/ORG [--output json]",
						targetFlags(), func(c *cli.Context, e bootstrap.Env) error {
							return bootstrap.RunToken(c.Context, e, c.String("url"), true)
						}),
					cmd("remove", "mint a remove token (valid for one hour)", "runnerctl token remove --url https://github.com/ORG [--output json]",
						targetFlags(), func(c *cli.Context, e bootstrap.Env) error {
							return bootstrap.RunToken(c.Context, e, c.String("url"), false)
						}),
				}},
			{Name: "runners", Usage: "list, show, delete and prune the runners registered at a repository, organization or enterprise", Action: needSubcommand,
				Subcommands: []*cli.Command{
					cmd("list", "list runners (all pages)", "runnerctl runners list --url URL [--status offline] [--label gpu] [--name-prefix ci-] [--output json]",
						slices.Concat(filterFlags(), targetFlags()), func(c *cli.Context, e bootstrap.Env) error {
							f := bootstrap.RunnerFilter{Status: c.String("status"), Labels: config.SplitList(c.StringSlice("label")), NamePrefix: c.String("name-prefix")}
							return bootstrap.RunRunnersList(c.Context, e, c.String("url"), f)
						}),
					cmd("get", "show one runner, by id or --name", "runnerctl runners get --url URL (ID | --name NAME) [--output json]",
						slices.Concat([]cli.Flag{strFlag("name", "the runner's name instead of its id", "")}, targetFlags()), func(c *cli.Context, e bootstrap.Env) error {
							return bootstrap.RunRunnersGet(c.Context, e, c.String("url"), bootstrap.RunnerSelector{Args: c.Args().Slice(), Name: c.String("name")})
						}, "name"),
					cmd("delete", "delete one runner registration, by id or --name", "runnerctl runners delete --url URL (ID | --name NAME)",
						slices.Concat([]cli.Flag{strFlag("name", "the runner's name instead of its id", "")}, targetFlags()), func(c *cli.Context, e bootstrap.Env) error {
							return bootstrap.RunRunnersDelete(c.Context, e, c.String("url"), bootstrap.RunnerSelector{Args: c.Args().Slice(), Name: c.String("name")})
						}, "name"),
					cmd("prune", "delete offline runners left behind by dead hosts (never an online or busy one)",
						"runnerctl runners prune --url URL (--label L | --name-prefix P | --all) [--dry-run] [--parallel N]",
						slices.Concat(pruneFlags(), targetFlags()), func(c *cli.Context, e bootstrap.Env) error {
							return bootstrap.RunPrune(c.Context, e, c.String("url"), bootstrap.PruneOptions{Labels: config.SplitList(c.StringSlice("label")),
								NamePrefix: c.String("name-prefix"), All: c.Bool("all"), DryRun: c.Bool("dry-run"), Parallel: c.Int("parallel")})
						}),
				}},
			{Name: "version", Usage: "print the version", Action: func(c *cli.Context) error {
				_, err := fmt.Fprintf(env.stdout, "runnerctl %s (%s)\n", version, platform.Build())
				return err
			}},
		}, fleetCommands(cmd)),
	}
}

func usageError(_ *cli.Context, err error, _ bool) error { // a bad flag: exit 2
	return failure.Wrap(failure.Usage, fmt.Errorf("%w (see --help)", err))
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

// commonFlags are on every command that does work.
func commonFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Usage: "YAML file whose keys are long flag names", EnvVars: envName("config")},
		strFlag("log-format", "text or json (logs go to stderr)", "text"),
		strFlag("log-level", "debug, info, warn or error", "info"),
		strFlag("output", "text or json (results go to stdout)", "text"),
		strFlag("state-dir", "runnerctl's trusted records of this host's runners (only root's when root)", platform.DefaultStateDir()),
	}
}

// targetFlags select the GitHub target and credentials.
func targetFlags() []cli.Flag {
	return append(commonFlags(),
		strFlag("url", "web URL: https://HOST/OWNER/REPO, https://HOST/ORG or https://HOST/enterprises/SLUG", ""),
		strFlag("api-url", "REST API base, when it is not derived from --url (github.com → api.github.com, *.ghe.com → api.SUB.ghe.com, GHES → HOST/api/v3)", ""),
		strFlag("access-token-file", "file holding a PAT (else RUNNERCTL_ACCESS_TOKEN or GITHUB_TOKEN is used; a token is never a flag value)", ""),
		&cli.Int64Flag{Name: "app-id", Usage: "authenticate as this GitHub App (before any PAT)", EnvVars: envName("app-id")}, strFlag("app-private-key-file", "the GitHub App's private key (.pem)", ""),
		&cli.Int64Flag{Name: "app-installation-id", Usage: "the App's installation (default: looked up for --url)", EnvVars: envName("app-installation-id")},
		strFlag("ca-file", "extra PEM roots, for a GHES with a private CA", ""), boolFlag("insecure-http", "allow plain http:// API and download URLs to hosts that are not loopback (tokens cross the network unencrypted)"),
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
		strFlag("sha256", "the expected sha256 of --package-file, or of the server's package (pins it; needed when the server lists none)", ""),
		strFlag("cache-dir", "where verified packages are kept", platform.DefaultCacheDir()),
	}
}

func runnerDirFlags() []cli.Flag {
	return []cli.Flag{strFlag("dir", "the runner directory", platform.DefaultRunnerDir()),
		strFlag("user", "the unprivileged user the runner runs as (created as a system user when missing, as root on Linux)", "runner")}
}

func installFlags() []cli.Flag {
	return slices.Concat(packageFlags(), runnerDirFlags(), ephemeralFlags(), []cli.Flag{metricsFlag(),
		strFlag("name", "the runner's name (default: the host name)", ""),
		listFlag("labels", "custom labels (comma-separated or repeated)"),
		boolFlag("no-default-labels", "drop self-hosted, the OS and the architecture labels (needs --labels)"),
		strFlag("runnergroup", "the runner group (default: the Default group)", ""),
		strFlag("work", "the work folder (default _work)", ""), &cli.IntFlag{Name: "count", Usage: "install N runners (1-64): NAME-1..N in DIR/NAME-1..N, one service each; a re-run with another N adds or removes runners", EnvVars: envName("count")},
		boolFlag("ephemeral", "take one job, then deregister"),
		boolFlag("disableupdate", "ask the server not to update the runner"),
		boolFlag("replace", "replace a runner registered with the same name"),
		boolFlag("allow-root", "run the runner as root instead of an unprivileged --user (sets RUNNER_ALLOW_RUNASROOT)"),
		listFlag("env", "KEY=VALUE lines for the runner's .env (repeat)"),
		boolFlag("no-service", "register, but install no OS service: run `runnerctl run --dir D` yourself"), strFlag("launchd", "macOS: daemon (the default: at boot, no login needed) or agent (in --user's GUI session, for jobs that need its keychain or the simulator)", ""),
		strFlag("bin-dir", "where to put the runnerctl the service runs (default: "+platform.DefaultBinDir()+", unless runnerctl already runs from a root-owned directory outside /tmp and home directories)", ""),
		durationFlag("wait", "how long to wait for the runner to show online (0: do not wait)", 2*time.Minute), durationFlag("jitter", "wait a random time up to this before the first API call (a fleet booting at once)", 0),
		boolFlag("keep-on-failure", "on failure, keep what this run created (directory, registration, service) for debugging"),
		boolFlag("install-dependencies", "run the package's bin/installdependencies.sh (as root, before config.sh) when the runner's shared libraries are missing"), strFlag("registration-token-file", "register with this pre-minted registration token (no API credential needed with --package-file or a prepared --dir)", ""),
		boolFlag("jit", "register as a just-in-time runner (one job) with a JIT config minted through the API (GHES 3.10+)"), strFlag("jitconfig-file", "register with this pre-minted JIT config (encoded_jit_config): no config.sh; one job", ""),
	}, targetFlags())
}

// lifecycleFlags: uninstall and status find the runner by --dir or --all;
// the URL comes from the runner's trusted record.
func lifecycleFlags(extra ...cli.Flag) []cli.Flag {
	return slices.Concat([]cli.Flag{strFlag("dir", "the runner directory", platform.DefaultRunnerDir()), boolFlag("all", "every runner installed on this host")},
		extra, targetFlags())
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

// newEnv maps the global flags onto bootstrap.Env.
func newEnv(env *cmdEnv, c *cli.Context) (bootstrap.Env, error) {
	log, err := bootstrap.NewLogger(env.redactor.Writer(env.stderr), c.String("log-format"), c.String("log-level"))
	if err != nil {
		return bootstrap.Env{}, err
	}
	if env.configSkipped != "" {
		log.Warn("the default config file is not readable by this user: not used (run as root, or give --config)", "file", env.configSkipped)
	}
	f, err := bootstrap.ParseFormat(c.String("output"))
	if err != nil {
		return bootstrap.Env{}, err
	}
	return bootstrap.Env{Stdout: env.stdout, TTY: platform.Terminal(env.stderr), Log: log, Format: f, Redactor: env.redactor, CacheDir: c.String("cache-dir"), StateDir: c.String("state-dir"),
		Services: service.New(log).FindAgents(bootstrap.LaunchAgents(c.String("state-dir"))), Version: version,
		Conn: github.ConnectOptions{APIURL: c.String("api-url"), CAFile: c.String("ca-file"), MaxWait: c.Duration("max-wait"), InsecureHTTP: c.Bool("insecure-http"),
			Credentials: github.Credentials{TokenFile: c.String("access-token-file"), AppID: c.Int64("app-id"), AppKeyFile: c.String("app-private-key-file"), AppInstallationID: c.Int64("app-installation-id"), Getenv: os.Getenv},
			Proxy:       github.Proxy{HTTP: c.String("http-proxy"), HTTPS: c.String("https-proxy"), No: c.String("no-proxy")}},
	}, nil
}

// applyConfigFile fills the flags not set by flag or environment from the config file (config.Settings
// says what applies). `run`, the service, reads one only with --config: no edit of the default file can stop it.
func applyConfigFile(env *cmdEnv, c *cli.Context, fromFlagsOnly []string) error {
	if c.Command.Name == "run" && c.String("config") == "" {
		return nil
	}
	path, raw, skipped, err := config.Read(c.String("config"), env.defaultConfig)
	if env.configSkipped = skipped; err != nil || raw == nil {
		return failure.Wrap(failure.Usage, err)
	}
	all := map[string]bool{}
	for _, cc := range c.App.Commands {
		for _, sub := range append([]*cli.Command{cc}, cc.Subcommands...) {
			maps.Copy(all, flagNames(sub.Flags))
		}
	}
	cmd := config.Command{Name: c.Command.FullName(), Flags: flagNames(c.Command.Flags), FromFlagsOnly: fromFlagsOnly, AllFlags: all, Primary: flagNames(installFlags())}
	return failure.Wrap(failure.Usage, config.Apply(path, raw, cmd, c.IsSet, c.Set))
}

// flagNames maps flags' long names to whether they are list flags.
func flagNames(flags []cli.Flag) map[string]bool {
	out := map[string]bool{}
	for _, f := range flags {
		_, isList := f.(*cli.StringSliceFlag)
		out[f.Names()[0]] = isList
	}
	return out
}

func packageOptions(c *cli.Context) bootstrap.PackageOptions {
	return bootstrap.PackageOptions{OS: c.String("os"), Arch: c.String("arch"), PackageFile: c.String("package-file"), SHA256: c.String("sha256")}
}

func installOptions(c *cli.Context) bootstrap.InstallOptions {
	return bootstrap.InstallOptions{
		Package: packageOptions(c), Dir: c.String("dir"), User: c.String("user"), AllowRoot: c.Bool("allow-root"),
		Runner: runner.Config{Name: c.String("name"), Labels: config.SplitList(c.StringSlice("labels")), NoDefaultLabels: c.Bool("no-default-labels"),
			Group: c.String("runnergroup"), Work: c.String("work"), Ephemeral: c.Bool("ephemeral"), DisableUpdate: c.Bool("disableupdate"), Replace: c.Bool("replace")},
		Env: c.StringSlice("env"), NoService: c.Bool("no-service"), Launchd: platform.LaunchdKind(c.String("launchd")), MetricsAddr: c.String("metrics-addr"), Wait: c.Duration("wait"), Jitter: c.Duration("jitter"),
		KeepOnFailure: c.Bool("keep-on-failure"), BinDir: c.String("bin-dir"), InstallDependencies: c.Bool("install-dependencies"), Count: c.Int("count"),
		Preminted:       bootstrap.Preminted{RegistrationTokenFile: c.String("registration-token-file"), JITConfigFile: c.String("jitconfig-file"), MintJIT: c.Bool("jit")},
		OnEphemeralExit: platform.EphemeralExit(c.String("on-ephemeral-exit")), ShutdownCommand: c.String("shutdown-command"),
	}
}
