package cli

import (
	"strings"
	"testing"
)

// --json is one compact line for a program, indented on a terminal.
func TestJSONCompactUnlessTerminal(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	args := []string{"flags", "-p", "web-store", "-e", "staging", "--json"}
	g := h.ok(args...)
	if strings.Count(g.stdout, "\n") != 1 || !strings.HasSuffix(g.stdout, "}\n") {
		t.Errorf("not one compact line when stdout is not a terminal:\n%.300s", g.stdout)
	}
	compact := decode[prefixFlagsJSON](t, g.stdout)
	h.tty = true
	g = h.ok(args...)
	if !strings.Contains(g.stdout, "\n  \"prefix\": ") {
		t.Errorf("not indented on a terminal:\n%.300s", g.stdout)
	}
	if indented := decode[prefixFlagsJSON](t, g.stdout); len(indented.Flags) != len(compact.Flags) || len(compact.Flags) == 0 {
		t.Errorf("compact %d flags, indented %d", len(compact.Flags), len(indented.Flags))
	}
}
