package runner

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
)

// JIT config limits: a real one is a few KiB (an RSA key and two small
// JSON files).
const (
	maxJITEncoded = 256 << 10
	maxJITFile    = 64 << 10
)

// jitFileNames are the only files a JIT config may hold: what config.sh
// would have written.
var jitFileNames = []string{".runner", ".credentials", ".credentials_rsaparams"}

// JIT is a decoded just-in-time runner configuration: the files the
// listener would write into its root for `run --jitconfig` (Runner.cs),
// and the settings of its .runner.
type JIT struct {
	Files    map[string][]byte
	Settings Settings
}

// DecodeJIT decodes an encoded JIT config (base64 of a JSON object
// mapping file names to base64 contents) strictly, where the real
// listener does not: only .runner, .credentials and
// .credentials_rsaparams (.runner and .credentials required), each valid
// base64 of bounded size, and a .runner that names a runner (agentId,
// agentName, serverUrl) of webURL. Errors never quote the config.
func DecodeJIT(enc secret.Secret, webURL string) (JIT, error) {
	bad := func(format string, args ...any) error {
		return failure.Wrap(failure.Usage, fmt.Errorf("JIT config: "+format, args...))
	}
	raw := enc.Reveal()
	if len(raw) > maxJITEncoded {
		return JIT{}, bad("%d bytes: more than a JIT config holds (%d)", len(raw), maxJITEncoded)
	}
	js, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return JIT{}, bad("not base64 (want the encoded_jit_config value as GitHub returns it)")
	}
	var m map[string]string
	dec := json.NewDecoder(bytes.NewReader(js))
	if err := dec.Decode(&m); err != nil || dec.More() {
		return JIT{}, bad("not a JSON object of file names to base64 contents")
	}
	j := JIT{Files: map[string][]byte{}}
	for name, v := range m {
		if !slices.Contains(jitFileNames, name) {
			return JIT{}, bad("holds a file %s: only %s are allowed", sanitize(name), strings.Join(jitFileNames, ", "))
		}
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return JIT{}, bad("file %s: not base64", name)
		}
		if len(b) == 0 || len(b) > maxJITFile {
			return JIT{}, bad("file %s: %d bytes (want 1-%d)", name, len(b), maxJITFile)
		}
		j.Files[name] = b
	}
	for _, need := range jitFileNames[:2] {
		if j.Files[need] == nil {
			return JIT{}, bad("no %s", need)
		}
	}
	for _, name := range jitFileNames[1:] {
		if f := j.Files[name]; f != nil && !json.Valid(bytes.TrimPrefix(f, bom)) {
			return JIT{}, bad("file %s: not JSON", name)
		}
	}
	if err := json.Unmarshal(bytes.TrimPrefix(j.Files[".runner"], bom), &j.Settings); err != nil {
		return JIT{}, bad(".runner: not the runner's settings JSON")
	}
	s := j.Settings
	if s.AgentID <= 0 || s.AgentName == "" || s.ServerURL == "" {
		return JIT{}, bad(".runner: agentId, agentName and serverUrl are required")
	}
	if err := CheckText("JIT config: agentName", s.AgentName); err != nil {
		return JIT{}, err
	}
	if !sameWebURL(s.GitHubURL, webURL) {
		return JIT{}, bad(".runner is for %s, not --url %s: the config was minted for another repository, organization or enterprise", sanitize(s.GitHubURL), webURL)
	}
	return j, nil
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// sameWebURL compares two web URLs of a runner scope: scheme and host
// case-insensitively, the path without a trailing slash.
func sameWebURL(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	if errA != nil || errB != nil || ua.Host == "" {
		return false
	}
	return strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host) &&
		strings.EqualFold(strings.TrimSuffix(ua.Path, "/"), strings.TrimSuffix(ub.Path, "/"))
}

// sanitize bounds and quotes text from a JIT config for a message.
func sanitize(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return strings.ToValidUTF8(fmt.Sprintf("%q", s), "?")
}
