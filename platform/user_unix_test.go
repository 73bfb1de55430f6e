//go:build !windows

package platform

import (
	"errors"
	"os"
	"os/exec"
	"os/user"
	"slices"
	"testing"
)

// An id that does not parse is an error, never uid 0 (the old code took
// strconv's 0 and ran the command as root).
func TestAccountOfStrict(t *testing.T) {
	groups := func(ids ...string) func() ([]string, error) {
		return func() ([]string, error) { return ids, nil }
	}
	for _, c := range []struct {
		uid, gid string
		groups   []string
		ok       bool
	}{
		{"1001", "1001", []string{"1001", "27"}, true},
		{"", "1001", nil, false},
		{"abc", "1001", nil, false},
		{"-1", "1001", nil, false},
		{"+5", "1001", nil, false},
		{" 5", "1001", nil, false},
		{"4294967296", "1001", nil, false},
		{"S-1-5-18", "1001", nil, false},
		{"1001", "", nil, false},
		{"1001", "x", nil, false},
		{"1001", "1001", []string{"27", "wheel"}, false},
	} {
		a, err := accountOf(&user.User{Username: "r", Uid: c.uid, Gid: c.gid, HomeDir: "/home/r"}, groups(c.groups...))
		if (err == nil) != c.ok {
			t.Errorf("uid %q gid %q groups %q: %+v, %v; want ok=%v", c.uid, c.gid, c.groups, a, err, c.ok)
		}
		if err != nil && (a.UID != 0 || a.Name != "") {
			t.Errorf("uid %q: an error came with an account %+v", c.uid, a)
		}
	}
	a, err := accountOf(&user.User{Username: "r", Uid: "1001", Gid: "1001", HomeDir: "/home/r"}, groups("1001", "27"))
	if err != nil || a.UID != 1001 || a.GID != 1001 || !slices.Equal(a.Groups, []uint32{1001, 27}) || a.Home != "/home/r" || a.Name != "r" {
		t.Fatalf("%+v %v", a, err)
	}
	// Groups that cannot be listed: the primary one only.
	a, err = accountOf(&user.User{Username: "r", Uid: "1001", Gid: "1001"}, func() ([]string, error) { return nil, errors.New("no") })
	if err != nil || !slices.Equal(a.Groups, []uint32{1001}) {
		t.Fatalf("%+v %v", a, err)
	}
}

func TestLookupAccount(t *testing.T) {
	if _, err := LookupAccount(""); err == nil {
		t.Error("an empty name was looked up")
	}
	if _, err := LookupAccount("runnerctl-no-such-user"); err == nil {
		t.Error("a missing user was found")
	}
	a, err := LookupAccount("root")
	if err != nil || a.UID != 0 || a.GID != 0 {
		t.Fatalf("root: %+v %v", a, err)
	}
}

func TestRunAs(t *testing.T) {
	if _, err := user.Lookup("nobody"); err != nil || os.Geteuid() != 0 {
		t.Skip("skipped: needs root and a nobody account")
	}
	t.Setenv("GH_TOKEN", "s-gh")
	cmd := exec.Command("/bin/true")
	if err := RunAs(cmd, "nobody"); err != nil {
		t.Fatal(err)
	}
	a, _ := LookupAccount("nobody")
	c := cmd.SysProcAttr.Credential
	if c == nil || c.Uid != a.UID || c.Gid != a.GID || c.Uid == 0 {
		t.Fatalf("credential %+v, want nobody's %+v", c, a)
	}
	if slices.Contains(cmd.Env, "GH_TOKEN=s-gh") || !slices.Contains(cmd.Env, "HOME="+a.Home) || !slices.Contains(cmd.Env, "USER=nobody") {
		t.Fatalf("env %q", cmd.Env)
	}
	bad := exec.Command("/bin/true")
	if err := RunAs(bad, ""); err == nil || bad.SysProcAttr != nil {
		t.Fatalf("an empty user: %v, %+v", err, bad.SysProcAttr)
	}
}
