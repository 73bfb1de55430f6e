package runner

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
)

// JIT fuzz shapes: which files the fuzzed config holds and how.
const (
	jitRSA          = 1 << iota // .credentials_rsaparams present
	jitExtra                    // a file named extra present
	jitBadBase64                // .credentials' value not base64
	jitNoCredential             // no .credentials
	jitRaw                      // runnerFile itself is the encoded config
)

// FuzzDecodeJIT: DecodeJIT accepts only a config of the three allowed
// files (.runner and .credentials required) holding exactly what was
// encoded, with a .runner naming a runner of webURL; everything else is a
// usage error that quotes no credential.
func FuzzDecodeJIT(f *testing.F) {
	good := goodFiles()
	for _, s := range []struct {
		runner, cred, rsa, extra, url string
		shape                         uint8
	}{
		{good[".runner"], good[".credentials"], good[".credentials_rsaparams"], "", jitURL, jitRSA},
		{good[".runner"], good[".credentials"], "", "", jitURL, 0},
		{good[".runner"], good[".credentials"], good[".credentials_rsaparams"], "../../etc/cron.d/x", jitURL, jitRSA | jitExtra},
		{good[".runner"], "SECRETSECRET", good[".credentials_rsaparams"], "", jitURL, jitRSA},
		{good[".runner"], good[".credentials"], "", "", jitURL, jitBadBase64},
		{good[".runner"], good[".credentials"], "", "", jitURL, jitNoCredential},
		{`{"agentId": 7, "agentName": "a\nb", "serverUrl": "https://x/", "gitHubUrl": "` + jitURL + `"}`, good[".credentials"], "", "", jitURL, 0},
		{`{"agentId": 7, "agentName": "jit-1", "serverUrl": "https://x/", "gitHubUrl": "https://evil.example/acme/app"}`, good[".credentials"], "", "", jitURL, 0},
		{`{"agentId": -1, "agentName": "jit-1", "serverUrl": "https://x/", "gitHubUrl": "` + jitURL + `"}`, good[".credentials"], "", "", jitURL, 0},
		{"eyIucnVubmVyIjoiZTMwPSJ9", "", "", "", jitURL, jitRaw},
		{"SECRETSECRET!!!", "", "", "", jitURL, jitRaw},
	} {
		f.Add(s.runner, s.cred, s.rsa, s.extra, s.url, s.shape)
	}
	f.Fuzz(func(t *testing.T, runnerFile, cred, rsa, extra, webURL string, shape uint8) {
		enc := runnerFile
		files := map[string]string{".runner": runnerFile}
		if shape&jitRaw == 0 {
			m := map[string]string{".runner": b64(runnerFile)}
			if shape&jitNoCredential == 0 {
				m[".credentials"], files[".credentials"] = b64(cred), cred
				if shape&jitBadBase64 != 0 {
					m[".credentials"] += "!"
				}
			}
			if shape&jitRSA != 0 {
				m[".credentials_rsaparams"], files[".credentials_rsaparams"] = b64(rsa), rsa
			}
			if shape&jitExtra != 0 {
				m[extra], files[extra] = b64(cred), cred
			}
			js, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			enc = b64(string(js))
		}
		j, err := DecodeJIT(secret.New(enc), webURL)
		if err != nil {
			if failure.KindOf(err) != failure.Usage {
				t.Fatalf("%v is not a usage error", err)
			}
			// A credential is never quoted, as given or encoded (unless
			// it is also in what a message may name: the runner's
			// settings, a file name, --url).
			for _, c := range []string{cred, rsa} {
				if len(c) >= 8 && !strings.Contains(runnerFile+extra+webURL, c) && (strings.Contains(err.Error(), c) || strings.Contains(err.Error(), b64(c))) {
					t.Fatalf("the error quotes a credential %q: %v", c, err)
				}
			}
			return
		}
		if shape&jitRaw != 0 {
			return // accepted, with contents the fuzzer chose: the checks below need them known
		}
		for name, b := range j.Files {
			if !slices.Contains(jitFileNames, name) {
				t.Fatalf("accepted a file %q", name)
			}
			if string(b) != files[name] || len(b) == 0 || len(b) > maxJITFile {
				t.Fatalf("file %s: %d bytes %q, encoded %q", name, len(b), b, files[name])
			}
		}
		if j.Files[".runner"] == nil || j.Files[".credentials"] == nil || (shape&jitRSA != 0) != (j.Files[".credentials_rsaparams"] != nil) {
			t.Fatalf("files %v", slices.Sorted(maps.Keys(j.Files)))
		}
		var want Settings
		if err := json.Unmarshal(bytes.TrimPrefix([]byte(runnerFile), bom), &want); err != nil || want != j.Settings {
			t.Fatalf("settings %+v, .runner says %+v (%v)", j.Settings, want, err)
		}
		s := j.Settings
		if s.AgentID <= 0 || s.AgentName == "" || s.ServerURL == "" || CheckText("name", s.AgentName) != nil || !sameWebURL(s.GitHubURL, webURL) {
			t.Fatalf("accepted settings %+v for %q", s, webURL)
		}
	})
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
