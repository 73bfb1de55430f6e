package failure

import "errors"

// Kind says which class of failure an error belongs to. Each Kind has one
// documented exit code (see main.go and the README).
type Kind int

const (
	// Unexpected is anything not classified below.
	Unexpected Kind = iota
	// Usage is a bad flag, a malformed URL or an invalid configuration.
	Usage
	// Auth is a refused credential or a missing permission.
	Auth
	// NotFound is a target (repository, organization, enterprise, runner) that does not exist or cannot be seen.
	NotFound
	// Integrity is a checksum mismatch or an unsafe archive.
	Integrity
	// RunnerConfig is a refusal by the runner's config.sh.
	RunnerConfig
	// Service is a failure of the OS service manager.
	Service
	// Timeout is a runner that did not come online in time.
	Timeout
)

func (k Kind) String() string {
	switch k {
	case Usage:
		return "usage"
	case Auth:
		return "auth"
	case NotFound:
		return "not-found"
	case Integrity:
		return "integrity"
	case RunnerConfig:
		return "runner-config"
	case Service:
		return "service"
	case Timeout:
		return "timeout"
	default:
		return "unexpected"
	}
}

// Error is an error tagged with a Kind.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Wrap tags err with kind. A nil err stays nil.
func Wrap(kind Kind, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: kind, Err: err}
}

// KindOf returns the Kind of the outermost tagged error in err's chain, or
// Unexpected when there is none.
func KindOf(err error) Kind {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Kind
	}
	return Unexpected
}
