package runner

// TEMPORARY until helper C's validate.go lands.

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
)

var envKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func CheckEnv(kv string) error {
	k, _, ok := strings.Cut(kv, "=")
	if !ok || !envKey.MatchString(k) || strings.ContainsAny(kv, "\r\n\x00") {
		return failure.Wrap(failure.Usage, fmt.Errorf("--env %q is not a KEY=VALUE line", kv))
	}
	return nil
}
