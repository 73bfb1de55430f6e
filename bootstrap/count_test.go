package bootstrap

import (
	"path/filepath"
	"testing"
)

// A count group's records: read back as written; one whose directory is
// not in its group's, or whose index is out of range, is not ours.
func TestCountRecord(t *testing.T) {
	st := Store{Dir: t.TempDir()}
	base := filepath.Join(t.TempDir(), "group")
	good := Record{Dir: filepath.Join(base, "n-2"), Count: &CountMember{Dir: base, Name: "n", Index: 2}}
	if err := st.Put(good); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(Record{Dir: filepath.Join(base, "single")}); err != nil {
		t.Fatal(err)
	}
	got, err := countGroup(st, base, "n")
	if err != nil || len(got) != 1 || *got[0].Count != *good.Count {
		t.Fatalf("group: %+v %v", got, err)
	}
	if _, err := countGroup(st, base, "other"); err == nil {
		t.Fatal("another group name in the same --dir was accepted")
	}
	dirs, err := groupDirs(st, base)
	if err != nil || len(dirs) != 1 || dirs[0] != good.Dir {
		t.Fatalf("groupDirs: %v %v", dirs, err)
	}
	for _, bad := range []Record{
		{Dir: filepath.Join(t.TempDir(), "n-1"), Count: &CountMember{Dir: base, Name: "n", Index: 1}},
		{Dir: filepath.Join(base, "n-0"), Count: &CountMember{Dir: base, Name: "n", Index: 0}},
		{Dir: filepath.Join(base, "n-65"), Count: &CountMember{Dir: base, Name: "n", Index: MaxCount + 1}},
	} {
		if err := st.Put(bad); err == nil {
			t.Errorf("record %+v accepted", bad.Count)
		}
	}
}
