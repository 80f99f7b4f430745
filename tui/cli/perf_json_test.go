package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"relaycommander/flags"
)

// awkwardStrings are texts encoding/json escapes: quotes, backslashes, control characters,
// HTML characters, U+2028 and U+2029, invalid UTF-8, and plain multi-byte text.
var awkwardStrings = []string{
	"", "plain", `"quoted"`, `back\slash`, "tab\there", "nl\nand\rcr", "\b\f\x00\x01\x1f\x7f",
	"<script>&amp;</script>", "line\u2028para\u2029", "bad \xff\xfe utf8", "half \xe2\x82", "€ ünï 日本 🚀",
	"\xed\xa0\x80 surrogate", "ends with \xc3",
}

func TestAppendJSONStringIsEncodingJSONs(t *testing.T) {
	check := func(s string) {
		t.Helper()
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("%q: got %s, encoding/json writes %s", s, got, want)
		}
	}
	for _, s := range awkwardStrings {
		check(s)
	}
	for c := 0; c < 256; c++ {
		check(string([]byte{byte(c)}))
		check("a" + string([]byte{byte(c)}) + "b")
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 2000; n++ {
		b := make([]byte, rnd.IntN(24))
		for i := range b {
			b[i] = byte(rnd.IntN(256))
		}
		check(string(b))
	}
}

func TestAppendJSONFloatIsEncodingJSONs(t *testing.T) {
	for _, f := range []float64{0, 1, -1, 0.001, 1.5, 12.345, 1e-7, 1.234e-9, 1e20, 1e21, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64, -2.5e-8} {
		want, _ := json.Marshal(f)
		if got := appendJSONFloat(nil, f); string(got) != string(want) {
			t.Errorf("%v: got %s, encoding/json writes %s", f, got, want)
		}
	}
}

// structuredPrefixFlags is how flags --prefix --json was built before the appender: the
// types encoded by reflection. The appender must write what encoding/json writes for it.
func structuredPrefixFlags(fs flags.FlagSet, t flags.Target, mapped bool) prefixFlagsJSON {
	out := prefixFlagsJSON{Prefix: fs.Prefix, Project: t.Project, Environment: t.Environment, Mapped: mapped, Hosts: hostsJSON(fs.Hosts),
		Flags: make([]flagJSON, 0, len(fs.Flags))}
	for _, f := range fs.Flags {
		ag := f.Agreement()
		fj := flagJSON{Key: f.Key, Agree: ag.Same(), Difference: ag.Difference, Dependants: f.Dependants, Hosts: []hostFlagJSON{}}
		for _, h := range f.Hosts {
			fj.Hosts = append(fj.Hosts, hostFlagJSON{Host: h.Host, Present: h.Present, On: h.On, Version: h.Version,
				Deleted: h.Deleted, OffVariation: h.OffVariation, Variations: h.Variations, Prerequisites: h.Prerequisites,
				Unreadable: h.Unreadable})
		}
		out.Flags = append(out.Flags, fj)
	}
	return out
}

