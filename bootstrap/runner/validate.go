package runner

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/platform"
)

// CheckText refuses a value given with flag what (--name, --dir, ...) that
// would not stay one plain line of text where runnerctl writes it: a
// service definition (systemd unit, init script, plist, the Windows
// service's command line), .env, config.sh's command line. It must be
// valid UTF-8 and hold no control character: no C0 (tab and newline
// included: a newline starts a new directive or shell command), no DEL,
// no C1, no Unicode line or paragraph separator (U+2028, U+2029). A
// refused value is a usage error (exit 2). Everything else is escaped by
// the writers for their format.
func CheckText(what, v string) error {
	if !utf8.ValidString(v) {
		return failure.Wrap(failure.Usage, fmt.Errorf("%s %q: not valid UTF-8: give it as UTF-8 text", what, v))
	}
	for i, r := range v {
		if platform.ControlRune(r) {
			return failure.Wrap(failure.Usage, fmt.Errorf("%s %q: control character %U at byte %d: give it on one line, without tabs or control characters", what, v, r, i))
		}
	}
	return nil
}

var envKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// CheckEnv refuses an --env line that the runner's .env cannot carry as
// one variable: it must be KEY=VALUE with KEY a shell variable name
// ([A-Za-z_][A-Za-z0-9_]*) and VALUE text that CheckText accepts (the
// listener splits .env at newlines and at the first '='; '=' in VALUE is
// fine). A refused line is a usage error (exit 2).
func CheckEnv(kv string) error {
	k, v, ok := strings.Cut(kv, "=")
	if !ok || !envKey.MatchString(k) {
		return failure.Wrap(failure.Usage, fmt.Errorf("--env %q: want KEY=VALUE with KEY a variable name (letters, digits, '_', not starting with a digit)", kv))
	}
	return CheckText("--env "+k, v)
}
