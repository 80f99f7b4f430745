package cli

import (
	"regexp"
	"strings"
	"testing"

	"relaycommander/flags/fixture"
)

type flagsListJSON struct {
	Hosts    []hostJSON   `json:"hosts"`
	Prefixes []prefixJSON `json:"prefixes"`
}

type flagsOneJSON struct {
	Prefix      string     `json:"prefix"`
	Project     string     `json:"project"`
	Environment string     `json:"environment"`
	Mapped      bool       `json:"mapped"`
	Hosts       []hostJSON `json:"hosts"`
	Flags       []flagJSON `json:"flags"`
}

func TestFlags(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	fx := fixture.Load()

	list := decode[flagsListJSON](t, h.ok("flags", "--json").stdout)
	if len(list.Prefixes) != len(fx) {
		t.Errorf("%d prefixes, the fixture has %d", len(list.Prefixes), len(fx))
	}
	for _, p := range list.Prefixes {
		want, ok := fx[p.Prefix]
		if !ok {
			t.Errorf("prefix %s is not in the fixture", p.Prefix)
			continue
		}
		if len(p.Hosts) != 2 || !p.Hosts[0].Present || p.Hosts[0].Inited != want.Inited || p.Hosts[1].Flags != len(want.Features) {
			t.Errorf("prefix %s: %+v", p.Prefix, p.Hosts)
		}
		if p.Prefix == "launchdarkly" && p.Mapped {
			t.Errorf("launchdarkly is mapped without a mapping")
		}
	}

	// One project.
	g := h.ok("flags", "-p", "web-store")
	if !strings.Contains(g.stdout, "ld:web-store:staging") || strings.Contains(g.stdout, "ld:payments:") {
		t.Errorf("flags -p web-store:\n%s", g.stdout)
	}

	// One environment, state per host.
	one := decode[flagsOneJSON](t, h.ok("flags", "-p", "web-store", "-e", "staging", "--json").stdout)
	if one.Prefix != "ld:web-store:staging" || one.Project != "web-store" || !one.Mapped || len(one.Flags) != len(fx["ld:web-store:staging"].Features) {
		t.Fatalf("flags -p -e: %+v", one)
	}
	for _, f := range one.Flags {
		if len(f.Hosts) != 2 || f.Hosts[0].Host != a.Addr || f.Hosts[1].Host != b.Addr || !f.Agree {
			t.Errorf("flag %s: %+v", f.Key, f)
		}
		if f.Hosts[0].Deleted {
			continue
		}
		on, ver := stored(t, a, one.Prefix, f.Key)
		if f.Hosts[0].On != on || f.Hosts[0].Version != ver {
			t.Errorf("flag %s: shown %v v%d, stored %v v%d", f.Key, f.Hosts[0].On, f.Hosts[0].Version, on, ver)
		}
	}

	// An explicit prefix mapping names a prefix the convention cannot.
	h.write("relaycommander.yaml", "prefixes:\n  launchdarkly:\n    project: legacy\n    environment: prod\n", 0o600)
	one = decode[flagsOneJSON](t, h.ok("flags", "-p", "legacy", "-e", "prod", "--json").stdout)
	if one.Prefix != "launchdarkly" || !one.Mapped {
		t.Errorf("mapped prefix: %+v", one)
	}

	// Unknown prefix: an error that says how to list them.
	wantCode(t, h.run("", false, "flags", "-p", "nope", "-e", "prod"), ExitError, "ld:nope:prod", "relaycommander flags")

	// One host down: the other's data, and exit 3.
	b.Stop()
	g = h.run("", false, "flags", "-p", "web-store", "-e", "staging", "--json")
	wantCode(t, g, ExitPartial, b.Addr)
	one = decode[flagsOneJSON](t, g.stdout)
	if one.Hosts[0].Up != true || one.Hosts[1].Up != false || len(one.Flags) == 0 {
		t.Errorf("one host down: %+v", one.Hosts)
	}
}

// With no host answering, flags says so, with each host's error and what to check, and never
// that what is shown comes from the others.
func TestFlagsNoHostAnswers(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	h.env["RC_REDIS_DIAL_TIMEOUT"] = "300ms"
	h.env["RC_REDIS_COMMAND_TIMEOUT"] = "300ms"
	a.Stop()
	b.Stop()
	for _, args := range [][]string{{"flags"}, {"flags", "--json"}, {"flags", "-p", "web-store", "-e", "production"}} {
		g := h.run("", false, args...)
		wantCode(t, g, ExitError, "no Redis host answered", "  host "+a.Addr+": ", "  host "+b.Addr+": ", "connection refused",
			"redis-cli -h HOST -p PORT ping", "relaycommander config")
		if strings.Contains(g.stderr, "comes from the others") || strings.Contains(g.stdout, "No store prefix") {
			t.Errorf("%v with no host answering:\nstdout:\n%s\nstderr:\n%s", args, g.stdout, g.stderr)
		}
	}
}

// The hosts' table gives a latency as status does (0.4 ms), and none for a host that is
// down (it was never measured).
func TestFlagsHostTableLatency(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	b.Stop()
	g := h.run("", false, "flags")
	wantCode(t, g, ExitPartial)
	latency := regexp.MustCompile(`^\d+\.\d ms$`)
	rows := 0
	for _, l := range strings.Split(g.stdout, "\n") {
		fields := strings.Fields(l)
		if len(fields) < 2 || (fields[0] != a.Addr && fields[0] != b.Addr) {
			continue
		}
		rows++
		switch last := strings.Join(fields[2:], " "); {
		case fields[0] == a.Addr && (fields[1] != "up" || !latency.MatchString(last)):
			t.Errorf("the host that answered: %q", l)
		case fields[0] == b.Addr && (fields[1] != "DOWN" || last != "-"):
			t.Errorf("the host that is down: %q", l)
		}
	}
	if rows != 2 {
		t.Errorf("%d rows for the hosts:\n%s", rows, g.stdout)
	}
	// The down host is named once on its line, not again by its error.
	if !strings.Contains(g.stderr, "Redis host "+b.Addr+" did not answer: ping: ") || strings.Contains(g.stderr, "host "+b.Addr+": ") {
		t.Errorf("the down host's line:\n%s", g.stderr)
	}
}
