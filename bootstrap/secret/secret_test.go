package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const value = "ghp_0123456789abcdefSECRET"

func TestSecretNeverFormats(t *testing.T) {
	s := New(value + "\n")
	if s.Reveal() != value {
		t.Fatalf("Reveal = %q", s.Reveal())
	}
	var out []string
	for _, verb := range []string{"%s", "%v", "%+v", "%#v", "%q", "%x", "%d"} {
		out = append(out, fmt.Sprintf(verb, s))
	}
	out = append(out, fmt.Sprint(struct{ T Secret }{s}), fmt.Sprintf("%+v", &struct{ T Secret }{s}))
	j, err := json.Marshal(map[string]any{"t": s})
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, string(j))
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "token", s)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "token", s)
	out = append(out, buf.String())
	for _, o := range out {
		if strings.Contains(o, value) || strings.Contains(o, fmt.Sprintf("%x", value)) {
			t.Errorf("secret leaked: %s", o)
		}
		if !strings.Contains(o, redacted) {
			t.Errorf("placeholder missing: %s", o)
		}
	}
}

func TestRedactor(t *testing.T) {
	var r Redactor
	r.Add(New(value), New("abc"), Secret{})
	got := r.Redact("auth failed for " + value + " (abc)")
	if strings.Contains(got, value) || !strings.Contains(got, "(abc)") {
		t.Fatalf("Redact = %q", got)
	}
	var nilR *Redactor
	if nilR.Redact("x") != "x" {
		t.Fatal("nil redactor changed text")
	}
}
