package platform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadJSON(t *testing.T) {
	dir := t.TempDir()
	type rec struct{ Name string }
	for _, read := range []func(string, any) (bool, error){
		ReadJSON,
		func(p string, v any) (bool, error) { return ReadUntrustedJSON(p, 1<<10, v) },
	} {
		var r rec
		if found, err := read(filepath.Join(dir, "none.json"), &r); found || err != nil {
			t.Fatalf("missing file: found %v, err %v", found, err)
		}
		p := filepath.Join(dir, "bom.json")
		if err := os.WriteFile(p, []byte("\xEF\xBB\xBF{\"Name\":\"r1\"}"), 0o644); err != nil {
			t.Fatal(err)
		}
		if found, err := read(p, &r); !found || err != nil || r.Name != "r1" {
			t.Fatalf("with a BOM: found %v, err %v, %+v", found, err, r)
		}
		bad := filepath.Join(dir, "bad.json")
		if err := os.WriteFile(bad, []byte("{"), 0o644); err != nil {
			t.Fatal(err)
		}
		if found, err := read(bad, &r); !found || err == nil || !strings.Contains(err.Error(), bad) {
			t.Fatalf("bad JSON: found %v, err %v (want one naming the file)", found, err)
		}
	}
	// More than the limit is not read.
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, []byte(`{"Name":"`+strings.Repeat("x", 2000)+`"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var r struct{ Name string }
	if _, err := ReadUntrustedJSON(big, 1<<10, &r); err == nil {
		t.Fatal("read past the limit")
	}
}
