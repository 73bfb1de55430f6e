package bootstrap

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/runnerctl/runnerctl/platform"
)

// IndexFile lists the runners installed on this host, in the host index
// directory (--index-dir, /var/lib/runnerctl by default), so that
// `status --all` and `uninstall --all` find them, and says which
// runnerctl their services run.
const IndexFile = "runners.json"

// IndexEntry is one installed runner.
type IndexEntry struct {
	Dir  string `json:"dir"`
	Name string `json:"name"`
	URL  string `json:"url"`
	// Service is its OS service ("" with --no-service), User the user the
	// service runs as ("" for root): what a new runnerctl needs to
	// rewrite the service.
	Service string `json:"service,omitempty"`
	User    string `json:"user,omitempty"`
}

// BinaryRecord says which runnerctl the services run.
type BinaryRecord struct {
	Path string `json:"path"`
	// Placed: install copied itself there, so the last uninstall removes it.
	Placed bool `json:"placed"`
}

type index struct {
	Runners   []IndexEntry  `json:"runners"`
	Runnerctl *BinaryRecord `json:"runnerctl,omitempty"`
	// CreatedUsers are the runner users runnerctl created on this host:
	// the last uninstall of a runner running as one removes it.
	CreatedUsers []string `json:"created_users,omitempty"`
}

// ReadIndex lists the installed runners; none when there is no index.
func ReadIndex(indexDir string) ([]IndexEntry, error) {
	ix, err := readIndex(indexDir)
	return ix.Runners, err
}

func readIndex(indexDir string) (index, error) {
	var ix index
	if _, err := platform.ReadJSON(filepath.Join(indexDir, IndexFile), &ix); err != nil {
		return index{}, fmt.Errorf("read host index: %w", err)
	}
	return ix, nil
}

func writeIndex(indexDir string, ix index) error {
	sort.Slice(ix.Runners, func(i, j int) bool { return ix.Runners[i].Dir < ix.Runners[j].Dir })
	if err := os.MkdirAll(indexDir, 0o755); err != nil {
		return fmt.Errorf("write host index: %w", err)
	}
	b, err := json.MarshalIndent(ix, "", "  ")
	if err != nil {
		return fmt.Errorf("write host index: %w", err)
	}
	if err := platform.WriteBytesAtomic(filepath.Join(indexDir, IndexFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write host index: %w", err)
	}
	return nil
}

// updateIndex reads the index, applies f and writes it back.
func updateIndex(indexDir string, f func(*index)) error {
	ix, err := readIndex(indexDir)
	if err != nil {
		return err
	}
	f(&ix)
	return writeIndex(indexDir, ix)
}

// indexAdd records e, replacing an entry for the same directory.
func indexAdd(indexDir string, e IndexEntry) error {
	return updateIndex(indexDir, func(ix *index) {
		ix.Runners = append(slices.DeleteFunc(ix.Runners, func(x IndexEntry) bool { return x.Dir == e.Dir }), e)
	})
}

// indexRemove forgets dir; no index or no entry is fine.
func indexRemove(indexDir, dir string) error {
	ix, err := readIndex(indexDir)
	if err != nil || ix.Runners == nil {
		return err
	}
	kept := slices.DeleteFunc(slices.Clone(ix.Runners), func(x IndexEntry) bool { return x.Dir == dir })
	if len(kept) == len(ix.Runners) {
		return nil
	}
	ix.Runners = kept
	return writeIndex(indexDir, ix)
}
