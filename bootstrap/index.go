package bootstrap

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
)

// IndexFile lists the runners installed on this host, in the host index
// directory (--index-dir, /var/lib/runnerctl by default), so that
// `status --all` and `uninstall --all` find them.
const IndexFile = "runners.json"

// IndexEntry is one installed runner.
type IndexEntry struct {
	Dir  string `json:"dir"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

type index struct {
	Runners []IndexEntry `json:"runners"`
}

// ReadIndex lists the installed runners; none when there is no index.
func ReadIndex(indexDir string) ([]IndexEntry, error) {
	b, err := os.ReadFile(filepath.Join(indexDir, IndexFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read host index: %w", err)
	}
	var ix index
	if err := json.Unmarshal(b, &ix); err != nil {
		return nil, fmt.Errorf("read host index %s: %w", filepath.Join(indexDir, IndexFile), err)
	}
	return ix.Runners, nil
}

func writeIndex(indexDir string, entries []IndexEntry) error {
	sort.Slice(entries, func(i, j int) bool { return entries[i].Dir < entries[j].Dir })
	if err := os.MkdirAll(indexDir, 0o755); err != nil {
		return fmt.Errorf("write host index: %w", err)
	}
	b, err := json.MarshalIndent(index{Runners: entries}, "", "  ")
	if err != nil {
		return fmt.Errorf("write host index: %w", err)
	}
	if err := writeAtomic(filepath.Join(indexDir, IndexFile), append(b, '\n')); err != nil {
		return fmt.Errorf("write host index: %w", err)
	}
	return nil
}

// indexAdd records e, replacing an entry for the same directory.
func indexAdd(indexDir string, e IndexEntry) error {
	entries, err := ReadIndex(indexDir)
	if err != nil {
		return err
	}
	entries = slices.DeleteFunc(entries, func(x IndexEntry) bool { return x.Dir == e.Dir })
	return writeIndex(indexDir, append(entries, e))
}

// indexRemove forgets dir; no index or no entry is fine.
func indexRemove(indexDir, dir string) error {
	entries, err := ReadIndex(indexDir)
	if err != nil || entries == nil {
		return err
	}
	kept := slices.DeleteFunc(slices.Clone(entries), func(x IndexEntry) bool { return x.Dir == dir })
	if len(kept) == len(entries) {
		return nil
	}
	return writeIndex(indexDir, kept)
}
