package flags

import (
	"math/rand"
	"reflect"
	"testing"

	"relaycommander/flags/fixture"
)

// The word-at-a-time skipString and the call-saving skipValue must give exactly what the
// plain byte loops give (end, escaped, want) for every input: the references below are
// those loops, kept here only to compare with.

func refSkipString(s string, i int) (end int, escaped bool, want string) {
	i++
	for {
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

func refSkipValue(s string, i, depth int) (int, string) {
	i = skipWS(s, i)
	if i >= len(s) {
		return i, "a value"
	}
	switch c := s[i]; {
	case c == '"':
		i, _, want := refSkipString(s, i)
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
			if i, _, want = refSkipString(s, i); want != "" {
				return i, want
			}
			i = skipWS(s, i)
			if i >= len(s) || s[i] != ':' {
				return i, "':'"
			}
			if i, want = refSkipValue(s, i+1, depth+1); want != "" {
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
			if i, want = refSkipValue(s, i, depth+1); want != "" {
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

// checkSkipString compares skipString with the byte loop on the string opening at s[i].
func checkSkipString(t *testing.T, s string, i int) {
	t.Helper()
	e1, x1, w1 := skipString(s, i)
	e2, x2, w2 := refSkipString(s, i)
	if e1 != e2 || x1 != x2 || w1 != w2 {
		t.Fatalf("skipString(%q, %d) = %d %v %q, byte loop %d %v %q", s, i, e1, x1, w1, e2, x2, w2)
	}
}

func checkSkipValue(t *testing.T, s string) {
	t.Helper()
	e1, w1 := skipValue(s, 0, 0)
	e2, w2 := refSkipValue(s, 0, 0)
	if e1 != e2 || w1 != w2 {
		t.Fatalf("skipValue(%q) = %d %q, byte loop %d %q", s, e1, w1, e2, w2)
	}
	// skipCompact may refuse more (whitespace), never accept what skipValue refuses nor end
	// elsewhere.
	if e3, ok := skipCompact(s, 0, 0); ok && (w1 != "" || e3 != e1) {
		t.Fatalf("skipCompact(%q) accepts up to %d, skipValue: %d %q", s, e3, e1, w1)
	}
}

// Every byte value at every offset of the first three words, the string starting at every
// alignment, with and without a closing quote and text after it.
func TestSkipStringEveryByteAtEveryOffset(t *testing.T) {
	for lead := 0; lead < 8; lead++ { // where the opening quote sits: the words' alignment
		for pos := 0; pos < 24; pos++ {
			for c := 0; c < 256; c++ {
				body := []byte("abcdefgh\xc3\xa9jklmnopqrstuvwxyz0123")[:pos+1]
				body[pos] = byte(c)
				for _, tail := range []string{"", `"`, `",`, `x"`, `"0123456789`, `\"`, `\u00e9"`} {
					s := string(make([]byte, lead)) + `"` + string(body) + tail
					checkSkipString(t, s, lead)
				}
			}
		}
	}
}

// A string whose closing quote (or the text's end) falls exactly at a word boundary, and
// escapes (good and bad) starting at every offset so that they straddle a word.
func TestSkipStringWordBoundariesAndEscapes(t *testing.T) {
	escapes := []string{`\"`, `\\`, `\/`, `\b`, `\n`, `\t`, `\u00e9`, `\uABCD`, `\u12`, `\u12g4`,
		`\x`, `\`, `\u`, "\\\x00", "\\\xff", `\\\"`, `\\"`}
	for lead := 0; lead < 8; lead++ {
		for n := 0; n <= 33; n++ {
			plainBody := "0123456789abcdefghijklmnopqrstuvwxyz"[:n]
			pre := string(make([]byte, lead)) + `"`
			checkSkipString(t, pre+plainBody+`"`, lead)
			checkSkipString(t, pre+plainBody, lead) // the text ends inside the string
			for _, e := range escapes {
				for _, tail := range []string{"", `"`, `abcdefgh"`, "\x01\"", "\x7f\"", "\x80\""} {
					checkSkipString(t, pre+plainBody+e+tail, lead)
				}
			}
		}
	}
}

func randomJSONish(r *rand.Rand, n int) string {
	const alphabet = `"\\/ubfnrt0123456789aAeE{}[],:- .+tfn` + "\x00\x1f\x20\x7f\x80\xc3\xa9\xff\t\n"
	b := make([]byte, n)
	for k := range b {
		if r.Intn(3) == 0 {
			b[k] = byte(r.Intn(256))
		} else {
			b[k] = alphabet[r.Intn(len(alphabet))]
		}
	}
	return string(b)
}

func TestSkipAgreesWithByteLoopOnRandomInput(t *testing.T) {
	r := rand.New(rand.NewSource(14))
	for k := 0; k < 200000; k++ {
		s := `"` + randomJSONish(r, r.Intn(40))
		checkSkipString(t, s, 0)
	}
	for k := 0; k < 100000; k++ {
		checkSkipValue(t, randomJSONish(r, r.Intn(60)))
	}
	for _, p := range fixture.Load() {
		for _, raw := range p.Features {
			if _, ok := skipCompact(raw, 0, 0); !ok {
				t.Fatalf("skipCompact refuses the compact %q", raw)
			}
			checkSkipValue(t, raw)
			for n := 0; n < len(raw); n++ { // cut short or one byte changed anywhere
				checkSkipValue(t, raw[:n])
				for _, c := range []byte("\"\\{}[],: 0-x\x01\xffe.") {
					b := []byte(raw)
					b[n] = c
					checkSkipValue(t, string(b))
				}
			}
		}
	}
}

// go test ./flags/ -run '^$' -fuzz FuzzSkipAgreesWithByteLoop -fuzztime 60s
func FuzzSkipAgreesWithByteLoop(f *testing.F) {
	for _, seed := range []string{
		`"abcdefg"`, `"abcdefgh"`, `"abcdefghijklmno"`, `"abc\"defgh"`, `"abcdefg\u00e9"`,
		"\"a\x1fb\"", "\"caf\xc3\xa9\"", `"\u12`, `{"a":["x",1,true,{"b":null}],"c":"d"}`,
		`[1,"two",-3.5e+2,false]`, `{"key":"x","on":true,"version":1}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i := 0; i < len(s) && i < 8; i++ {
			if s[i] == '"' {
				checkSkipString(t, s, i)
			}
		}
		checkSkipString(t, `"`+s, 0)
		checkSkipValue(t, s)
	})
}

// parseFlagFast (now without whitespace between tokens) may only give up, never differ
// from the scanner: go test ./flags/ -run '^$' -fuzz FuzzParseFlagFastAgreesWithScanner
func FuzzParseFlagFastAgreesWithScanner(f *testing.F) {
	for _, raw := range fixture.Load()["ld:web-store:production"].Features {
		f.Add(raw)
	}
	f.Add(` { "key" : "k" , "on" : true , "version" : 3 , "variations" : [ 1 , 2 ] } `)
	f.Fuzz(func(t *testing.T, raw string) {
		got, ok := parseFlagFast(raw)
		if !ok {
			return
		}
		want, err := parseFlagScanner(raw)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: fast %+v, scanner %+v %v", raw, got, want, err)
		}
	})
}
