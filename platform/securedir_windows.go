package platform

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/windows"
)

// adminsOnly is a protected DACL: full control for SYSTEM and the
// Administrators group, inherited by what is made inside, nothing for
// anyone else (the meaning of 0700 root on Unix).
const adminsOnly = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"

// adminsUsersRead is adminsOnly plus read and execute for Users: a
// directory everyone reads and only administrators change (0755 root).
const adminsUsersRead = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)"

// SecureDir makes dir and gives it (and what it holds) to SYSTEM and
// Administrators only; a reparse point (link) in its place is refused.
func SecureDir(dir string) error { return secureDir(dir, adminsOnly) }

// SecureSharedDir makes dir, when this process is elevated, readable by
// Users and changeable by SYSTEM and Administrators only: the package
// cache and the services' status directories under ProgramData, where
// any user may otherwise make folders (and so plant one first, or a
// junction for an administrator to write through). A directory another
// account owns, or a link in its place, is refused. Unelevated, it only
// makes dir: the caller's own files.
func SecureSharedDir(dir string) error {
	if !windows.GetCurrentProcessToken().IsElevated() {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("make directory %s: %w", dir, err)
		}
		return nil
	}
	return secureDir(dir, adminsUsersRead)
}

// secureDir makes dir with, or gives it, the protected DACL sddl.
func secureDir(dir, sddl string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("secure directory %s: %w", dir, err)
	}
	if err := MkdirRestricted(dir); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("secure directory %s: %w", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("secure directory %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("secure directory %s: it is a link or a file, not a directory: remove it", dir)
	}
	// Whoever owns it may rewrite its ACL: it must be SYSTEM's or the
	// Administrators' (a directory another user made first is refused).
	sd, err := windows.GetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION)
	if err != nil {
		return fmt.Errorf("secure directory %s: read its owner: %w", dir, err)
	}
	own, _, err := sd.Owner()
	if err != nil {
		return fmt.Errorf("secure directory %s: read its owner: %w", dir, err)
	}
	if !own.IsWellKnown(windows.WinBuiltinAdministratorsSid) && !own.IsWellKnown(windows.WinLocalSystemSid) && !ownedByMe(own) {
		return fmt.Errorf("secure directory %s: it is owned by %s, not by SYSTEM or Administrators: remove it or choose another directory", dir, own.String())
	}
	if err := setDACL(dir, sddl); err != nil {
		return fmt.Errorf("secure directory %s: %w", dir, err)
	}
	return nil
}

// RestrictDir gives dir, and what is made in it, to SYSTEM and
// Administrators only (a protected DACL): the staging directory where
// the package is extracted and config.cmd registers, which no job (the
// service account is in Authenticated Users, which may change folders
// made under C:\) may touch.
func RestrictDir(dir string) error { return setDACL(dir, adminsOnly) }

// setDACL gives dir the protected DACL sddl.
func setDACL(dir, sddl string) error {
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		return err
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return err
	}
	if err := windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil); err != nil {
		return fmt.Errorf("set the ACL of %s: %w", dir, err)
	}
	return nil
}

// MkdirRestricted makes dir (not its parents) with RestrictDir's ACL
// from its first moment: created with it (CreateDirectory with that
// security descriptor), so no other user can open it in between and keep
// the handle. An existing dir is an error (fs.ErrExist).
func MkdirRestricted(dir string) error {
	sd, err := windows.SecurityDescriptorFromString(adminsOnly)
	if err != nil {
		return err
	}
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return err
	}
	sa := &windows.SecurityAttributes{SecurityDescriptor: sd}
	sa.Length = uint32(unsafe.Sizeof(*sa))
	if err := windows.CreateDirectory(p, sa); err != nil {
		if errors.Is(err, windows.ERROR_ALREADY_EXISTS) {
			return &os.PathError{Op: "mkdir", Path: dir, Err: fs.ErrExist}
		}
		return &os.PathError{Op: "mkdir", Path: dir, Err: err}
	}
	return nil
}

// RestrictMovedTree gives dir (a tree moved out of a RestrictDir
// directory) RestrictDir's protected SYSTEM+Administrators DACL of its
// own, propagated to what it holds: its entries carry ACEs inherited from
// the directory it was moved out of, which a move does not update, and
// letting it inherit from its new parent instead would open it to
// whatever that parent gives: under C:\, Authenticated Users Modify,
// so that any local user could change a prepared tree whose config.cmd
// an administrator's install runs later. GrantServiceAccess adds the
// service account when the tree is installed.
func RestrictMovedTree(dir string) error { return RestrictDir(dir) }

