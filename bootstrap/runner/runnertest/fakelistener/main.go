// Command fakelistener is bin/Runner.Listener of the fake runner package
// that runnertest builds. It keeps the contract of the real one (see
// ../../../../../shared/docs/runner-contract.md): the command-line parser's
// rules, ACTIONS_RUNNER_INPUT_* inputs, "already configured", .runner and
// .credentials written with a UTF-8 BOM, remove refused while .service
// exists, .env loaded at every start, heartbeats, SIGINT/SIGTERM (Ctrl-C
// and Ctrl-Break on Windows) as a graceful stop, the real exit codes, and
// an ephemeral runner's one job followed by the deletion of its local
// config. Built for Windows (bin\Runner.Listener.exe) it reads .env
// itself as the real one does (there is no env.sh there, and no .path),
// refuses remove while .service names a service (the real one uninstalls
// it, elevated) and does not update itself. It talks to the fake GHES
// of bootstrap/github/githubtest (see runnerproto.go there).
//
// It is a test double: it is built by runnertest, never by runnerctl.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
)

// version is set by runnertest with -ldflags "-X main.version=…".
var version = "2.336.0"

// Exit codes of the real listener (Constants.cs).
const (
	exitSuccess     = 0
	exitTerminated  = 1
	exitRetryable   = 2
	exitUpdating    = 3
	exitRunOnceUpd  = 4
	exitSessionConf = 5
	// exitVersionDeprecated only with ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE=1.
	exitVersionDeprecated = 7
)

var bom = []byte{0xEF, 0xBB, 0xBF}

func main() { os.Exit(realMain(os.Args[1:])) }

// args is the parsed command line plus ACTIONS_RUNNER_INPUT_* inputs.
type args struct {
	commands []string
	values   map[string]string // lower-case name → first value
	flags    map[string]bool   // lower-case name → present
	env      map[string]string // lower-case name → trimmed value from the environment
}

// parse follows CommandLineParser.cs: leading words are commands; after
// the first --x each --x is a name, and the next token is its value unless
// it starts with '-'. Names are case-insensitive; the first value wins.
// "--name=value" is not understood: it becomes a flag named "name=value".
func parse(argv []string) args {
	a := args{values: map[string]string{}, flags: map[string]bool{}, env: map[string]string{}}
	i := 0
	for ; i < len(argv) && !strings.HasPrefix(argv[i], "--"); i++ {
		a.commands = append(a.commands, strings.ToLower(argv[i]))
	}
	for i < len(argv) {
		tok := argv[i]
		i++
		if !strings.HasPrefix(tok, "--") {
			continue // a second bare value is ignored
		}
		name := strings.ToLower(strings.TrimPrefix(tok, "--"))
		if i < len(argv) && !strings.HasPrefix(argv[i], "-") {
			if _, seen := a.values[name]; !seen {
				a.values[name] = argv[i]
			}
			i++
			continue
		}
		a.flags[name] = true
	}
	// CommandSettings.cs: ACTIONS_RUNNER_INPUT_<NAME>, prefix and name
	// case-insensitive, trimmed, empty ignored, removed from our environment.
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if len(k) > len("ACTIONS_RUNNER_INPUT_") && strings.EqualFold(k[:len("ACTIONS_RUNNER_INPUT_")], "ACTIONS_RUNNER_INPUT_") {
			_ = os.Unsetenv(k)
			if v = strings.TrimSpace(v); v != "" {
				a.env[strings.ToLower(k[len("ACTIONS_RUNNER_INPUT_"):])] = v
			}
		}
	}
	return a
}

// arg: the command line wins over the environment.
func (a args) arg(name string) string {
	if v, ok := a.values[name]; ok {
		return v
	}
	return a.env[name]
}

// flag: present on the command line, or an environment value that parses
// as a .NET bool ("true"/"false" in any case; "1" does not count).
func (a args) flag(name string) bool {
	if a.flags[name] {
		return true
	}
	return strings.EqualFold(a.env[name], "true")
}

