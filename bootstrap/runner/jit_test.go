package runner

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
)

func encodeFiles(files map[string]string) secret.Secret {
	m := map[string]string{}
	for k, v := range files {
		m[k] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	b, _ := json.Marshal(m)
	return secret.New(base64.StdEncoding.EncodeToString(b))
}

const jitURL = "https://ghes.example/acme/app"

func goodFiles() map[string]string {
	return map[string]string{
		".runner":                "\ufeff" + `{"agentId": 7, "agentName": "jit-1", "poolId": 1, "serverUrl": "https://ghes.example/_runner/", "gitHubUrl": "https://GHES.example/acme/app/", "workFolder": "_work", "ephemeral": true}`,
		".credentials":           "\ufeff" + `{"scheme": "OAuth", "data": {}}`,
		".credentials_rsaparams": "\ufeff" + `{"d": "00"}`,
	}
}

func TestDecodeJIT(t *testing.T) {
	j, err := DecodeJIT(encodeFiles(goodFiles()), jitURL)
	if err != nil {
		t.Fatal(err)
	}
	if j.Settings.AgentID != 7 || j.Settings.AgentName != "jit-1" || len(j.Files) != 3 || string(j.Files[".credentials_rsaparams"]) != "\ufeff"+`{"d": "00"}` {
		t.Fatalf("%+v", j)
	}
	// The real listener writes whatever file names the config holds
	// (Runner.cs): here every way out of that list is refused, and no
	// error quotes the config.
	with := func(k, v string) map[string]string {
		f := goodFiles()
		if v == "" {
			delete(f, k)
		} else {
			f[k] = v
		}
		return f
	}
	raw := func(s string) secret.Secret { return secret.New(base64.StdEncoding.EncodeToString([]byte(s))) }
	cases := map[string]secret.Secret{
		"traversal":            encodeFiles(with("../../etc/cron.d/x", "* * * * * root sh")),
		"absolute":             encodeFiles(with("/root/.ssh/authorized_keys", "ssh-rsa AAAA")),
		"other file":           encodeFiles(with(".env", "A=1")),
		"no .runner":           encodeFiles(with(".runner", "")),
		"no .credentials":      encodeFiles(with(".credentials", "")),
		"other scope":          encodeFiles(with(".runner", `{"agentId": 7, "agentName": "jit-1", "serverUrl": "https://x/", "gitHubUrl": "https://ghes.example/acme/other"}`)),
		"other host":           encodeFiles(with(".runner", `{"agentId": 7, "agentName": "jit-1", "serverUrl": "https://x/", "gitHubUrl": "https://evil.example/acme/app"}`)),
		"no gitHubUrl":         encodeFiles(with(".runner", `{"agentId": 7, "agentName": "jit-1", "serverUrl": "https://x/"}`)),
		"no agentId":           encodeFiles(with(".runner", `{"agentName": "jit-1", "serverUrl": "https://x/", "gitHubUrl": "`+jitURL+`"}`)),
		"name with newline":    encodeFiles(with(".runner", `{"agentId": 7, "agentName": "a\nb", "serverUrl": "https://x/", "gitHubUrl": "`+jitURL+`"}`)),
		"credentials not JSON": encodeFiles(with(".credentials", "SECRETSECRET")),
		"not base64":           secret.New("SECRETSECRET!!!"),
		"file not base64":      raw(`{".runner": "!!!SECRETSECRET", ".credentials": "e30="}`),
		"not an object":        raw(`["a"]`),
		"trailing data":        raw(`{} {}`),
		"too big":              secret.New(strings.Repeat("A", maxJITEncoded+4)),
		"file too big":         encodeFiles(with(".credentials_rsaparams", `"`+strings.Repeat("x", maxJITFile)+`"`)),
	}
	for name, enc := range cases {
		_, err := DecodeJIT(enc, jitURL)
		if failure.KindOf(err) != failure.Usage {
			t.Errorf("%s: %v, want a usage error", name, err)
			continue
		}
		if strings.Contains(err.Error(), "SECRETSECRET") || strings.Contains(err.Error(), enc.Reveal()) {
			t.Errorf("%s: the error quotes the config: %v", name, err)
		}
	}
}
