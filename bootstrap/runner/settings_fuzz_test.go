package runner

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadSettings: whatever .runner and .runner_migrated hold,
// ReadSettings reads the migrated one when it exists, decodes it as
// JSON with or without the BOM the runner writes (the same settings
// either way), fails exactly when that JSON does not decode, and reads
// back what it would write.
func FuzzReadSettings(f *testing.F) {
	const body = `{"agentId":42,"agentName":"ci-1","poolId":1,"poolName":"Default","ephemeral":true,"serverUrl":"https://pipelines/x/","gitHubUrl":"https://github.com/acme/app","workFolder":"_work"}`
	for _, s := range []struct {
		runner, migrated string
		which            uint8 // bit 0: .runner exists, bit 1: .runner_migrated exists
	}{
		{"\ufeff" + body, "", 1},
		{body, "", 1},
		{"\ufeff" + `{"agentId":1,"agentName":"old"}`, "\ufeff" + body, 3},
		{"not json", "\ufeff" + body, 3},
		{"\ufeff" + body, "\ufeff\ufeff{}", 3},
		{"", "", 0},
		{`{"agentId":"7"}`, "", 1},
		{`{"agentId":1e400}`, "", 1},
		{`{"agentId":7,"agentId":8,"AGENTNAME":"x"}`, "", 1},
		{"\ufeff" + "{\"agentName\":\"\\ud800\"}", "", 1},
	} {
		f.Add(s.runner, s.migrated, s.which)
	}
	f.Fuzz(func(t *testing.T, runnerFile, migrated string, which uint8) {
		dir := t.TempDir()
		write := func(name, data string) {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if which&1 != 0 {
			write(".runner", runnerFile)
		}
		if which&2 != 0 {
			write(".runner_migrated", migrated)
		}
		got, err := ReadSettings(dir)
		if which&3 == 0 {
			if got != nil || err != nil {
				t.Fatalf("no file: %+v, %v", got, err)
			}
			return
		}
		read := runnerFile
		if which&2 != 0 {
			read = migrated
		}
		var want Settings
		werr := json.Unmarshal(bytes.TrimPrefix([]byte(read), bom), &want)
		if (err != nil) != (werr != nil) || (err == nil && (got == nil || *got != want)) {
			t.Fatalf("ReadSettings = %+v, %v; json.Unmarshal = %+v, %v", got, err, want, werr)
		}
		if err != nil {
			return
		}
		// The same without the BOM, or with one added.
		name := ".runner"
		if which&2 != 0 {
			name = ".runner_migrated"
		}
		other := string(bom) + read
		if bytes.HasPrefix([]byte(read), bom) {
			other = read[len(bom):]
		}
		write(name, other)
		if again, err := ReadSettings(dir); err != nil || *again != *got {
			t.Fatalf("BOM added or taken away: %+v, %v; was %+v", again, err, got)
		}
		// Written back as the runner does (BOM + JSON), read the same.
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		write(name, string(bom)+string(b))
		if again, err := ReadSettings(dir); err != nil || *again != *got {
			t.Fatalf("round trip: %+v, %v; was %+v", again, err, got)
		}
	})
}
