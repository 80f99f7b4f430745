// Package termsafe makes text read from Redis, the journal, LaunchDarkly or a Relay safe to
// print on a terminal. Anyone who can write the store or the journal can put escape
// sequences in a flag key, a reason or an operator name; printed raw, they could set the
// window title, recolour rows, move the cursor over other lines or write the clipboard
// (OSC 52). Both faces, the UI and the command line, pass such text through Escape.
package termsafe

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Escape returns s with every control character written out as an escape (`\x1b`, `\n`,
// `\u202e`), and every byte that is not UTF-8 as `\xNN`, so that what reaches the terminal is
// only printable text. A string without any is returned as it is, without allocating.
func Escape(s string) string {
	i := firstUnsafe(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(hex2(s[i]))
		case unsafeRune(r):
			b.WriteString(escapeRune(r))
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Lines is Escape for text of several lines: each line is escaped, the newlines between
// them are kept.
func Lines(s string) []string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Escape(strings.TrimSuffix(l, "\r"))
	}
	return lines
}

// firstUnsafe is the index of the first byte that needs escaping, or -1.
func firstUnsafe(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return i
		}
		if c >= 0x80 {
			// Multi-byte: decode the rest only from here on.
			for j := i; j < len(s); {
				r, size := utf8.DecodeRuneInString(s[j:])
				if (r == utf8.RuneError && size == 1) || unsafeRune(r) {
					return j
				}
				j += size
			}
			return -1
		}
	}
	return -1
}

// unsafeRune reports the runes a terminal acts on instead of printing: C0 and C1 controls,
// DEL, and the bidirectional overrides that make text read other than it is stored.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

func escapeRune(r rune) string {
	switch r {
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	}
	if r < 0x100 {
		return `\x` + hex2(byte(r))
	}
	q := strconv.QuoteRuneToASCII(r) // '\u202e'
	return q[1 : len(q)-1]
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}
