package config

import (
	"slices"
	"strings"
	"testing"
)

func TestSettings(t *testing.T) {
	install := map[string]bool{"url": false, "name": false, "labels": true, "dir": false, "access-token-file": false}
	list := map[string]bool{"url": false, "label": true, "status": false, "access-token-file": false}
	all := map[string]bool{"url": false, "name": false, "labels": true, "dir": false, "access-token-file": false, "label": true, "status": false, "all": false}
	cmd := func(name string, flags map[string]bool) Command {
		return Command{Name: name, Flags: flags, AllFlags: all, Primary: install}
	}
	for _, c := range []struct {
		name, yaml string
		cmd        Command
		want       string // settings as flag=v1|v2;... or an error fragment
	}{
		{"install's keys for install", "url: u\nlabels: gpu,big\nname: 0755\n", cmd("install", install), "labels=gpu,big;name=0755;url=u"},
		{"a YAML list", "labels: [1.10, b]\n", cmd("install", install), "labels=1.10|b"},
		{"install's keys left alone by runners list", "url: u\nlabels: gpu\nname: x\n", cmd("runners list", list), "url=u"},
		{"no command's key", "lables: x\n", cmd("install", install), `key "lables" is not a runnerctl flag`},
		{"another command's key one edit from ours", "label: gpu\n", cmd("install", install), `key "label" is not a flag of "install" (did you mean "labels"?)`},
		{"flags only", "all: true\n", cmd("runners list", list), `key "all" cannot be set in a config file`},
		{"empty value", "name:\n", cmd("install", install), `key "name": no value given`},
		{"list for one value", "name: [a, b]\n", cmd("install", install), `key "name": a list is given`},
		{"mapping", "name: {a: b}\n", cmd("install", install), `key "name": a mapping is given`},
		{"selector taken from flags only", "name: x\n", Command{Name: "runners get", Flags: map[string]bool{"name": false}, FromFlagsOnly: []string{"name"}, AllFlags: all, Primary: install}, ""},
	} {
		got, err := Settings("f.yaml", []byte(c.yaml), c.cmd)
		var parts []string
		for _, s := range got {
			parts = append(parts, s.Flag+"="+strings.Join(s.Values, "|"))
		}
		out := strings.Join(parts, ";")
		if err != nil {
			out = err.Error()
		}
		if (c.want == "" && out != "") || !strings.Contains(out, c.want) {
			t.Errorf("%s: got %q, want %q", c.name, out, c.want)
		}
	}
}

func TestSplitList(t *testing.T) {
	if got := SplitList([]string{"a, b", "c", ""}); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("SplitList = %q", got)
	}
}
