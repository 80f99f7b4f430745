package termsafe

import (
	"strings"
	"testing"
	"unicode"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"kill-switch-checkout", "kill-switch-checkout"},
		{"", ""},
		{"café ✓ 日本", "café ✓ 日本"},
		{"evil\x1b]0;PWNED\a\x1b[31mRED\x1b[0m", `evil\x1b]0;PWNED\x07\x1b[31mRED\x1b[0m`},
		{"line1\nline2\ttab\rcr", `line1\nline2\ttab\rcr`},
		{"osc52 \x1b]52;c;aGVsbG8=\a", `osc52 \x1b]52;c;aGVsbG8=\x07`},
		{"c1 \u009b31m csi", `c1 \x9b31m csi`},
		{"del\x7f", `del\x7f`},
		{"bidi \u202egnp.exe", `bidi \u202egnp.exe`},
		{"bad utf8 \xff\xfe end", `bad utf8 \xff\xfe end`},
		{"é then \x1b", `é then \x1b`},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLines(t *testing.T) {
	got := Lines("a\x1b[2J\r\nb")
	if len(got) != 2 || got[0] != `a\x1b[2J` || got[1] != "b" {
		t.Errorf("Lines = %q", got)
	}
}

// FuzzEscape: whatever goes in, nothing a terminal acts on comes out, and clean text is kept.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"plain", "\x1b[31m", "\u202e", "\xff", "ok é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Escape(s)
		for _, r := range out {
			if unicode.IsControl(r) || unsafeRune(r) || r == '\uFFFD' && !strings.ContainsRune(s, '\uFFFD') {
				t.Fatalf("Escape(%q) = %q still holds %U", s, out, r)
			}
		}
		if firstUnsafe(s) < 0 && out != s {
			t.Fatalf("clean %q changed to %q", s, out)
		}
	})
}

func BenchmarkEscapeClean(b *testing.B) {
	s := "kill-switch-checkout-with-a-longer-key"
	for b.Loop() {
		if Escape(s) != s {
			b.Fatal("changed")
		}
	}
}
