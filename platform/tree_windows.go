package platform

// ChownNoFollow does nothing on Windows: files are shared by ACL, not
// owned by the runner's account (RunsAsUser).
func ChownNoFollow(dir string, uid, gid int) error { return nil }

// ChownPristine does nothing on Windows (see ChownNoFollow).
func ChownPristine(dir string, uid, gid int) error { return nil }

// CheckOnlyRootWrites is a no-op on Windows: who may change a directory
// is its ACL's business (Program Files and C:\ are administrators').
func CheckOnlyRootWrites(dir string) error { return nil }
