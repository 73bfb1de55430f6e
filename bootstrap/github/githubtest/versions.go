package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The runner version policy GitHub enforces (since September 2026): a
// runner older than the minimum version cannot register, and a registered
// one that has fallen below it cannot receive messages. The real answers:
//
//   - registration (config.sh): 404 from POST .../actions/runner-registration,
//     "Your runner version is out of date and can no longer register with
//     GitHub. The minimum runner version required to register with GitHub
//     Actions is now 2.329.0." (config.sh prints it after "Http response
//     code: NotFound from 'POST ...'" and exits 1);
//   - a listener's session or message poll: 403, which the runner raises as
//     AccessDeniedException(ErrorCode 1) and prints as "An error occurred:
//     Runner version v2.310.0 is deprecated and cannot receive messages.",
//     then exits 7 when ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE=1
//     is in its environment, else 1 (Program.cs).
//
// The downloads list offers only the newest package per platform, as
// GitHub's does: a test that publishes a new version replaces the list
// (SetDownloads).

// SetMinimumVersion makes the server refuse runners older than v ("": no minimum).
func (s *Server) SetMinimumVersion(v string) { s.mu.Lock(); s.minVersion = v; s.mu.Unlock() }

// versionRefusalLocked says why a runner of version v is refused, "" when
// it is not. event is "register" or "message".
func (s *Server) versionRefusalLocked(v, event string) string {
	if s.minVersion == "" || !olderVersion(v, s.minVersion) {
		return ""
	}
	if event == "register" {
		return "Your runner version is out of date and can no longer register with GitHub. The minimum runner version required to register with GitHub Actions is now " + s.minVersion + "."
	}
	return "Runner version v" + v + " is deprecated and cannot receive messages."
}

// olderVersion reports whether dotted version a is before b; a version
// that does not parse is older than any.
func olderVersion(a, b string) bool {
	var x, y [3]int
	if n, _ := fmt.Sscanf(a, "%d.%d.%d", &x[0], &x[1], &x[2]); n != 3 || strings.Count(a, ".") != 2 {
		return true
	}
	if n, _ := fmt.Sscanf(b, "%d.%d.%d", &y[0], &y[1], &y[2]); n != 3 {
		return false
	}
	for i := range x {
		if x[i] != y[i] {
			return x[i] < y[i]
		}
	}
	return false
}

func (s *Server) versionRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /_fake/minimum-version", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Version string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, "want {version}", http.StatusBadRequest)
			return
		}
		if _, err := strconv.Atoi(strings.ReplaceAll(req.Version, ".", "")); req.Version != "" && err != nil {
			http.Error(w, "version: want digits and dots", http.StatusBadRequest)
			return
		}
		s.SetMinimumVersion(req.Version)
		w.WriteHeader(http.StatusNoContent)
	})
}
