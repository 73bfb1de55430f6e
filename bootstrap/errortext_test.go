package bootstrap

import (
	"errors"
	"testing"

	"github.com/runnerctl/runnerctl/bootstrap/secret"
)

// The last error printed carries no terminal escape (a server's message
// can hold one) and no known secret; newlines and tabs stay.
func TestErrorText(t *testing.T) {
	var r secret.Redactor
	r.Add(secret.New("ghs_installationtoken"))
	err := errors.New("GitHub said: \x1b]0;pwned\x07\x1b[2Jbad\u2028line ghs_installationtoken\nnext\tline\u009b")
	want := "GitHub said: ?]0;pwned??[2Jbad?line [REDACTED]\nnext\tline?"
	if got := ErrorText(err, &r); got != want {
		t.Errorf("ErrorText = %q, want %q", got, want)
	}
}
