package platform

import (
	"fmt"
	"io/fs"
)

// AccessError says that a user cannot reach a path: Path is the first
// directory on the way it cannot enter (or the file it cannot run).
type AccessError struct {
	User, Path string
	Mode       fs.FileMode
	Owner      string
	Want       string // "enter" or "execute"
}

func (e *AccessError) Error() string {
	return fmt.Sprintf("user %s cannot %s %s (mode %s, owner %s)", e.User, e.Want, e.Path, e.Mode, e.Owner)
}
