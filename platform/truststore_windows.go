package platform

// rootStore is the local machine's Trusted Root Certification
// Authorities store, driven by `certutil`.
var rootStore = certTool{ext: "cer",
	add: func(f string) error { return runTool("certutil", "-addstore", "Root", f) },
	has: func(id string) bool { return SystemCommand("certutil", "-store", "Root", id).Run() == nil },
	del: func(id string) error { return runTool("certutil", "-delstore", "Root", id) },
}

// AddTrustedCA adds the CA certificates in pemPath to the local
// machine's Trusted Root Certification Authorities store, one by one
// (`certutil -addstore Root FILE`: what the runner's .NET, git for
// Windows' schannel backend and curl.exe trust), and returns the handle
// RemoveTrustedCA takes: their SHA-1 thumbprints, comma-separated. A
// certificate the store holds is left as it is ("already in store"):
// idempotent. Needs an elevated process. Unverified here: Windows is
// built and vetted only.
func AddTrustedCA(pemPath string) (installed string, err error) { return rootStore.addCA(pemPath) }

// RemoveTrustedCA removes what AddTrustedCA added (its handle) from the
// Root store (`certutil -delstore Root THUMBPRINT`). One already gone is
// no error; "" does nothing.
func RemoveTrustedCA(installed string) error { return rootStore.removeCA(installed) }