func realMain(argv []string) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitRetryable
	}
	root := filepath.Dir(filepath.Dir(exe))
	diagRoot = root
	// A self-update made from a copy of this package (no package file)
	// records the version it stands for next to the binary.
	if b, err := os.ReadFile(filepath.Join(filepath.Dir(exe), ".fake-version")); err == nil && len(bytes.TrimSpace(b)) > 0 {
		version = string(bytes.TrimSpace(b))
	}
	if strings.TrimSuffix(filepath.Base(exe), ".exe") == "Runner.Worker" {
		if code, ok := fakeStep(argv); ok {
			return code
		}
		return worker(root)
	}
	diag(root, argv)
	a := parse(argv)
	if a.flags["version"] {
		fmt.Println(version)
		return exitSuccess
	}
	loadEnvFile(filepath.Join(root, ".env"))
	dumpEnv(root)
	cmd := ""
	if len(a.commands) > 0 {
		cmd = a.commands[0]
	}
	switch cmd {
	case "configure":
		return configure(root, a)
	case "remove":
		return remove(root, a)
	case "run", "":
		return run(root, a)
	case "warmup":
		return exitSuccess
	}
	fmt.Fprintf(os.Stderr, "Unrecognized command-line input arguments: '%s'. For usage refer to: .\\config.cmd --help or ./config.sh --help\n", cmd)
	return exitTerminated
}

// diag records, like the real _diag logs, how the listener was started:
// its argv, its uid and the names (not the values) of its environment, so
// tests can check that no secret was on a command line and who ran it.
func diag(root string, argv []string) {
	dir := filepath.Join(root, "_diag")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	var names []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		names = append(names, k)
	}
	line := fmt.Sprintf("%s pid=%d uid=%d argv=%q env=%s\n", stamp(), os.Getpid(), os.Getuid(), argv, strings.Join(names, ","))
	f, err := os.OpenFile(filepath.Join(dir, "Runner_invocations.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = f.WriteString(line)
}

// loadEnvFile does what Program.cs does with .env: File.ReadAllLines,
// KEY=VALUE lines split at the first '=' (a line starting with '=' is
// skipped), no trimming and no quote handling.
func loadEnvFile(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		// Nothing is trimmed: " KEY" is another variable and a value keeps
		// its spaces; an empty value unsets the variable.
		if k, v, ok := strings.Cut(line, "="); ok && k != "" {
			if v == "" {
				_ = os.Unsetenv(k)
			} else {
				_ = os.Setenv(k, v)
			}
		}
	}
}

// dumpEnv, for tests only: when _diag/.fake-dump-env lists variable
// names (one a line), their values after .env was loaded are written,
// quoted, to _diag/.fake-env-dump. Nothing is written unless asked, so no
// value (a proxy password in .env) reaches a file by default.
func dumpEnv(root string) {
	b, err := os.ReadFile(filepath.Join(root, "_diag", ".fake-dump-env"))
	if err != nil {
		return
	}
	var out strings.Builder
	for _, name := range strings.Split(string(b), "\n") {
		if name == "" {
			continue
		}
		v, ok := os.LookupEnv(name)
		fmt.Fprintf(&out, "%q set=%v value=%q\n", name, ok, v)
	}
	_ = os.WriteFile(filepath.Join(root, "_diag", ".fake-env-dump"), []byte(out.String()), 0o644)
}

// settings is .runner (ConfigurationStore.cs): camel-cased, defaults omitted.
type settings struct {
	AgentID       int64  `json:"agentId,omitempty"`
	AgentName     string `json:"agentName,omitempty"`
	PoolID        int64  `json:"poolId,omitempty"`
	PoolName      string `json:"poolName,omitempty"`
	DisableUpdate bool   `json:"disableUpdate,omitempty"`
	Ephemeral     bool   `json:"ephemeral,omitempty"`
	ServerURL     string `json:"serverUrl,omitempty"`
	GitHubURL     string `json:"gitHubUrl,omitempty"`
	WorkFolder    string `json:"workFolder,omitempty"`
}

type credentials struct {
	Scheme string            `json:"scheme"`
	Data   map[string]string `json:"data"`
}

// writeBOMJSON writes v as indented JSON with a UTF-8 BOM, as
// File.WriteAllText(path, json, Encoding.UTF8) does.
func writeBOMJSON(path string, v any, mode os.FileMode) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(append([]byte{}, bom...), b...), mode)
}

func readBOMJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(bytes.TrimPrefix(b, bom), v)
}

// apiBase follows UrlUtil.cs: hosted servers use api.<host>, GHES /api/v3.
func apiBase(u *url.URL) string {
	h := strings.ToLower(u.Hostname())
	if os.Getenv("GITHUB_ACTIONS_RUNNER_FORCE_GHES") != "true" &&
		(h == "github.com" || h == "www.github.com" || strings.HasSuffix(h, ".ghe.com") || h == "github.localhost" || strings.HasSuffix(h, ".ghe.localhost")) {
		return u.Scheme + "://api." + strings.TrimPrefix(u.Host, "www.")
	}
	return u.Scheme + "://" + u.Host + "/api/v3"
}

func runnerOS() string {
	switch runtime.GOOS {
	case "darwin":
		return "macOS"
	case "windows":
		return "Windows"
	}
	return "Linux"
}

func runnerArch() string {
	switch runtime.GOARCH {
	case "arm64":
		return "ARM64"
	case "arm":
		return "ARM"
	case "386":
		return "X86"
	}
	return "X64"
}

var configFiles = []string{".credentials", ".credentials_migrated", ".credentials_rsaparams", ".runner", ".runner_migrated"}

func configure(root string, a args) int {
	fmt.Println("\n--------------------------------------------------------------------------------")
	fmt.Println("|        ____ _ _   _   _       _          _        _   _                      |")
	fmt.Println("|                     Self-hosted runner registration (fake)                   |")
	fmt.Println("--------------------------------------------------------------------------------")
	for _, f := range []string{".runner", ".runner_migrated"} {
		if _, err := os.Stat(filepath.Join(root, f)); err == nil {
			fmt.Fprintln(os.Stderr, "Cannot configure the runner because it is already configured. To reconfigure the runner, run 'config.cmd remove' or './config.sh remove' first.")
			return exitTerminated
		}
	}
	p := &prompter{a: a, unattended: a.flag("unattended"), in: bufio.NewReader(os.Stdin)}
	if a.arg("token") == "" && a.arg("pat") != "" {
		fmt.Fprintln(os.Stderr, "fake runner: --pat is not supported, use --token")
		return exitTerminated
	}
	rawURL, err := p.arg("url", "What is the URL of your repository?", "", validURL, false)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitTerminated
	}
	u, _ := url.Parse(rawURL)
	token, err := p.arg("token", "What is your runner register token?", "", nonEmpty, false)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitTerminated
	}
	fmt.Println("\n# Authentication\n\n√ Connected to GitHub\n\n# Runner Registration")
	group, err := p.arg("runnergroup", "Enter the name of the runner group to add this runner to:", "Default", nonEmpty, false)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitTerminated
	}
	if strings.EqualFold(group, "Default") && a.arg("runnergroup") == "" {
		group = "" // the default group: nothing to ask the server for
	}
	host, herr := os.Hostname()
	if herr != nil || host == "" {
		host = "myrunner"
	}
	name, err := p.arg("name", "Enter the name of runner:", host, nonEmpty, false)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitTerminated
	}
	rawLabels, _ := p.arg("labels", fmt.Sprintf("This runner will have the following labels: 'self-hosted', '%s', '%s' \nEnter any additional labels (ex. label-1,label-2):", runnerOS(), runnerArch()), "", validLabels, true)
	labels := splitLabels(rawLabels)
	noDefault := a.flag("no-default-labels")
	if noDefault && len(labels) == 0 {
		fmt.Fprintln(os.Stderr, "System.NotSupportedException: --no-default-labels requires --labels")
		return exitTerminated
	}
	replace := a.flag("replace")
	var resp githubtest.RegisterResponse
	for {
		req := map[string]any{
			"url": rawURL, "runner_event": "register", "name": name, "labels": labels, "no_default_labels": noDefault,
			"runner_group": group, "os": runnerOS(), "arch": runnerArch(), "version": version,
			"ephemeral": a.flag("ephemeral"), "replace": replace, "disable_update": a.flag("disableupdate"),
		}
		status, msg, err := call(context.Background(), apiBase(u)+"/actions/runner-registration", "RemoteAuth "+token, req, &resp)
		switch {
		case err != nil:
			fmt.Fprintf(os.Stderr, "Http request failed: %v\n", err)
			return exitTerminated
		case status == http.StatusConflict && !p.unattended:
			// ConfigurationManager: ask to replace, else for another name.
			if replace = p.flag("replace", "Would you like to replace the existing runner? (Y/N)"); !replace {
				if name, err = p.read("name", "Enter the name of runner:", false, host, nonEmpty, false); err != nil {
					fmt.Fprintln(os.Stderr, err)
					return exitTerminated
				}
			}
			continue
		case status == http.StatusConflict:
			fmt.Fprintf(os.Stderr, "A runner exists with the same name %s. (TaskAgentExistsException: pass --replace to replace it)\n", name)
			return exitTerminated
		case status >= 300:
			fmt.Fprintf(os.Stderr, "Http response code: %d from 'POST %s/actions/runner-registration': %s\n", status, apiBase(u), msg)
			return exitTerminated
		}
		break
	}
	work, err := p.arg("work", "Enter name of work folder:", "_work", nonEmpty, false)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitTerminated
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	if err := writeBOMJSON(filepath.Join(root, ".credentials_rsaparams"), map[string]string{"d": hex.EncodeToString(key), "credential": resp.Credential}, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitTerminated
	}
	if err := writeBOMJSON(filepath.Join(root, ".credentials"), credentials{Scheme: "OAuth", Data: map[string]string{
		"clientId": fmt.Sprintf("%x-%x", key[:4], key[4:8]), "authorizationUrl": resp.ServerURL + "token", "requireFipsCryptography": "False",
	}}, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitTerminated
	}
	fmt.Println("\n√ Runner successfully added\n√ Runner connection is good\n\n# Runner settings")
	if err := writeBOMJSON(filepath.Join(root, ".runner"), settings{
		AgentID: resp.ID, AgentName: resp.Name, PoolID: resp.PoolID, PoolName: resp.PoolName,
		DisableUpdate: a.flag("disableupdate"), Ephemeral: a.flag("ephemeral"),
		ServerURL: resp.ServerURL, GitHubURL: rawURL, WorkFolder: work,
	}, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitTerminated
	}
	fmt.Println("\n√ Settings Saved.")
	return exitSuccess
}

