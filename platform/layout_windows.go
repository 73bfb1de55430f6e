package platform

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

const listenerName = "Runner.Listener.exe"

// ConfigScript is the runner's configuration script.
func ConfigScript() string { return "config.cmd" }

// ServiceMarker is the content of the runner's .service file for the
// service name: the name alone, no newline and no BOM, as
// WindowsServiceControlManager.cs writes it and `config.cmd remove` reads
// it back to stop and delete that service.
func ServiceMarker(name string) []byte { return []byte(name) }

// HideFile gives path the Hidden attribute, as the runner gives its
// .service, .runner and .credentials files. The file is in a directory
// jobs can write: it is opened without following a link or junction in
// its place (one there, or a directory, is refused) and changed through
// that handle.
func HideFile(path string) error {
	h, err := openNoFollow(path, windows.FILE_READ_ATTRIBUTES|windows.FILE_WRITE_ATTRIBUTES)
	if err != nil {
		return fmt.Errorf("hide %s: %w", path, err)
	}
	defer windows.CloseHandle(h)
	var fi windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(h, &fi); err != nil {
		return fmt.Errorf("hide %s: %w", path, err)
	}
	if fi.FileAttributes&(windows.FILE_ATTRIBUTE_REPARSE_POINT|windows.FILE_ATTRIBUTE_DIRECTORY) != 0 {
		return fmt.Errorf("hide %s: it is %w (attributes %#x): refused", path, ErrNotRegular, fi.FileAttributes)
	}
	b := fileBasicInfo{FileAttributes: fi.FileAttributes | windows.FILE_ATTRIBUTE_HIDDEN}
	if err := windows.SetFileInformationByHandle(h, windows.FileBasicInfo, (*byte)(unsafe.Pointer(&b)), uint32(unsafe.Sizeof(b))); err != nil {
		return fmt.Errorf("hide %s: %w", path, err)
	}
	return nil
}
