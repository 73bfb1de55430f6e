package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/fetch"
	"github.com/runnerctl/runnerctl/bootstrap/github"
	"github.com/runnerctl/runnerctl/bootstrap/runner"
	"github.com/runnerctl/runnerctl/platform"
)

// Pre-minted credentials (issue 12 item 2): a host that holds no API
// credential registers with a registration token or a JIT config an
// orchestrator minted, and deregisters with a remove token.

// Preminted is how install registers without minting anything itself.
type Preminted struct {
	// RegistrationTokenFile is --registration-token-file: the token goes
	// to config.sh as a minted one would.
	RegistrationTokenFile string
	// JITConfigFile is --jitconfig-file: an encoded JIT config (the
	// encoded_jit_config of generate-jitconfig).
	JITConfigFile string
	// MintJIT is --jit: mint the JIT config through the API.
	MintJIT bool

	regToken github.Token
	jit      *runner.JIT
}

// any reports whether a pre-minted credential replaces the API's registration token.
func (p Preminted) any() bool { return p.RegistrationTokenFile != "" || p.JITConfigFile != "" }

// read reads the files and decodes the JIT config for target (RunInstall,
// before anything is made); red learns the secrets.
func (p *Preminted) read(t github.Target, e Env) error {
	if p.RegistrationTokenFile != "" && (p.JITConfigFile != "" || p.MintJIT) || p.JITConfigFile != "" && p.MintJIT {
		return failure.Wrap(failure.Usage, errors.New("--registration-token-file, --jitconfig-file and --jit are different ways to register: give one"))
	}
	if p.RegistrationTokenFile != "" {
		tok, err := github.ReadCredentialFile(p.RegistrationTokenFile, "--registration-token-file", e.Log)
		if err != nil {
			return err
		}
		e.Redactor.Add(tok)
		p.regToken = github.Token{Value: tok}
	}
	if p.JITConfigFile != "" {
		enc, err := github.ReadCredentialFile(p.JITConfigFile, "--jitconfig-file", e.Log)
		if err != nil {
			return err
		}
		e.Redactor.Add(enc)
		j, err := runner.DecodeJIT(enc, t.URL)
		if err != nil {
			return fmt.Errorf("--jitconfig-file: %w", err)
		}
		p.jit = &j
	}
	return nil
}

// applyJIT makes the runner options say what a JIT config decides: its
// name (a --name must agree) and one job (ephemeral).
func applyJIT(o *InstallOptions) error {
	if !o.Preminted.MintJIT && o.Preminted.jit == nil {
		return nil
	}
	if o.Runner.Replace || o.Runner.DisableUpdate {
		return failure.Wrap(failure.Usage, errors.New("--jit, --jitconfig-file: a JIT runner takes no --replace or --disableupdate (its configuration is the server's)"))
	}
	o.Runner.Ephemeral = true
	if j := o.Preminted.jit; j != nil {
		if o.Runner.Name != "" && o.Runner.Name != j.Settings.AgentName {
			return failure.Wrap(failure.Usage, fmt.Errorf("--name %s: the JIT config is for runner %q", o.Runner.Name, j.Settings.AgentName))
		}
		o.Runner.Name = j.Settings.AgentName
	}
	return nil
}

// resolveWithoutAPI is the package of an install that has no API client:
// --package-file, or the package of the directory prepare left.
func resolveWithoutAPI(o PackageOptions, rec *Record) (fetch.Source, error) {
	if o.Offline() {
		return ResolvePackage(context.Background(), nil, o)
	}
	if rec != nil && rec.Pristine && rec.Package.SHA256 != "" {
		return fetch.Source{Filename: rec.Package.Filename, SHA256: rec.Package.SHA256}, nil
	}
	return fetch.Source{}, failure.Wrap(failure.Usage, errors.New("no API credential to ask the server for the runner package: give --package-file with --sha256, "+
		"or install into a directory `runnerctl prepare` made (or give an API credential)"))
}

