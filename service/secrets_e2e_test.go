package service_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/bootstrap/runner"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
	"github.com/runnerctl/runnerctl/service"
)

// namedSecret is a value that must appear nowhere; runnerOwn marks the
// runner's own credential (decoded from a JIT config), which its
// .credentials / .credentials_rsaparams legitimately hold.
type namedSecret struct {
	name, value string
	runnerOwn   bool
}

// secretScan collects the secrets of a lifecycle and what it found:
// hits name where (file and offset, or pid and argv index / variable
// name) and which secret, never the value.
type secretScan struct {
	secrets []namedSecret
	hits    []string
	excused int // the runner's own credential in its own files
	files   int
	procs   int
}

func (s *secretScan) add(name, value string, runnerOwn bool) {
	value = strings.TrimSpace(value)
	for _, sec := range s.secrets {
		if sec.value == value {
			return
		}
	}
	if value != "" {
		s.secrets = append(s.secrets, namedSecret{name, value, runnerOwn})
	}
}

// minted adds every token srv minted so far (registration and remove
// tokens, App installation tokens) and returns how many there are.
func (s *secretScan) minted(srv *githubtest.Server) int {
	toks := srv.MintedTokens()
	for _, tok := range toks {
		s.add("a token the fake minted", tok, false)
	}
	return len(toks)
}

// ownCredential reports whether path is one of the runner's own
// credential files in one of the runner directories dirs.
func ownCredential(path string, dirs []string) bool {
	for _, d := range dirs {
		if path == filepath.Join(d, ".credentials") || path == filepath.Join(d, ".credentials_rsaparams") {
			return true
		}
	}
	return false
}

// data scans b, found at where.
func (s *secretScan) data(where string, b []byte, ownFile bool) {
	for _, sec := range s.secrets {
		i := bytes.Index(b, []byte(sec.value))
		if i >= 0 && sec.runnerOwn && ownFile {
			s.excused++
		} else if i >= 0 {
			s.hits = append(s.hits, fmt.Sprintf("%s in %s at offset %d", sec.name, where, i))
		}
	}
}

// tree scans every regular file under root (links are not followed);
// the runner directories' own credential files are checked for every
// secret but the runner's own credential.
func (s *secretScan) tree(t *testing.T, root string, runnerDirs []string) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s.files++
		s.data(p, b, ownCredential(p, runnerDirs))
		return nil
	})
	if err != nil {
		t.Errorf("scan %s: %v", root, err)
	}
}

// processes scans the argv and environment of every process on the host.
func (s *secretScan) processes() {
	pids, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range pids {
		comm, _ := os.ReadFile(p + "/comm")
		who := fmt.Sprintf("pid %s (%s)", filepath.Base(p), strings.TrimSpace(string(comm)))
		argv, err := os.ReadFile(p + "/cmdline")
		if err != nil {
			continue // gone
		}
		s.procs++
		for i, a := range bytes.Split(argv, []byte{0}) {
			s.data(fmt.Sprintf("%s argv[%d]", who, i), a, false)
		}
		env, _ := os.ReadFile(p + "/environ")
		for _, kv := range bytes.Split(env, []byte{0}) {
			k, _, _ := bytes.Cut(kv, []byte("="))
			s.data(fmt.Sprintf("%s environment variable %s", who, k), kv, false)
		}
	}
}

// coreDumps names where the kernel would put core dumps of the processes
// whose argv mentions one of marks (with core_pattern "core": their
// working directories), and what their core size limit is.
func coreDumps(marks ...string) (dirs []string, note string, procs int) {
	pattern, _ := os.ReadFile("/proc/sys/kernel/core_pattern")
	pat := strings.TrimSpace(string(pattern))
	var limits []string
	pids, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range pids {
		argv, _ := os.ReadFile(p + "/cmdline")
		mine := false
		for _, m := range marks {
			mine = mine || bytes.Contains(argv, []byte(m))
		}
		if !mine {
			continue
		}
		procs++
		if cwd, err := os.Readlink(p + "/cwd"); err == nil {
			dirs = append(dirs, cwd)
		}
		if f, err := os.Open(p + "/limits"); err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "Max core file size") {
					limits = append(limits, filepath.Base(p)+": "+strings.Join(strings.Fields(sc.Text())[4:6], "/"))
				}
			}
			f.Close()
		}
	}
	switch {
	case strings.HasPrefix(pat, "|"):
		note = fmt.Sprintf("core_pattern pipes to %q: not a file here", strings.Fields(pat[1:])[0])
		dirs = nil
	case filepath.IsAbs(pat):
		dirs = []string{filepath.Dir(pat)}
		note = "core_pattern " + pat
	default:
		note = fmt.Sprintf("core_pattern %q: relative to the working directories of our processes", pat)
	}
	return dirs, fmt.Sprintf("%s; core size limits (soft/hard) of our processes: %s", note, strings.Join(limits, ", ")), procs
}