// LockFile takes an exclusive lock on path, waiting for another holder;
// unlock releases it.
func LockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	ol := new(windows.Overlapped)
	if err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, ol); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { _ = windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, ol); f.Close() }, nil
}

// CheckRootFile refuses a file that an account other than SYSTEM, the
// Administrators and this process's own user (an administrator: where the
// default owner of what one makes is the user, not the group) can change:
// a link or junction in its place, another owner (whoever owns it may
// rewrite its ACL: a file a user planted is theirs), or a DACL that lets
// anyone else write it,
// append to it, delete it or change its ACL or owner (a NULL DACL lets
// everyone). Its directory is not checked: a file in a directory users
// may add to (ProgramData's) is still refused unless an administrator
// made it and kept it theirs.
func CheckRootFile(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is %w (%s): a link is not followed", path, ErrNotRegular, fi.Mode().Type())
	}
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return fmt.Errorf("%s: read its owner and ACL: %w", path, err)
	}
	if err := adminsOnlyWrite(sd); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// otherWrite is what no one but SYSTEM, the Administrators and this
// process's user may hold on a file runnerctl trusts as an administrator.
const otherWrite = windows.FILE_WRITE_DATA | windows.FILE_APPEND_DATA | windows.DELETE | windows.WRITE_DAC |
	windows.WRITE_OWNER | windows.GENERIC_WRITE | windows.GENERIC_ALL

// adminsOnlyWrite is CheckRootFile's test of a security descriptor.
func adminsOnlyWrite(sd *windows.SECURITY_DESCRIPTOR) error {
	admin := func(sid *windows.SID) bool {
		return sid.IsWellKnown(windows.WinBuiltinAdministratorsSid) || sid.IsWellKnown(windows.WinLocalSystemSid) || ownedByMe(sid)
	}
	own, _, err := sd.Owner()
	if err != nil {
		return fmt.Errorf("read its owner: %w", err)
	}
	if own == nil || !admin(own) {
		return fmt.Errorf("it is owned by %v, not by SYSTEM, Administrators or this user", own)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return fmt.Errorf("read its ACL: %w", err)
	}
	if dacl == nil {
		return errors.New("it has no DACL: everyone may change it")
	}
	for i := range uint32(dacl.AceCount) {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, i, &ace); err != nil {
			return fmt.Errorf("read its ACL: %w", err)
		}
		if ace.Header.AceType != windows.ACCESS_ALLOWED_ACE_TYPE || ace.Header.AceFlags&windows.INHERIT_ONLY_ACE != 0 ||
			uint32(ace.Mask)&otherWrite == 0 {
			continue
		}
		if sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart)); !admin(sid) {
			return fmt.Errorf("%s may change it (access mask %#x)", sid.String(), uint32(ace.Mask))
		}
	}
	return nil
}

// CheckNoOtherLink is a no-op on Windows: see CheckRootOnly.
func CheckNoOtherLink(path string) error { return nil }

// CheckNoOtherWriter is a no-op on Windows: see CheckRootOnly.
func CheckNoOtherWriter(dir string) error { return nil }

// ownedByMe reports whether sid is this process's own user (the owner of
// what it creates where the default owner is the user, not the
// Administrators group).
func ownedByMe(sid *windows.SID) bool {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	return err == nil && u.User.Sid.Equals(sid)
}

// GrantServiceAccess gives dir, and what it holds and will hold
// (inherited), to the service account (account, or WindowsServiceAccount
// when "") with full control, and otherwise to SYSTEM and Administrators
// only: a protected DACL. The runner's own Windows service setup grants
// its account the runner and work folders
// (GrantDirectoryPermissionForAccount; it grants a local group holding
// the account, runnerctl grants the account itself: one service per
// directory) on top of what the folder inherits; runnerctl does not keep
// that inheritance, because under C:\ (the default C:\actions-runner)
// it gives Authenticated Users Modify of the whole tree: any local user
// could replace Runner.Listener.exe or read the runner's credentials. The
// listener writes _diag, _work and its update there.
func GrantServiceAccess(dir, account string) error {
	if account == "" {
		account = WindowsServiceAccount
	}
	sid, _, _, err := windows.LookupSID("", account)
	if err != nil {
		return fmt.Errorf("grant %s access to %s: look up the account: %w", account, dir, err)
	}
	sd, err := windows.SecurityDescriptorFromString(adminsOnly + "(A;OICI;FA;;;" + sid.String() + ")")
	if err != nil {
		return fmt.Errorf("grant %s access to %s: %w", account, dir, err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return fmt.Errorf("grant %s access to %s: %w", account, dir, err)
	}
	if err := windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil); err != nil {
		return fmt.Errorf("grant %s access to %s: %w", account, dir, err)
	}
	return nil
}