// registerRunner is step 7: it registers the runner in regDir (root's
// alone) and returns its id. With the API, config.sh gets a minted
// registration token and the id comes from the server. With a
// pre-minted registration token and no API, the id is the agentId of
// the .runner config.sh just wrote in regDir: that tree is still root's
// alone (no job ran, no runner-user process can reach it), so reading
// it is reading what the runner we started wrote, not what a job left.
// With a JIT config (given, or minted with --jit) no config.sh runs:
// its files are written into regDir, as the listener itself would.
func registerRunner(ctx context.Context, d Deps, o InstallOptions, ex runner.Exec, regDir string) (int64, error) {
	api, log, p := d.API, d.Log, o.Preminted
	if p.MintJIT {
		if err := mintJIT(ctx, api, &o, d); err != nil {
			return 0, err
		}
		p = o.Preminted
	}
	if p.jit != nil {
		for _, name := range []string{".runner", ".credentials", ".credentials_rsaparams"} {
			if b := p.jit.Files[name]; b != nil {
				var err error
				if name == ".credentials_rsaparams" {
					b, err = platform.ProtectRunnerKey(b) // as Runner.cs does on Windows
				}
				if err == nil {
					err = platform.WriteInDir(regDir, name, b, 0o600, -1, -1)
				}
				if err != nil {
					if p.MintJIT { // the runner minted here goes with it
						if derr := deregister(context.WithoutCancel(ctx), api, p.jit.Settings.AgentID); derr != nil {
							log.Error("could not delete the JIT runner just minted", "id", p.jit.Settings.AgentID, "err", derr)
						}
					}
					return 0, fmt.Errorf("install: write the JIT config's %s: %w", name, err)
				}
			}
		}
		log.Info("JIT runner configured: no config.sh ran", "name", p.jit.Settings.AgentName, "id", p.jit.Settings.AgentID)
		return p.jit.Settings.AgentID, nil
	}
	if api == nil {
		if err := ex.Configure(ctx, o.Runner, p.regToken.Value); err != nil {
			return 0, err
		}
		s, err := runner.ReadSettings(regDir)
		if err == nil && (s == nil || s.AgentID <= 0) {
			err = errors.New("config.sh succeeded but wrote no .runner with an agentId")
		}
		if err != nil {
			return 0, failure.Wrap(failure.RunnerConfig, fmt.Errorf("install: %w", err))
		}
		return s.AgentID, nil
	}
	before, err := api.FindRunner(ctx, o.Runner.Name)
	if err != nil {
		return 0, err
	}
	var regErr error
	if p.RegistrationTokenFile != "" {
		regErr = ex.Configure(ctx, o.Runner, p.regToken.Value)
	} else {
		regErr = register(ctx, api, ex, o.Runner, d.Redactor, log)
	}
	var after *github.Runner
	if regErr == nil {
		// The id comes from the server, not from .runner.
		after, regErr = api.FindRunner(ctx, o.Runner.Name)
		if regErr == nil && after == nil {
			regErr = failure.Wrap(failure.RunnerConfig, fmt.Errorf("install: config.sh succeeded but the server lists no runner named %q", o.Runner.Name))
		}
	}
	if regErr != nil {
		// config.sh may have failed after the server registered the
		// runner (the real one saves .runner after that call): delete
		// what it left, so no orphan stays on the server.
		removeLeftover(context.WithoutCancel(ctx), api, o.Runner.Name, before, log)
		return 0, regErr
	}
	return after.ID, nil
}

// jitMinter is the API call --jit needs.
type jitMinter interface {
	GenerateJITConfig(ctx context.Context, r github.JITRequest) (github.JITConfig, error)
}

