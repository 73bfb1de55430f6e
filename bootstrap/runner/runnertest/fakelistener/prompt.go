package main

import (
	"bufio"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

// prompter follows PromptManager.cs and CommandSettings.GetArgOrPrompt:
// an argument (command line or ACTIONS_RUNNER_INPUT_*) that is set and
// valid is used; otherwise, under --unattended, the default, nothing for
// an optional value, or "Invalid configuration provided for X"; without
// --unattended the question is written to stdout and a line read from
// stdin. At end of input the real ReadLine returns null: a value with a
// default gets the default, a required one is asked again forever (the
// fake waits 100 ms between rounds instead of spinning). A secret (the
// token) is read key by key with Console.ReadKey, which throws when stdin
// is not a terminal.
type prompter struct {
	a          args
	unattended bool
	in         *bufio.Reader
}

var errRedirected = errors.New("Cannot read keys when either application does not have a console or when console input has been redirected. Try Console.Read.")

var secretArgs = map[string]bool{"token": true, "pat": true, "windowslogonpassword": true}

func (p *prompter) arg(name, description, def string, valid func(string) bool, optional bool) (string, error) {
	if v := p.a.arg(name); v != "" {
		// GetArgOrPrompt consumes the argument: asked again, it prompts.
		delete(p.a.values, name)
		delete(p.a.env, name)
		if valid(v) {
			return v, nil
		}
	}
	return p.read(name, description, secretArgs[name], def, valid, optional)
}

func (p *prompter) read(name, description string, secret bool, def string, valid func(string) bool, optional bool) (string, error) {
	if p.unattended {
		switch {
		case def != "":
			return def, nil
		case optional:
			return "", nil
		}
		return "", fmt.Errorf("Invalid configuration provided for %s. Terminating unattended configuration.", name)
	}
	for {
		fmt.Print(description + " ")
		if def != "" {
			fmt.Printf("[press Enter for %s] ", def)
		} else if optional {
			fmt.Print("[press Enter to skip] ")
		}
		if secret && !isTerminal(os.Stdin) {
			fmt.Println()
			return "", errRedirected
		}
		line, err := p.in.ReadString('\n')
		eof := err != nil && line == ""
		v := strings.TrimSpace(line)
		if v == "" {
			if def != "" {
				return def, nil
			}
			if optional {
				return "", nil
			}
		}
		if v != "" {
			if valid(v) {
				return v, nil
			}
			fmt.Println("Entered value is invalid")
		}
		if eof {
			fmt.Println()
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// flag is TestFlagOrPrompt: a set flag, else a Y/N question.
func (p *prompter) flag(name, description string) bool {
	if p.a.flag(name) {
		return true
	}
	v, err := p.read(name, description, false, "N", func(s string) bool {
		return strings.EqualFold(s, "Y") || strings.EqualFold(s, "N") || strings.EqualFold(s, "true") || strings.EqualFold(s, "false")
	}, false)
	return err == nil && (strings.EqualFold(v, "Y") || strings.EqualFold(v, "true"))
}

func nonEmpty(s string) bool { return s != "" }

func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// splitLabels is CommandSettings.GetLabels: split at ',', empty items
// dropped, nothing trimmed (" gpu" is a label of its own), duplicates
// compared case-insensitively (a HashSet with OrdinalIgnoreCase).
func splitLabels(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range strings.Split(s, ",") {
		if l == "" || seen[strings.ToLower(l)] {
			continue
		}
		seen[strings.ToLower(l)] = true
		out = append(out, l)
	}
	return out
}

// validLabels is Validators.LabelsValidator: every label ≤ 256 characters.
func validLabels(s string) bool {
	for _, l := range splitLabels(s) {
		if len(l) > 256 {
			return false
		}
	}
	return true
}
