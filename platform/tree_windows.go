package platform

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unsafe"

	"golang.org/x/sys/windows"
)

// ChownNoFollow does nothing on Windows: files are shared by ACL, not
// owned by the runner's account (RunsAsUser).
func ChownNoFollow(dir string, uid, gid int) error { return nil }

// CheckPristine reports whether the prepared tree dir is still as prepare
// left it on Windows: owned by SYSTEM, Administrators (or this user), its
// protected DACL letting no one else change it, so that nothing in it can
// have been changed by another account (what is made inside inherits
// that DACL, and only its owner or an administrator can give an entry
// another one).
func CheckPristine(dir string) error {
	sd, err := windows.GetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return fmt.Errorf("prepared tree %s: %w", dir, err)
	}
	if err := adminsOnlyWrite(sd); err != nil {
		return fmt.Errorf("prepared tree %s: %w", dir, err)
	}
	ctl, _, err := sd.Control()
	if err != nil {
		return fmt.Errorf("prepared tree %s: %w", dir, err)
	}
	if ctl&windows.SE_DACL_PROTECTED == 0 {
		return fmt.Errorf("prepared tree %s: its ACL is inherited from its parent, which others may change", dir)
	}
	return nil
}

// ChownPristine does nothing on Windows (see ChownNoFollow).
func ChownPristine(dir string, uid, gid int) error { return nil }

// RemoveTree removes path and what it holds, as os.RemoveAll. Where the
// file system refuses the POSIX-semantics delete Go uses
// (FileDispositionInformationEx) with an error Go does not fall back on
// (ERROR_INVALID_FUNCTION: some filter drivers, and Wine), it removes what
// is left one entry at a time, deepest first (removeUnder). The tree may
// be the service account's (every job's): os.RemoveAll works relative to
// open directory handles, but a walk by path does not, so each entry is
// opened without following a link or junction in its own place, checked
// to be still inside path by the handle's final path (a directory on the
// way swapped for a junction after the walk leads elsewhere), and deleted
// through that handle.
func RemoveTree(path string) error {
	err := os.RemoveAll(path)
	if err == nil || !errors.Is(err, windows.ERROR_INVALID_FUNCTION) {
		return err
	}
	root, err := finalPathOf(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	var entries []string
	werr := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		entries = append(entries, p)
		return nil
	})
	if werr != nil && !errors.Is(werr, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", path, werr)
	}
	for i := len(entries) - 1; i >= 0; i-- {
		if err := removeUnder(root, entries[i]); err != nil {
			return fmt.Errorf("remove %s: %w", entries[i], err)
		}
	}
	return nil
}

// openNoFollow opens p itself (a link or junction in its place is not
// followed) for access.
func openNoFollow(p string, access uint32) (windows.Handle, error) {
	p16, err := windows.UTF16PtrFromString(p)
	if err != nil {
		return 0, err
	}
	h, err := windows.CreateFile(p16, access,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE, nil,
		windows.OPEN_EXISTING, windows.FILE_FLAG_OPEN_REPARSE_POINT|windows.FILE_FLAG_BACKUP_SEMANTICS, 0)
	if errors.Is(err, windows.ERROR_FILE_NOT_FOUND) || errors.Is(err, windows.ERROR_PATH_NOT_FOUND) {
		return 0, &os.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	if err != nil {
		return 0, &os.PathError{Op: "open", Path: p, Err: err}
	}
	return h, nil
}

// finalPath is where the open handle h really is.
func finalPath(h windows.Handle) (string, error) {
	buf := make([]uint16, windows.MAX_PATH)
	for {
		n, err := windows.GetFinalPathNameByHandle(h, &buf[0], uint32(len(buf)), 0)
		if err != nil {
			return "", fmt.Errorf("final path: %w", err)
		}
		if int(n) < len(buf) {
			return windows.UTF16ToString(buf[:n]), nil
		}
		buf = make([]uint16, n+1)
	}
}

// finalPathOf is finalPath of p itself.
func finalPathOf(p string) (string, error) {
	h, err := openNoFollow(p, windows.FILE_READ_ATTRIBUTES)
	if err != nil {
		return "", err
	}
	defer windows.CloseHandle(h)
	return finalPath(h)
}

// within reports whether the final path p is root or below it.
func within(root, p string) bool {
	return strings.EqualFold(p, root) ||
		len(p) > len(root) && strings.EqualFold(p[:len(root)], root) && (p[len(root)] == '\\' || strings.HasSuffix(root, `\`))
}

// fileBasicInfo is FILE_BASIC_INFO (zero times: left as they are).
type fileBasicInfo struct {
	CreationTime, LastAccessTime, LastWriteTime, ChangeTime int64
	FileAttributes                                          uint32
	_                                                       uint32
}

// removeUnder deletes p (a file, a link or junction itself, an empty
// directory) through a handle, refusing one whose final path is not under
// root; p gone already is not an error. A read-only file loses that
// attribute first, as os.Remove does.
func removeUnder(root, p string) error {
	h, err := openNoFollow(p, windows.DELETE|windows.FILE_READ_ATTRIBUTES|windows.FILE_WRITE_ATTRIBUTES)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer windows.CloseHandle(h)
	fp, err := finalPath(h)
	if err != nil {
		return err
	}
	if !within(root, fp) {
		return fmt.Errorf("it is %s now, outside %s (a directory on the way was replaced by a link): not removed", fp, root)
	}
	del := uint32(1) // FILE_DISPOSITION_INFO{DeleteFile: TRUE}
	err = windows.SetFileInformationByHandle(h, windows.FileDispositionInfo, (*byte)(unsafe.Pointer(&del)), uint32(unsafe.Sizeof(del)))
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		var fi windows.ByHandleFileInformation
		if windows.GetFileInformationByHandle(h, &fi) == nil && fi.FileAttributes&windows.FILE_ATTRIBUTE_READONLY != 0 {
			b := fileBasicInfo{FileAttributes: fi.FileAttributes &^ windows.FILE_ATTRIBUTE_READONLY}
			if b.FileAttributes == 0 {
				b.FileAttributes = windows.FILE_ATTRIBUTE_NORMAL
			}
			if windows.SetFileInformationByHandle(h, windows.FileBasicInfo, (*byte)(unsafe.Pointer(&b)), uint32(unsafe.Sizeof(b))) == nil {
				err = windows.SetFileInformationByHandle(h, windows.FileDispositionInfo, (*byte)(unsafe.Pointer(&del)), uint32(unsafe.Sizeof(del)))
			}
		}
	}
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	return nil
}
