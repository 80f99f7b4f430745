package flags

import (
	"strconv"
	"strings"
)

// parseFlagFast is parseFlag for the JSON Relay writes: valid, member names without
// escapes, each field we decode once. It gives up (ok false) on anything else, valid or
// not, and parseFlagScanner then decides and says why: the same result for every input,
// without the scanner's callbacks and bookkeeping on every member (issue 14: reading 20,000
// flags must cost about as much as fetching them).
func parseFlagFast(s string) (f flagState, ok bool) {
	i := skipWS(s, 0)
	if i >= len(s) || s[i] != '{' {
		return f, false
	}
	i = skipWS(s, i+1)
	if i < len(s) && s[i] == '}' {
		return f, false // no member: rare, the scanner will do
	}
	var seen uint8 // the decoded members met, one bit each: a repeat goes to the scanner
	for {
		if i >= len(s) || s[i] != '"' {
			return f, false
		}
		end, escaped, want := skipString(s, i)
		if want != "" || escaped {
			return f, false
		}
		name := s[i+1 : end-1]
		if end >= len(s) || s[end] != ':' {
			return f, false
		}
		i = end + 1
		var bit uint8
		switch name {
		case "on":
			bit = 1
			if f.on, i, ok = fastBool(s, i); !ok {
				return f, false
			}
		case "version":
			bit = 2
			if f.version, i, ok = fastInt(s, i); !ok {
				return f, false
			}
			f.hasVersion = true
		case "key":
			bit = 4
			if f.key, i, ok = fastString(s, i); !ok {
				return f, false
			}
			f.hasKey = true
		case "deleted":
			bit = 8
			if !strings.HasPrefix(s[i:], "null") {
				if f.deleted, i, ok = fastBool(s, i); !ok {
					return f, false
				}
			} else {
				i += 4
			}
		case "offVariation":
			bit = 16
			if strings.HasPrefix(s[i:], "null") {
				i += 4
				break
			}
			var v int
			if v, i, ok = fastInt(s, i); !ok {
				return f, false
			}
			f.offVariation = &v
		case "variations":
			bit = 32
			if strings.HasPrefix(s[i:], "null") {
				i += 4
				break
			}
			if f.variations, i, ok = fastArrayLen(s, i); !ok {
				return f, false
			}
			f.varsArray = true
		case "prerequisites":
			bit = 64
			if strings.HasPrefix(s[i:], "null") {
				i += 4
				break
			}
			if f.prerequisites, i, ok = fastPrerequisites(s, i); !ok {
				return f, false
			}
		default:
			if i, ok = skipCompact(s, i, 1); !ok {
				return f, false
			}
		}
		if seen&bit != 0 {
			return f, false
		}
		seen |= bit
		if i < len(s) && s[i] == ',' {
			i++
			continue
		}
		if i < len(s) && s[i] == '}' {
			break
		}
		return f, false
	}
	if skipWS(s, i+1) != len(s) {
		return f, false
	}
	return f, true
}

func fastBool(s string, i int) (bool, int, bool) {
	switch {
	case strings.HasPrefix(s[i:], "true"):
		return true, i + 4, true
	case strings.HasPrefix(s[i:], "false"):
		return false, i + 5, true
	}
	return false, i, false
}

// fastInt is a JSON number that is a whole number fitting an int, as scanner.integer reads it.
func fastInt(s string, i int) (int, int, bool) {
	j, want := skipNumber(s, i)
	if want != "" {
		return 0, i, false
	}
	n, err := strconv.Atoi(s[i:j])
	return n, j, err == nil
}

// fastString is a string without escapes.
func fastString(s string, i int) (string, int, bool) {
	if i >= len(s) || s[i] != '"' {
		return "", i, false
	}
	end, escaped, want := skipString(s, i)
	if want != "" || escaped {
		return "", i, false
	}
	return s[i+1 : end-1], end, true
}

