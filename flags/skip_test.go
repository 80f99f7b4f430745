package flags

import (
	"encoding/json"
	"math/bits"
	"testing"

	"relaycommander/flags/fixture"
)

// specialBits' lowest set bit is exactly the first byte the byte table does not call plain,
// wherever the special bytes are, however many.
func TestSpecialBitsFindsTheFirstSpecialByte(t *testing.T) {
	word := func(b []byte) uint64 {
		return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
	}
	check := func(b []byte) {
		want := 8
		for i, c := range b {
			if !plain[c] {
				want = i
				break
			}
		}
		if got := bits.TrailingZeros64(specialBits(word(b))) >> 3; got != want {
			t.Fatalf("%q: first special byte at %d, want %d", b, got, want)
		}
	}
	b := make([]byte, 8)
	for pos := 0; pos < 8; pos++ {
		for c := 0; c < 256; c++ {
			for _, after := range []byte{'a', '"', '\\', 0, 0x1f, 0x20, 0x21, 0x80, 0xff} {
				copy(b, "abcd\xc3\xa9gh")
				b[pos] = byte(c)
				for k := pos + 1; k < 8; k += 2 {
					b[k] = after
				}
				check(b)
			}
		}
	}
}

// The scanner refuses whatever encoding/json refuses (run with -fuzz to explore further).
func FuzzParseFlagAgreesWithEncodingJSON(f *testing.F) {
	for _, p := range fixture.Load() {
		for _, raw := range p.Features {
			f.Add(raw)
		}
	}
	f.Add(`{"key":"a\u0000b","on":true,"version":1,"x":"0123456789\"abcdef\\"}`)
	f.Fuzz(func(t *testing.T, raw string) {
		_, err := parseFlag(raw)
		if err == nil && !json.Valid([]byte(raw)) {
			t.Fatalf("accepted invalid JSON: %q", raw)
		}
	})
}
