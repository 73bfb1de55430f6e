// Package config reads runnerctl's YAML config file (--config, default
// /etc/runnerctl/config.yaml) into flag values. One file serves every
// command: what a command takes from it is decided here, without the CLI
// library, so it can be tested alone.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/runnerctl/runnerctl/platform"
)

// FlagsOnly may not be set in a config file: they are about one
// invocation (`all`: `all: true` in a host's file would make every
// uninstall remove every runner; `dry-run`) or internal (`service`, set by
// install in the service definition; `config`).
func FlagsOnly() []string { return []string{"all", "dry-run", "service", "config"} }

// Command describes the command reading the file.
type Command struct {
	Name string
	// Flags are its flags' long names, true for a list flag.
	Flags map[string]bool
	// FromFlagsOnly are its flags not taken from a file (runners
	// get|delete: `name` picks what they act on).
	FromFlagsOnly []string
	// AllFlags are the long names of every command's flags; Primary those
	// of the command the file is first for (install). Only the keys count.
	AllFlags, Primary map[string]bool
}

// Setting is one flag's values from the file, in the file's words.
type Setting struct {
	Flag   string
	Values []string
}

// Settings returns the settings of raw (the file at path) that apply to
// cmd, sorted by flag. A key that is a flag of another command is left
// alone (install's `labels` does not break `status`); a key that is no
// flag of any command, one of FlagsOnly, or another command's key one
// edit from one of cmd's flags (`label` in a file install reads, for
// `labels`) is an error naming the key and the file. A value is taken as
// written (`0755` stays 0755); a list flag takes a YAML list or a
// comma-separated string; an empty value is an error.
func Settings(path string, raw []byte, cmd Command) ([]Setting, error) {
	var keys map[string]yaml.Node
	if err := yaml.Unmarshal(raw, &keys); err != nil {
		return nil, fmt.Errorf("read --config %s: %w", path, err)
	}
	var out []Setting
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if slices.Contains(FlagsOnly(), k) {
			return nil, fmt.Errorf("read --config %s: key %q cannot be set in a config file, only as the flag --%s", path, k, k)
		}
		isList, own := cmd.Flags[k]
		if !own || slices.Contains(cmd.FromFlagsOnly, k) {
			if _, known := cmd.AllFlags[k]; !known {
				return nil, fmt.Errorf("read --config %s: key %q is not a runnerctl flag (the keys are the long flag names, as in `runnerctl install --help`)", path, k)
			}
			if _, primary := cmd.Primary[k]; !primary && !own && nearFlag(k, cmd.Flags) != "" {
				near := nearFlag(k, cmd.Flags)
				return nil, fmt.Errorf("read --config %s: key %q is not a flag of %q (did you mean %q?)", path, k, cmd.Name, near)
			}
			continue // another command's setting
		}
		node := keys[k]
		vals, err := values(&node, isList)
		if err != nil {
			return nil, fmt.Errorf("read --config %s: key %q: %w", path, k, err)
		}
		out = append(out, Setting{Flag: k, Values: vals})
	}
	return out, nil
}

// values turns a YAML value into flag values, as written.
func values(n *yaml.Node, isList bool) ([]string, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil, errors.New("no value given (remove the key for the default)")
		}
		return []string{n.Value}, nil
	case yaml.SequenceNode:
		if !isList {
			return nil, errors.New("a list is given, but this flag takes one value")
		}
		var out []string
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode || item.Tag == "!!null" {
				return nil, fmt.Errorf("line %d: a list item must be a plain value", item.Line)
			}
			out = append(out, item.Value)
		}
		return out, nil
	case yaml.AliasNode:
		return values(n.Alias, isList)
	}
	return nil, errors.New("a mapping is given, but flags take a value or a list")
}

// nearFlag returns the flag of own one edit (an insertion, a deletion or
// a change of one letter) from key, or "".
func nearFlag(key string, own map[string]bool) string {
	for _, name := range slices.Sorted(maps.Keys(own)) {
		if oneEdit(key, name) {
			return name
		}
	}
	return ""
}

func oneEdit(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(b)-len(a) > 1 || a == b {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if len(a) == len(b) {
		return a[i+1:] == b[i+1:]
	}
	return a[i:] == b[i+1:]
}

// Apply sets, through set, each setting of raw for cmd whose flag isSet
// does not report set already (flag and environment win over the file).
func Apply(path string, raw []byte, cmd Command, isSet func(string) bool, set func(flag, value string) error) error {
	settings, err := Settings(path, raw, cmd)
	if err != nil {
		return err
	}
	for _, s := range settings {
		if isSet(s.Flag) {
			continue
		}
		for _, v := range s.Values {
			if err := set(s.Flag, v); err != nil {
				return fmt.Errorf("read --config %s: key %q: %w", path, s.Flag, err)
			}
		}
	}
	return nil
}

// Read reads the config file: explicit (--config) must be readable; the
// default one is skipped when it does not exist, or, reported in skipped,
// when it is not readable by us (root's 0600 file, a non-root user).
func Read(explicit, def string) (path string, raw []byte, skipped string, err error) {
	path = explicit
	if path == "" {
		path = def
	}
	raw, err = os.ReadFile(path)
	if explicit == "" && errors.Is(err, fs.ErrPermission) {
		return "", nil, path, nil
	}
	if explicit == "" && errors.Is(err, fs.ErrNotExist) {
		return "", nil, "", nil
	}
	if err != nil {
		return "", nil, "", fmt.Errorf("read --config: %w", err)
	}
	if explicit == "" {
		if err := platform.CheckDefaultConfigFile(path); err != nil {
			return "", nil, "", fmt.Errorf("default config file: %w: not used; give --config, or let only administrators change it", err)
		}
	}
	return path, raw, "", nil
}

// SplitList accepts repeated flags and comma-separated values alike.
func SplitList(in []string) []string {
	var out []string
	for _, v := range in {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
