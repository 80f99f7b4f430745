package flags

import (
	"math/bits"
)

// The hot path of reading: skipping the values we do not decode (rules, targets, salt...)
// while still validating them. Plain functions over (text, index) keep the index in a
// register instead of going through the scanner on every byte. Each returns the index
// just past what it skipped, or the offending index and what was wanted there.

func skipWS(s string, i int) int {
	// Stored flags are compact: one comparison usually says there is nothing to skip.
	for i < len(s) && s[i] <= ' ' && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

func skipValue(s string, i, depth int) (int, string) {
	i = skipWS(s, i)
	if i >= len(s) {
		return i, "a value"
	}
	switch c := s[i]; {
	case c == '"':
		i, _, want := skipString(s, i)
		return i, want
	case c == '{':
		if depth >= maxDepth {
			return i, "less nesting"
		}
		i = skipWS(s, i+1)
		if i < len(s) && s[i] == '}' {
			return i + 1, ""
		}
		for {
			if i >= len(s) || s[i] != '"' {
				return i, "a member name"
			}
			var want string
			if i, _, want = skipString(s, i); want != "" {
				return i, want
			}
			i = skipWS(s, i)
			if i >= len(s) || s[i] != ':' {
				return i, "':'"
			}
			if i, want = skipValue(s, i+1, depth+1); want != "" {
				return i, want
			}
			i = skipWS(s, i)
			if i < len(s) && s[i] == '}' {
				return i + 1, ""
			}
			if i >= len(s) || s[i] != ',' {
				return i, "',' or '}'"
			}
			i = skipWS(s, i+1)
		}
	case c == '[':
		if depth >= maxDepth {
			return i, "less nesting"
		}
		i = skipWS(s, i+1)
		if i < len(s) && s[i] == ']' {
			return i + 1, ""
		}
		for {
			var want string
			if i, want = skipValue(s, i, depth+1); want != "" {
				return i, want
			}
			i = skipWS(s, i)
			if i < len(s) && s[i] == ']' {
				return i + 1, ""
			}
			if i >= len(s) || s[i] != ',' {
				return i, "',' or ']'"
			}
			i++
		}
	case c == 't':
		if i+4 <= len(s) && s[i+1] == 'r' && s[i+2] == 'u' && s[i+3] == 'e' {
			return i + 4, ""
		}
		return i, "true"
	case c == 'f':
		if i+5 <= len(s) && s[i+1] == 'a' && s[i+2] == 'l' && s[i+3] == 's' && s[i+4] == 'e' {
			return i + 5, ""
		}
		return i, "false"
	case c == 'n':
		if i+4 <= len(s) && s[i+1] == 'u' && s[i+2] == 'l' && s[i+3] == 'l' {
			return i + 4, ""
		}
		return i, "null"
	case c == '-' || (c >= '0' && c <= '9'):
		return skipNumber(s, i)
	}
	return i, "a value"
}

// skipString skips the string whose opening quote is at s[i].
func skipString(s string, i int) (end int, escaped bool, want string) {
	i++
	for {
		// Eight bytes at a time while none of them needs a closer look.
		for i+8 <= len(s) {
			b := s[i : i+8]
			v := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
				uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
			if m := specialBits(v); m != 0 {
				tz := bits.TrailingZeros64(m) // 8k+7 for byte k, the first that needs a look
				i += tz >> 3
				if byte(v>>(tz&^7)) == '"' { // from the register: no load on the usual end
					return i + 1, escaped, ""
				}
				break
			}
			i += 8
		}
		for i < len(s) && plain[s[i]] {
			i++
		}
		if i >= len(s) {
			return i, false, `closing '"'`
		}
		switch s[i] {
		case '"':
			return i + 1, escaped, ""
		case '\\':
			escaped = true
			i++
			if i >= len(s) {
				return i, false, "an escape"
			}
			switch s[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				i++
				for k := 0; k < 4; k++ {
					if i >= len(s) || !isHex(s[i]) {
						return i, false, "a hex digit"
					}
					i++
				}
			default:
				return i, false, "an escape"
			}
		default:
			return i, false, "no control character in a string"
		}
	}
}

func skipDigits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// skipNumber skips a number as JSON spells it: no leading zeros, no bare '.', no '+'.
func skipNumber(s string, i int) (int, string) {
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = skipDigits(s, i)
	default:
		return i, "a digit"
	}
	if i < len(s) && s[i] == '.' {
		j := skipDigits(s, i+1)
		if j == i+1 {
			return j, "a digit"
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := skipDigits(s, i)
		if j == i {
			return j, "a digit"
		}
		i = j
	}
	return i, ""
}

// specialBits has the high bit set of each byte of v (little-endian) that is '"', '\\' or a
// control character, and possibly of bytes after the first such byte (a borrow from it):
// the lowest set bit always marks the first one exactly.
//
// Two word tests instead of three: xor with 0x02 maps '"' (0x22) to 0x20 and keeps every
// control character below 0x20 (and every byte >= 0x80 at or above 0x80), so "below 0x21
// after the xor" is exactly "a control character or '"'"; the other test is the zero-byte
// test for '\\'. Bytes >= 0x80 are never flagged: they are plain, as in the byte table.
func specialBits(v uint64) uint64 {
	ctlQuote := v ^ (ones * 0x02)
	backslash := v ^ (ones * '\\')
	x := (ctlQuote - ones*0x21) & ^ctlQuote
	x |= (backslash - ones) & ^backslash
	return x & highs
}
