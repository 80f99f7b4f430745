package tui

import (
	"strings"
	"testing"
)

// Issue 13 item 2: a hung host (SIGSTOP: it cannot answer before its read times out) holds
// up neither an environment switch nor the header. The live host's flags are drawn while
// the hung host is still being read, and the header says DOWN once its read timed out.
func TestLoadFlowHungHostDoesNotHoldUpTheSwitch(t *testing.T) {
	f := startFlow(t, 2)
	f.see("relay-b up")
	f.servers[1].Pause()
	defer f.servers[1].Resume()

	f.keys("tab", "down") // internal-tools / production -> mobile-api / production
	fr := f.waitFor("mobile-api's flags", func(s string) bool {
		return strings.Contains(firstBoxTitle(s), "mobile-api / production") && strings.Contains(s, "beta-dashboard")
	})
	// Drawn before relay-b's read timed out: it is still being read, not down.
	if strings.Contains(fr, "DOWN") {
		t.Fatalf("the first frame with the live host's flags should not say DOWN yet:\n%s", fr)
	}
	// A moment later the status says what the screen waits for (relay-b's read runs for 1s).
	f.waitFor("relay-b named as still being read, not yet DOWN", func(s string) bool {
		return strings.Contains(s, "reading relay-b…") && !strings.Contains(s, "DOWN")
	})
	fr = f.see("relay-b DOWN")
	if !strings.Contains(fr, "relay-b did not answer") {
		t.Fatalf("the status should say why relay-b is DOWN:\n%s", fr)
	}
}
