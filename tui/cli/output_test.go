package cli

import (
	"encoding/json"
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
	// The same bytes as encoding/json writes (the output uses github.com/goccy/go-json).
	if std, err := json.Marshal(compact); err != nil || string(std)+"\n" != g.stdout {
		t.Errorf("the output differs from encoding/json's: %v\n%.300s\n%.300s", err, std, g.stdout)
	}
	h.tty = true
	g = h.ok(args...)
	if !strings.Contains(g.stdout, "\n  \"prefix\": ") {
		t.Errorf("not indented on a terminal:\n%.300s", g.stdout)
	}
	if indented := decode[prefixFlagsJSON](t, g.stdout); len(indented.Flags) != len(compact.Flags) || len(compact.Flags) == 0 {
		t.Errorf("compact %d flags, indented %d", len(compact.Flags), len(indented.Flags))
	}
}