// fastArrayLen validates the array at s[i], a member of the top-level object, and counts
// its elements.
func fastArrayLen(s string, i int) (int, int, bool) {
	if i >= len(s) || s[i] != '[' {
		return 0, i, false
	}
	i++
	if i < len(s) && s[i] == ']' {
		return 0, i + 1, true
	}
	n := 0
	for {
		var ok bool
		if i, ok = skipCompact(s, i, 2); !ok {
			return 0, i, false
		}
		n++
		if i < len(s) && s[i] == ']' {
			return n, i + 1, true
		}
		if i >= len(s) || s[i] != ',' {
			return 0, i, false
		}
		i++
	}
}

// fastPrerequisites reads the "key" of each object of the prerequisites array at s[i];
// nil when there is none.
func fastPrerequisites(s string, i int) ([]string, int, bool) {
	if i >= len(s) || s[i] != '[' {
		return nil, i, false
	}
	i = skipWS(s, i+1)
	if i < len(s) && s[i] == ']' {
		return nil, i + 1, true
	}
	var keys []string
	for {
		if i >= len(s) || s[i] != '{' {
			return nil, i, false
		}
		i = skipWS(s, i+1)
		if i < len(s) && s[i] == '}' {
			i++
		} else {
			for {
				if i >= len(s) || s[i] != '"' {
					return nil, i, false
				}
				end, escaped, want := skipString(s, i)
				if want != "" || escaped {
					return nil, i, false
				}
				name := s[i+1 : end-1]
				i = skipWS(s, end)
				if i >= len(s) || s[i] != ':' {
					return nil, i, false
				}
				i = skipWS(s, i+1)
				if name == "key" {
					var k string
					var ok bool
					if k, i, ok = fastString(s, i); !ok {
						return nil, i, false
					}
					keys = append(keys, k)
				} else if i, want = skipValue(s, i, 3); want != "" {
					return nil, i, false
				}
				i = skipWS(s, i)
				if i < len(s) && s[i] == ',' {
					i = skipWS(s, i+1)
					continue
				}
				if i < len(s) && s[i] == '}' {
					i++
					break
				}
				return nil, i, false
			}
		}
		i = skipWS(s, i)
		if i < len(s) && s[i] == ']' {
			return keys, i + 1, true
		}
		if i >= len(s) || s[i] != ',' {
			return nil, i, false
		}
		i = skipWS(s, i+1)
	}
}

// skipCompact is skipValue for JSON without whitespace between tokens, what Relay writes:
// for parseFlagFast only, which then needs no skipWS call per token. It refuses (false)
// whitespace as well as whatever skipValue refuses, and parseFlagFast then leaves the flag
// to the scanner, so what is accepted does not change; where it accepts, it ends where
// skipValue ends.
func skipCompact(s string, i, depth int) (int, bool) {
	if i >= len(s) {
		return i, false
	}
	switch c := s[i]; {
	case c == '"':
		end, _, want := skipString(s, i)
		return end, want == ""
	case c == '{':
		if depth >= maxDepth {
			return i, false
		}
		i++
		if i < len(s) && s[i] == '}' {
			return i + 1, true
		}
		for {
			if i >= len(s) || s[i] != '"' {
				return i, false
			}
			end, _, want := skipString(s, i)
			if want != "" || end >= len(s) || s[end] != ':' {
				return i, false
			}
			var ok bool
			if i, ok = skipCompact(s, end+1, depth+1); !ok {
				return i, false
			}
			if i < len(s) && s[i] == ',' {
				i++
				continue
			}
			if i < len(s) && s[i] == '}' {
				return i + 1, true
			}
			return i, false
		}
	case c == '[':
		if depth >= maxDepth {
			return i, false
		}
		i++
		if i < len(s) && s[i] == ']' {
			return i + 1, true
		}
		for {
			var ok bool
			if i, ok = skipCompact(s, i, depth+1); !ok {
				return i, false
			}
			if i < len(s) && s[i] == ',' {
				i++
				continue
			}
			if i < len(s) && s[i] == ']' {
				return i + 1, true
			}
			return i, false
		}
	case c == 't':
		return i + 4, strings.HasPrefix(s[i:], "true")
	case c == 'f':
		return i + 5, strings.HasPrefix(s[i:], "false")
	case c == 'n':
		return i + 4, strings.HasPrefix(s[i:], "null")
	case c == '-' || (c >= '0' && c <= '9'):
		j, want := skipNumber(s, i)
		return j, want == ""
	}
	return i, false
}