func deleteLocalConfig(root string) {
	for _, f := range configFiles {
		_ = os.Remove(filepath.Join(root, f))
	}
}

func remove(root string, a args) int {
	if _, err := os.Stat(filepath.Join(root, ".service")); err == nil {
		if runtime.GOOS != "windows" {
			fmt.Fprintln(os.Stderr, "Uninstall service first")
			return exitTerminated
		}
		// The real one stops and deletes the service named in .service
		// (elevated), then the file; the fake does not touch services.
		name, err := windowsServiceName(root)
		if err != nil {
			fmt.Fprintf(os.Stderr, "fake runner: %v\n", err)
			return exitTerminated
		}
		fmt.Fprintf(os.Stderr, "fake runner: remove would stop and uninstall the Windows service %q itself (the real one needs an elevated prompt for it); the fake does not manage services: uninstall the service and delete .service first\n", name)
		return exitTerminated
	}
	if a.flag("local") {
		deleteLocalConfig(root)
		fmt.Println("√ Removed .credentials\n√ Removed .runner")
		return exitSuccess
	}
	var st settings
	errR := readBOMJSON(filepath.Join(root, ".runner"), &st)
	_, errC := os.Stat(filepath.Join(root, ".credentials"))
	if errR != nil || errC != nil {
		fmt.Println("Cannot connect to server, because config files are missing. Skipping removing runner from the server.")
		deleteLocalConfig(root)
		return exitSuccess
	}
	token := a.arg("token")
	if token == "" {
		fmt.Fprintln(os.Stderr, "Invalid configuration provided for token. Terminating unattended configuration.")
		return exitTerminated
	}
	u, err := url.Parse(st.GitHubURL)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitTerminated
	}
	// The real one connects to the server with the runner's own
	// credentials (.credentials and the RSA key in .credentials_rsaparams)
	// to delete the agent: without the key it fails.
	var cred map[string]string
	if err := readBOMJSON(filepath.Join(root, ".credentials_rsaparams"), &cred); err != nil || cred["credential"] == "" {
		fmt.Fprintf(os.Stderr, "Failed: Removing runner from the server: the runner's RSA key cannot be read: %v\n", err)
		return exitTerminated
	}
	fmt.Println("\n# Runner removal")
	status, msg, err := callWith(context.Background(), apiBase(u)+"/actions/runner-registration", "RemoteAuth "+token,
		map[string]string{githubtest.RunnerCredentialHeader: "Bearer " + cred["credential"]},
		map[string]any{"url": st.GitHubURL, "runner_event": "remove", "runner_id": st.AgentID}, nil)
	if err != nil || (status >= 300 && status != http.StatusNotFound) {
		fmt.Fprintf(os.Stderr, "Failed: Removing runner from the server (%d %s %v)\n", status, msg, err)
		return exitTerminated
	}
	fmt.Println("√ Runner removed successfully")
	deleteLocalConfig(root)
	fmt.Println("√ Removed .credentials\n√ Removed .runner")
	return exitSuccess
}

