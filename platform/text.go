package platform

// ControlRune reports the runes no value runnerctl writes into a service
// definition, .env or config.sh's command line may hold: C0 (tab and
// newline included: a newline starts a new directive or shell command),
// DEL, C1, and the Unicode line and paragraph separators.
func ControlRune(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == '\u2028' || r == '\u2029'
}
