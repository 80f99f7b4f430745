package flags

import (
	"reflect"
	"strings"
	"testing"

	"relaycommander/flags/fixture"
)

// parseFlagFast may only give up, never differ: whatever it accepts, the scanner accepts
// with the same fields. Checked on every fixture flag, each of its truncations and
// single-byte changes, and hand-made oddities.
func TestParseFlagFastAgreesWithScanner(t *testing.T) {
	var inputs []string
	for _, p := range fixture.Load() {
		for _, raw := range p.Features {
			inputs = append(inputs, raw)
			for n := range len(raw) {
				inputs = append(inputs, raw[:n])
			}
			for n := 0; n < len(raw); n += 3 {
				for _, c := range []byte{'"', '\\', '{', '}', '[', ']', ',', ':', ' ', '0', '-', 'x', 0x01, 0xff} {
					b := []byte(raw)
					b[n] = c
					inputs = append(inputs, string(b))
				}
			}
		}
	}
	inputs = append(inputs,
		`{"key":"k","on":true,"on":false,"version":1,"variations":[]}`,               // a repeat: the last wins
		`{"key":"k","version":1,"version":2,"variations":[1]}`,                       // the same
		`{"k\u0065y":"k","on":true,"version":1,"variations":[]}`,                     // an escaped name
		`{"key":"k\"q","on":true,"version":1,"variations":[]}`,                       // an escaped value
		`{"key":"k","on":true,"version":1.5,"variations":[]}`,                        // not a whole number
		`{"key":"k","on":true,"version":1e2,"variations":[]}`,                        // the same
		`{"key":"k","on":true,"version":99999999999999999999,"variations":[]}`,       // out of range
		`{"key":"k","on":"off","version":1}`,                                         // not a boolean
		` { "key" : "k" , "on" : true , "version" : 3 , "variations" : [ 1 , 2 ] } `, // spaces
		`{"key":"k","deleted":null,"offVariation":null,"variations":null,"prerequisites":null}`,
		`{"key":"k","prerequisites":[{"key":"a","variation":0},{"variation":1,"key":"b"},{}],"version":7}`,
		`{"key":"k","prerequisites":[{"key":"a","key":"b"}]}`,
		`{"key":"k","prerequisites":[{"key":1}]}`,
		`{"key":"k","prerequisites":[1]}`,
		`{"key":"k","variations":[`+strings.Repeat("[", 600)+strings.Repeat("]", 600)+`]}`, // too deep
		`{"key":"k","rules":`+strings.Repeat("[", 511)+strings.Repeat("]", 511)+`}`,
		`{"key":"k","rules":`+strings.Repeat("[", 512)+strings.Repeat("]", 512)+`}`,
		`{}`, `{"on":true}x`, `{"on":true}  `, "", `[]`, `null`,
	)
	fast := 0
	for _, in := range inputs {
		got, ok := parseFlagFast(in)
		if !ok {
			continue
		}
		fast++
		want, err := parseFlagScanner(in)
		if err != nil {
			t.Errorf("%.120q: the fast path accepts what the scanner refuses: %v", in, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%.120q: fast %+v, scanner %+v", in, got, want)
		}
	}
	if fast < 110 {
		t.Errorf("the fast path read only %d inputs, not even the fixture's 110 flags", fast)
	}
}
