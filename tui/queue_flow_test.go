package tui

import (
	"strings"
	"testing"
)

// Issue 13 item 3 on real redis-servers and a real journal: a write that failed on relay-c
// is retried from its queue row with T, as the same journal change, and the queue then
// says every host has it.
func TestQueueFlowRetryFailedHost(t *testing.T) {
	f := startFlow(t, 3)
	f.selectEnv("web-store / staging")
	f.servers[2].Stop()
	f.keys("r")
	f.see("relay-c DOWN")
	f.filterTo("checkout-flow")
	f.toggleUnprotected("cdn down")
	f.see("2 of 3 hosts have it")
	f.keys("esc", "2")
	f.see("2/3, 1 FAILED")
	f.see("T retries relay-c")

	f.servers[2].Restart()
	f.servers[2].LoadFixture()
	f.keys("T")
	f.see("3 of 3 hosts have it")
	if on, _ := f.redisFlag(2, "ld:web-store:staging", "checkout-flow"); on {
		t.Fatal("the queue's retry did not write relay-c")
	}
	p := f.pending()
	if len(p) != 1 || len(p[0].Entries) != 1 {
		t.Fatalf("the retry recorded a new change: %+v", p)
	}
	for _, o := range p[0].Entries[0].Outcomes {
		if o.Outcome != "written" {
			t.Fatalf("journal outcome on %s: %s", o.Host, o.Outcome)
		}
	}
	f.keys("2")
	fr := f.see("3/3 written")
	if strings.Contains(fr, "T retries") {
		t.Fatalf("T still offered after the retry:\n%s", fr)
	}
}
