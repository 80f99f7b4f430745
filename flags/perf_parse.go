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
		i = skipWS(s, end)
		if i >= len(s) || s[i] != ':' {
			return f, false
		}
		i = skipWS(s, i+1)
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
			if i, want = skipValue(s, i, 1); want != "" {
				return f, false
			}
		}
		if seen&bit != 0 {
			return f, false
		}
		seen |= bit
		i = skipWS(s, i)
		if i < len(s) && s[i] == ',' {
			i = skipWS(s, i+1)
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
	i = skipWS(s, i+1)
	if i < len(s) && s[i] == ']' {
		return 0, i + 1, true
	}
	n := 0
	for {
		var want string
		if i, want = skipValue(s, i, 2); want != "" {
			return 0, i, false
		}
		n++
		i = skipWS(s, i)
		if i < len(s) && s[i] == ']' {
			return n, i + 1, true
		}
		if i >= len(s) || s[i] != ',' {
			return 0, i, false
		}
		i = skipWS(s, i+1)
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