// windowsServiceName reads .service as the real runner on Windows does
// (File.ReadAllText, the whole content): the service name as written,
// no BOM, no newline. Anything around the name would be part of the name
// the real one looks for, so the fake refuses it.
func windowsServiceName(root string) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, ".service"))
	if err != nil {
		return "", fmt.Errorf("read .service: %w", err)
	}
	name := string(b)
	if name == "" || strings.TrimSpace(name) != name || bytes.HasPrefix(b, bom) || strings.ContainsAny(name, "\r\n") {
		return "", fmt.Errorf(".service holds %q: on Windows it is the service name alone, without BOM, spaces or newline (the real runner would look for a service of that exact name)", name)
	}
	return name, nil
}

// call posts body as JSON and decodes a 2xx answer into out. It returns
// the status and, for an error status, the server's message.
func call(ctx context.Context, u, auth string, body, out any) (int, string, error) {
	return callWith(ctx, u, auth, nil, body, out)
}

// callWith is call with extra headers.
func callWith(ctx context.Context, u, auth string, header map[string]string, body, out any) (int, string, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", auth)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "GitHubActionsRunner-linux-x64/"+version)
	c, err := httpClient()
	if err != nil {
		return 0, "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", tlsError(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		var m struct{ Message string }
		_ = json.Unmarshal(data, &m)
		return resp.StatusCode, m.Message, nil
	}
	if out != nil && len(data) > 0 {
		return resp.StatusCode, "", json.Unmarshal(data, out)
	}
	return resp.StatusCode, "", nil
}

// versionDeprecatedExit is Program.cs's GetRunnerVersionDeprecatedExitCode:
// 7 when the service asked for it, else the terminated error.
func versionDeprecatedExit() int {
	switch strings.ToLower(os.Getenv("ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE")) {
	case "1", "true":
		return exitVersionDeprecated
	}
	return exitTerminated
}

func stamp() string { return time.Now().UTC().Format("2006-01-02 15:04:05Z") }

func run(root string, a args) int {
	var st settings
	var cred map[string]string
	if err := readBOMJSON(filepath.Join(root, ".runner"), &st); err != nil {
		fmt.Fprintln(os.Stderr, "Not configured. Run config.(sh/cmd) to configure the runner.")
		return exitTerminated
	}
	if err := readBOMJSON(filepath.Join(root, ".credentials_rsaparams"), &cred); err != nil || cred["credential"] == "" {
		fmt.Fprintln(os.Stderr, "Not configured: credentials are missing. Run config.(sh/cmd) to configure the runner.")
		return exitTerminated
	}
	work := st.WorkFolder
	if !filepath.IsAbs(work) {
		work = filepath.Join(root, work)
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "Permission to write to %s is required: %v\n", work, err)
		return exitTerminated
	}
	once := st.Ephemeral || a.flag("once")
	if a.flag("once") {
		fmt.Println("Warning: '--once' is going to be deprecated in the future, please consider using '--ephemeral' during runner registration.")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Printf("\n√ Connected to GitHub\n\nCurrent runner version: '%s'\n", version)
	interval := 500 * time.Millisecond
	listening := false
	for {
		var hb githubtest.HeartbeatResponse
		status, msg, err := call(ctx, st.ServerURL+"heartbeat", "Bearer "+cred["credential"], map[string]any{"disable_update": st.DisableUpdate, "version": version}, &hb)
		switch {
		case ctx.Err() != nil:
			fmt.Printf("%s: Exiting...\n", stamp())
			return exitSuccess
		case err != nil:
			fmt.Fprintf(os.Stderr, "%s: GitHub Actions is unreachable, retrying: %v\n", stamp(), err)
		case status == http.StatusNotFound:
			// 2.336.0: a registration the server reports as gone.
			fmt.Fprintf(os.Stderr, "%s: The runner registration has been deleted from the server: %s. Deleting the local runner configuration.\n", stamp(), msg)
			deleteLocalConfig(root)
			return exitSuccess
		case status == http.StatusForbidden && strings.Contains(msg, "is deprecated and cannot receive messages"):
			// 2.336.0: the session is made (the runner says it listens),
			// then the message poll raises AccessDeniedException(1).
			if !listening {
				fmt.Printf("%s: Listening for Jobs\n", stamp())
			}
			fmt.Fprintf(os.Stderr, "An error occurred: %s\n", msg)
			return versionDeprecatedExit()
		case status >= 300:
			fmt.Fprintf(os.Stderr, "%s: heartbeat failed: %d %s\n", stamp(), status, msg)
		default:
			if !listening {
				fmt.Printf("%s: Listening for Jobs\n", stamp())
				listening = true
			}
			if hb.HeartbeatMS > 0 {
				interval = time.Duration(hb.HeartbeatMS) * time.Millisecond
			}
			if hb.Exit != 0 {
				fmt.Fprintf(os.Stderr, "%s: exiting with code %d as the server asked\n", stamp(), hb.Exit)
				if hb.Exit == exitUpdating || hb.Exit == exitRunOnceUpd {
					// The real listener exits 3/4 only after it has staged
					// an update and started _update.sh.
					return selfUpdate(root, work, "", once)
				}
				return hb.Exit
			}
			if target := updateRequest(root); target != "" {
				return selfUpdate(root, work, target, once)
			}
			if hb.Job != 0 {
				if code, done := runJob(ctx, root, work, st, cred["credential"], hb.Job, once); done {
					return code
				}
			}
		}
		select {
		case <-ctx.Done():
			fmt.Printf("%s: Exiting...\n", stamp())
			return exitSuccess
		case <-time.After(interval):
		}
	}
}

// runJob runs a job in a Runner.Worker child and reports its result. A
// run-once runner then deletes its local config (when ephemeral) and
// exits 0; so does a listener stopped during the job, once the worker has
// cancelled it. done reports that the listener should exit.
func runJob(ctx context.Context, root, work string, st settings, cred string, job int64, once bool) (code int, done bool) {
	fmt.Printf("%s: Running job: fake-job-%d\n", stamp(), job)
	result := runWorker(ctx, root, work, job)
	status, msg, err := call(context.Background(), st.ServerURL+fmt.Sprintf("jobs/%d/complete", job), "Bearer "+cred, map[string]any{"result": result}, nil)
	if err != nil || status >= 300 {
		fmt.Fprintf(os.Stderr, "%s: could not report job %d: %d %s %v\n", stamp(), job, status, msg, err)
	}
	fmt.Printf("%s: Job fake-job-%d completed with result: %s\n", stamp(), job, strings.ToUpper(result[:1])+result[1:])
	if ctx.Err() != nil {
		fmt.Printf("%s: Exiting...\n", stamp())
		return exitSuccess, true
	}
	if !once {
		return 0, false
	}
	if st.Ephemeral {
		deleteLocalConfig(root)
		fmt.Printf("%s: Removed the local configuration of the ephemeral runner\n", stamp())
	}
	return exitSuccess, true
}