func TestPrefixFlagsJSONIsEncodingJSONs(t *testing.T) {
	one, seven := 1, 7
	hf := func(host, raw string, on bool, version int) flags.HostFlag {
		return flags.HostFlag{Host: host, Present: true, On: on, Version: version, Variations: 2, OffVariation: &one, Raw: raw}
	}
	var fs flags.FlagSet
	fs.Prefix = "ld:<web>&\"store\":prod\u2028"
	fs.Hosts = []flags.HostStatus{
		{Host: "relay-a", Up: true, Latency: 1234567 * time.Nanosecond},
		{Host: "relay-b\xff", Up: false, Latency: 2 * time.Second, Err: errors.New("dial tcp 10.0.0.2:6379: i/o timeout <\"x\">")},
		{Host: "relay-c", Up: true},
	}
	for _, k := range append([]string{"same", "differ", "missing-one", "unreadable", "deleted", "prereqs"}, awkwardStrings...) {
		f := flags.Flag{Key: k, Hosts: []flags.HostFlag{hf("relay-a", `{"v":1}`, true, 3), {Host: "relay-b\xff", HostDown: true}, hf("relay-c", `{"v":1}`, true, 3)}}
		switch k {
		case "differ":
			f.Hosts[2] = hf("relay-c", `{"v":2}`, false, 4)
			f.Dependants = []string{"prereqs", "x<y>"}
		case "missing-one":
			f.Hosts[0] = flags.HostFlag{Host: "relay-a"}
		case "unreadable":
			f.Hosts[0] = flags.HostFlag{Host: "relay-a", Present: true, Raw: "{", Unreadable: "offset 1: JSON ends early, want a member name"}
			f.Dependants = []string{}
		case "deleted":
			f.Hosts[0].Deleted, f.Hosts[2].Deleted = true, true
			f.Hosts[0].OffVariation, f.Hosts[2].OffVariation = nil, &seven
		case "prereqs":
			f.Hosts[0].Prerequisites = []string{"differ", "\u2029"}
			f.Hosts[2].Prerequisites = []string{}
		}
		fs.Flags = append(fs.Flags, f)
	}
	for _, tc := range []struct {
		t      flags.Target
		mapped bool
	}{{flags.Target{Project: "web&store", Environment: "prod"}, true}, {flags.Target{}, false}, {flags.Target{Project: "only"}, false}} {
		want, err := json.Marshal(structuredPrefixFlags(fs, tc.t, tc.mapped))
		if err != nil {
			t.Fatal(err)
		}
		got := prefixFlagsDoc(fs, tc.t, tc.mapped, 1<<20)
		if pieces := prefixFlagsDoc(fs, tc.t, tc.mapped, 1); string(pieces) != string(got) {
			t.Errorf("target %+v: written a flag at a time, the JSON differs:\n%s\n%s", tc.t, pieces, got)
		}
		if string(got) != string(want) {
			t.Errorf("target %+v: the appender's JSON differs from encoding/json's:\n%s\n%s", tc.t, got, want)
		}
		var gotV, wantV any
		if err := json.Unmarshal(got, &gotV); err != nil {
			t.Fatalf("the appender's JSON does not parse: %v", err)
		}
		json.Unmarshal(want, &wantV)
		if !reflect.DeepEqual(gotV, wantV) {
			t.Errorf("target %+v: decoded, the appender's JSON differs from encoding/json's", tc.t)
		}
	}
	// A big prefix is encoded in parts, on several goroutines: the same document.
	big := flags.FlagSet{Prefix: fs.Prefix, Hosts: fs.Hosts}
	for len(big.Flags) < 3*jsonFlagsPerPart+7 {
		for _, f := range fs.Flags {
			f.Key = fmt.Sprintf("%05d-%s", len(big.Flags), f.Key)
			big.Flags = append(big.Flags, f)
		}
	}
	want, err := json.Marshal(structuredPrefixFlags(big, flags.Target{}, false))
	if err != nil {
		t.Fatal(err)
	}
	for _, piece := range []int{1, 1000, jsonPiece, 1 << 30} {
		if got := prefixFlagsDoc(big, flags.Target{}, false, piece); string(got) != string(want) {
			t.Errorf("%d flags written every %d bytes: the JSON differs from encoding/json's", len(big.Flags), piece)
		}
	}
	if empty := string(prefixFlagsDoc(flags.FlagSet{Prefix: "p"}, flags.Target{}, false, 1)); !strings.Contains(empty, `"hosts":[],"flags":[]`) {
		t.Errorf("no hosts and no flags: %s", empty)
	}
}

// prefixFlagsDoc is writePrefixFlagsJSON's document, written out every piece bytes.
func prefixFlagsDoc(fs flags.FlagSet, t flags.Target, mapped bool, piece int) []byte {
	var doc bytes.Buffer
	o := newJSONOut(&doc, piece)
	writePrefixFlagsJSON(o, fs, t, mapped)
	o.flush()
	return doc.Bytes()
}

// A terminal gets the document indented as encoding/json indents it.
func TestPrefixFlagsJSONIndentedAsEncodingJSON(t *testing.T) {
	fs := flags.FlagSet{Prefix: "p", Hosts: []flags.HostStatus{{Host: "a", Up: true}}}
	for _, k := range awkwardStrings {
		fs.Flags = append(fs.Flags, flags.Flag{Key: k, Dependants: []string{k}, Hosts: []flags.HostFlag{{Host: "a", Present: true, Prerequisites: []string{k, "x"}}}})
	}
	var out bytes.Buffer
	a := &app{sys: &System{Stdout: &out, StdoutTTY: true}}
	if err := a.writeStreamedJSON(func(o *jsonOut) { writePrefixFlagsJSON(o, fs, flags.Target{}, false) }); err != nil {
		t.Fatal(err)
	}
	want, err := json.MarshalIndent(structuredPrefixFlags(fs, flags.Target{}, false), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != string(want)+"\n" {
		t.Errorf("indented:\n%s\nencoding/json:\n%s", out.String(), want)
	}
}