// hygieneHost is where the hygiene lifecycle runs. Paths are as the
// host sees them; root is where its "/" is in this test's view ("" for
// this machine, /proc/PID/root for a container).
type hygieneHost struct {
	host
	root string
	// command is runnerctl with args and, of the credential variables,
	// exactly those in extra.
	command func(extra []string, args ...string) *exec.Cmd
	// base holds the runner directories; secrets (0700, never scanned) the
	// operator's credential files; pkg is the runner package.
	base, index, cache, binDir, user, secrets, pkg string
	// files are service svc's definition and logs; trees, more places to
	// scan (/run/runnerctl, the journal's files).
	files func(svc string) []string
	trees []string
	// journal is everything journald holds ("" without one).
	journal func() string
}

// run runs runnerctl at debug level, bounded in time, and returns its
// stdout and stderr apart.
func (hh hygieneHost) run(t *testing.T, extra []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := hh.command(extra, append(args, "--log-level", "debug")...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Start(); err != nil {
		t.Fatalf("runnerctl %s: %v", args[0], err)
	}
	timer := time.AfterFunc(2*time.Minute, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatalf("runnerctl %s: %v", args[0], err)
	}
	return o.String(), e.String(), 0
}

// write writes a file of the host (mode 0600).
func (hh hygieneHost) write(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.WriteFile(hh.root+p, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSysVSecretHygiene (issue 13 item 4) runs the lifecycle at debug
// level with known secrets, on a real SysV service as root: see
// secretHygiene.
func TestSysVSecretHygiene(t *testing.T) {
	f, h, tag, user, index, binDir := sysvRunners(t)
	secretHygiene(t, f, tag, hygieneHost{
		host: h,
		command: func(extra []string, args ...string) *exec.Cmd {
			cmd := exec.Command(f.bin, args...)
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "RUNNERCTL_ACCESS_TOKEN=") && !strings.HasPrefix(kv, "GITHUB_TOKEN=") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			cmd.Env = append(cmd.Env, extra...)
			return cmd
		},
		base: h.base, index: index, cache: filepath.Join(h.base, "cache"), binDir: binDir, user: user,
		secrets: t.TempDir(), pkg: f.pkg.Path,
		files: func(svc string) []string {
			return []string{"/etc/init.d/" + svc, "/var/log/" + svc + ".log", "/var/log/" + svc + ".err"}
		},
		trees: []string{"/run/runnerctl"},
	})
}

// secretHygiene runs install, status and uninstall at debug level with
// known secrets on hh: a PAT (from the environment), GitHub App
// credentials (key file), a pre-minted registration token and remove
// token (files), a JIT config (file); and the registration, remove and
// installation tokens the fake mints. None of them may appear in
// runnerctl's stdout or stderr, in the argv or environment of any
// process while the runner is up, in any file under the runner directory
// (but the runner's own credential in its .credentials /
// .credentials_rsaparams), the trusted records, the cache, the bin
// directory, the service's definition and logs, hh's other trees and
// journal, or a core dump.
func secretHygiene(t *testing.T, f fixture, tag string, hh hygieneHost) {
	url := f.srv.URL + "/acme/app"
	index, cache, binDir, secrets := hh.index, hh.cache, hh.binDir, hh.secrets
	var sc secretScan

	// The scanner finds a planted secret (file offset, argv, env name).
	plant := t.TempDir()
	probe := secretScan{secrets: []namedSecret{{name: "probe", value: "probe-" + randomHex(8)}}}
	if err := os.WriteFile(filepath.Join(plant, "log"), []byte("x "+probe.secrets[0].value), 0o600); err != nil {
		t.Fatal(err)
	}
	probe.tree(t, plant, nil)
	if len(probe.hits) != 1 || !strings.Contains(probe.hits[0], "log at offset 2") || strings.Contains(probe.hits[0], probe.secrets[0].value) {
		t.Fatalf("the scanner does not report a planted secret as it should: %q", probe.hits)
	}

	pat := "ghp_hygiene" + randomHex(16)
	f.srv.AddToken(pat, false)
	sc.add("the PAT", pat, false)
	// (githubtest.Token, the fake's default PAT, is not ours to look for:
	// it is a constant other tests on this host may have in their
	// environment; this test uses its own.)
	patEnv := []string{"RUNNERCTL_ACCESS_TOKEN=" + pat}

	key, pemBytes := githubtest.NewAppKey()
	appID := int64(4200 + time.Now().UnixNano()%1000)
	f.srv.AddApp(githubtest.App{ID: appID, Slug: "hygiene", Key: &key.PublicKey})
	f.srv.AddInstallation(githubtest.Installation{AppID: appID, Account: "acme", Permissions: githubtest.AppPermissions})
	keyFile := filepath.Join(secrets, "app.pem")
	hh.write(t, keyFile, pemBytes)
	sc.add("the App key (PEM)", string(pemBytes), false)
	for i, line := range strings.Split(string(pemBytes), "\n") {
		if !strings.HasPrefix(line, "-----") && len(line) >= 32 {
			sc.add(fmt.Sprintf("the App key (PEM line %d)", i+1), line, false)
		}
	}

	var outputs []string // stdout and stderr of every runnerctl run, with a label
	must := func(extra []string, args ...string) string {
		t.Helper()
		o, e, code := hh.run(t, extra, args...)
		outputs = append(outputs, args[0]+" stdout", o, args[0]+" stderr", e)
		if code != 0 {
			t.Fatalf("runnerctl %s: exit %d\n%s%s", strings.Join(args, " "), code, o, e)
		}
		return o
	}
	common := []string{"--url", url, "--state-dir", index, "--cache-dir", cache, "--user", hh.user, "--bin-dir", binDir, "--wait", "30s"}
	local := []string{"--package-file", hh.pkg, "--sha256", f.pkg.SHA256}

	// The pre-minted credentials, as an orchestrator mints them: their
	// stdout is where a token belongs, only stderr is scanned.
	mint := func(kind string) string {
		o, e, code := hh.run(t, patEnv, "token", kind, "--url", url)
		outputs = append(outputs, "token "+kind+" stderr", e)
		if code != 0 {
			t.Fatalf("token %s: exit %d\n%s", kind, code, e)
		}
		p := filepath.Join(secrets, kind+".tok")
		hh.write(t, p, []byte(o))
		return p
	}
	regFile, remFile := mint("registration"), mint("remove")

	jitName := "hyg-jit-" + tag
	enc, err := f.srv.MintJIT("repos/acme/app", jitName, "self-hosted")
	if err != nil {
		t.Fatal(err)
	}
	jitFile := filepath.Join(secrets, "jit.cfg")
	hh.write(t, jitFile, []byte(enc+"\n"))
	sc.add("the JIT config", enc, false)
	sc.add("a piece of the JIT config", enc[len(enc)/2:len(enc)/2+48], false)
	jit, err := runner.DecodeJIT(secret.New(enc), url)
	if err != nil {
		t.Fatal(err)
	}
	var rsa map[string]string
	if err := json.Unmarshal(bytes.TrimPrefix(jit.Files[".credentials_rsaparams"], []byte("\ufeff")), &rsa); err != nil || rsa["d"] == "" || rsa["credential"] == "" {
		t.Fatalf("the fake's JIT .credentials_rsaparams: %v %q", err, rsa)
	}
	sc.add("the JIT runner's private key", rsa["d"], true)
	sc.add("the JIT runner's credential", rsa["credential"], true)

	variants := []struct {
		name            string
		install, remove []string // flags and environment
		installEnv      []string
		removeEnv       []string
	}{
		{"pat", nil, nil, patEnv, patEnv},
		{"app", []string{"--app-id", strconv.FormatInt(appID, 10), "--app-private-key-file", keyFile}, []string{"--app-id", strconv.FormatInt(appID, 10), "--app-private-key-file", keyFile}, nil, nil},
		{"pre", append([]string{"--registration-token-file", regFile}, local...), []string{"--remove-token-file", remFile}, nil, nil},
		{"jit", append([]string{"--jitconfig-file", jitFile}, local...), nil, nil, patEnv},
	}
	var dirs []string // the runner directories, as this test sees them
	scan := func(p string) { sc.tree(t, hh.root+p, dirs) }
	for _, v := range variants {
		name := "hyg-" + v.name + "-" + tag
		if v.name == "jit" {
			name = jitName
		}
		dir := filepath.Join(hh.base, name)
		dirs = append(dirs, hh.root+dir)
		svc := service.Name("acme-app", name)
		args := append([]string{"install", "--dir", dir}, common...)
		if v.name != "jit" {
			args = append(args, "--name", name)
		}
		if o := must(v.installEnv, append(args, v.install...)...); !strings.Contains(outputs[len(outputs)-1], "level=DEBUG") {
			t.Errorf("%s: install logged nothing at debug level:\n%s%s", v.name, o, outputs[len(outputs)-1])
		}
		f.waitStatus(t, name, "online", 30*time.Second)
		waitLocal(t, hh.host, dir, index, "supervisor: listening since", 30*time.Second)
		statusArgs := []string{"status", "--dir", dir, "--state-dir", index}
		if v.name == "app" {
			statusArgs = append(statusArgs, v.remove...)
		}
		must(v.installEnv, statusArgs...)

		// While the runner is up: every process, and every file of it.
		sc.minted(f.srv)
		sc.processes()
		for _, p := range append(append([]string{dir, index, cache, binDir}, hh.files(svc)...), hh.trees...) {
			scan(p)
		}
		cores, note, procs := coreDumps(dir, svc)
		t.Logf("%s: core dumps: %s", v.name, note)
		if procs == 0 {
			t.Errorf("%s: no process of the service found in /proc: the scan saw nothing of ours", v.name)
		}
		for _, d := range append(cores, dir) {
			matches, _ := filepath.Glob(filepath.Join(hh.root+d, "core*"))
			for _, m := range matches {
				t.Logf("%s: core dump %s", v.name, m)
				sc.tree(t, m, dirs)
			}
		}

		if v.name == "jit" && sc.excused == 0 {
			t.Errorf("the JIT runner's credential is not in its own credential files: the scan of %s missed them", dir)
		}
		must(v.removeEnv, append([]string{"uninstall", "--dir", dir, "--state-dir", index}, v.remove...)...)
		noTrace(t, hh.host, f, dir, name, hh.files(svc))
	}
	// After: what stays on the host.
	minted := sc.minted(f.srv)
	for _, p := range append([]string{index, cache, binDir}, hh.trees...) {
		scan(p)
	}
	if hh.journal != nil {
		sc.data("the journal", []byte(hh.journal()), false)
	}
	for i := 0; i < len(outputs); i += 2 {
		sc.data("runnerctl "+outputs[i], []byte(outputs[i+1]), false)
	}
	t.Logf("secrets: %d known values (%d minted by the fake); scanned %d files and the argv and environment of %d processes (4 times), %d outputs of runnerctl; the runner's own credential seen (and allowed) %d times in its .credentials*",
		len(sc.secrets), minted, sc.files, sc.procs, len(outputs)/2, sc.excused)
	if minted < 4 {
		t.Errorf("the fake minted %d tokens, want at least 4 (registration and remove tokens, App installation tokens)", minted)
	}
	for _, hit := range sc.hits {
		t.Errorf("secret found: %s", hit)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// TestSystemdSecretHygiene is secretHygiene in a booted systemd
// container: the unit file, the journal's files and everything journalctl
// shows (all fields) are scanned too; processes are scanned from this
// host's /proc, files through the container's root.
func TestSystemdSecretHygiene(t *testing.T) {
	f, c := systemdHost(t)
	root := fmt.Sprintf("/proc/%d/root", c.pid1)
	if out, code := c.sh("mkdir -p -m 0700 /root/hyg && mkdir -p -m 0755 /srv/hyg"); code != 0 {
		t.Fatal(out)
	}
	data, err := os.ReadFile(f.pkg.Path)
	if err != nil {
		t.Fatal(err)
	}
	pkg := "/var/tmp/" + f.pkg.Filename
	if err := os.WriteFile(root+pkg, data, 0o644); err != nil {
		t.Fatal(err)
	}
	secretHygiene(t, f, strconv.FormatInt(time.Now().UnixNano()%1e6, 36), hygieneHost{
		host: c,
		root: root,
		command: func(extra []string, args ...string) *exec.Cmd {
			// nsenter keeps its environment: no secret in any argv.
			cmd := exec.Command("nsenter", append([]string{"-t", strconv.Itoa(c.pid1), "-a", c.bin}, args...)...)
			cmd.Env = append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"}, extra...)
			return cmd
		},
		base: "/srv/hyg", index: "/var/lib/runnerctl", cache: "/var/cache/runnerctl", binDir: "/usr/local/bin", user: "runner",
		secrets: "/root/hyg", pkg: pkg,
		files: func(svc string) []string { return []string{"/etc/systemd/system/" + svc + ".service"} },
		trees: []string{"/run/runnerctl", "/run/log/journal", "/var/log/journal"},
		journal: func() string {
			out, _ := c.sh("journalctl --no-pager --all -o verbose")
			if !strings.Contains(out, "Listening for Jobs") {
				t.Errorf("the journal does not hold the services' output (no \"Listening for Jobs\"): %d bytes", len(out))
			}
			return out
		},
	})
}
