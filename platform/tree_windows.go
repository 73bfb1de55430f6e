package platform

// ChownNoFollow does nothing on Windows: files are shared by ACL, not
// owned by the runner's account (RunsAsUser).
func ChownNoFollow(dir string, uid, gid int) error { return nil }

// CheckPristine does nothing on Windows (see ChownNoFollow).
func CheckPristine(dir string) error { return nil }

// ChownPristine does nothing on Windows (see ChownNoFollow).
func ChownPristine(dir string, uid, gid int) error { return nil }
