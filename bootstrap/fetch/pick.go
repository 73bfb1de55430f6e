package fetch

import (
	"fmt"
	"sort"
	"strings"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/github"
)

// Pick returns the download for osName/arch. When the server lists nothing
// for it, the error names what it does list.
func Pick(ds []github.Download, osName, arch string) (github.Download, error) {
	var offered []string
	for _, d := range ds {
		if strings.EqualFold(d.OS, osName) && strings.EqualFold(d.Architecture, arch) {
			return d, nil
		}
		offered = append(offered, d.OS+"/"+d.Architecture)
	}
	sort.Strings(offered)
	if len(offered) == 0 {
		return github.Download{}, failure.Wrap(failure.NotFound, fmt.Errorf("pick runner package: the server lists no runner packages at all"))
	}
	return github.Download{}, failure.Wrap(failure.NotFound, fmt.Errorf(
		"pick runner package: the server offers no package for %s/%s; it offers %s (choose with --os/--arch)",
		osName, arch, strings.Join(offered, ", ")))
}