// mintJIT mints the JIT config of --jit (generate-jitconfig) and decodes
// it as a given one is.
func mintJIT(ctx context.Context, api LifecycleAPI, o *InstallOptions, d Deps) error {
	m, ok := api.(jitMinter)
	if !ok {
		return failure.Wrap(failure.Usage, errors.New("--jit needs an API credential to mint the JIT config"))
	}
	if g := o.Runner.Group; g != "" && !strings.EqualFold(g, "default") {
		return failure.Wrap(failure.Usage, errors.New("--jit: only the Default runner group (id 1) is supported; drop --runnergroup"))
	}
	labels, err := jitLabels(*o)
	if err != nil {
		return err
	}
	cfg, err := m.GenerateJITConfig(ctx, github.JITRequest{Name: o.Runner.Name, RunnerGroupID: 1, Labels: labels, WorkFolder: o.Runner.Work})
	if errors.Is(err, github.ErrNotFound) {
		return failure.Wrap(failure.NotFound, fmt.Errorf("%w (%w)", github.ErrNoJIT, err))
	}
	if err != nil {
		return err
	}
	d.Redactor.Add(cfg.Encoded)
	j, err := runner.DecodeJIT(cfg.Encoded, o.Target.URL)
	if err == nil && j.Settings.AgentName != o.Runner.Name {
		err = fmt.Errorf("the server's JIT config is for runner %q, not %q", j.Settings.AgentName, o.Runner.Name)
	}
	if err != nil {
		if derr := deregister(context.WithoutCancel(ctx), api, cfg.Runner.ID); derr != nil {
			d.Log.Error("could not delete the JIT runner just minted", "id", cfg.Runner.ID, "err", derr)
		}
		return fmt.Errorf("install: --jit: %w", err)
	}
	o.Preminted.jit = &j
	return nil
}

// jitLabels are the labels a minted JIT runner gets: generate-jitconfig
// adds none itself, so the default ones (self-hosted, OS, architecture,
// as config.sh adds them) come first unless --no-default-labels.
func jitLabels(o InstallOptions) ([]string, error) {
	var out []string
	if !o.Runner.NoDefaultLabels {
		osName, arch, err := platform.PackagePlatform(o.Package.OS, o.Package.Arch)
		if err != nil {
			return nil, failure.Wrap(failure.Usage, err)
		}
		out = append(out, "self-hosted", map[string]string{"linux": "Linux", "osx": "macOS", "win": "Windows"}[osName],
			map[string]string{"x64": "X64", "arm64": "ARM64", "arm": "ARM"}[arch])
	}
	out = append(out, o.Runner.Labels...)
	if len(out) == 0 {
		return nil, failure.Wrap(failure.Usage, errors.New("--jit with --no-default-labels needs --labels"))
	}
	return out, nil
}

// confirmLocal is the wait for online without an API client: the
// supervisor's word that the listener connected and listens.
func confirmLocal(st platform.ServiceStatus, res *InstallResult, log *slog.Logger) bool {
	if !st.Listening {
		return false
	}
	res.Status = "listening"
	log.Info("the runner's listener is connected and listening (no API credential: the server's view is not asked)", "name", res.Name, "id", res.ID)
	return true
}

// installClient is install's API client and target: with a pre-minted
// registration token or JIT config and no API credential the client is
// nil (the host makes no API request).
func (e Env) installClient(url string, p *Preminted) (*github.Client, github.Target, error) {
	c, err := e.connect(url)
	if err == nil || !p.any() || !errors.Is(err, github.ErrNoCredential) {
		if err != nil {
			return nil, github.Target{}, err
		}
		return c, c.Target(), p.read(c.Target(), e)
	}
	conn := e.Conn
	conn.URL, conn.Log, conn.Version = url, e.Log, e.Version
	tc, err := github.ConnectTokenOnly(conn)
	if err != nil {
		return nil, github.Target{}, err
	}
	e.Log.Info("no API credential: registering with the pre-minted credential alone")
	return nil, tc.Target(), p.read(tc.Target(), e)
}
