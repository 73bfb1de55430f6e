package platform

import "syscall"

// onMemoryFS reports whether path is on tmpfs or ramfs (emptied at boot).
func onMemoryFS(path string) bool {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return false
	}
	t := uint32(st.Type)                      // int32 on 32-bit platforms
	return t == 0x01021994 || t == 0x858458f6 // TMPFS_MAGIC, RAMFS_MAGIC
}
