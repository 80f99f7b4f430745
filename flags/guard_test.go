package flags

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"relaycommander/flags/redistest"
)

// relayFlag is a minimal flag in Relay's shape.
func relayFlag(key, version string) string {
	return `{"key":"` + key + `","on":true,"variations":[true,false],"offVariation":1,"version":` + version + `}`
}

// Defect 6: a version that old+1 would overflow, that is past what a JSON number holds
// exactly (2^53-1), or that is negative is refused, naming prefix, flag, host and version;
// nothing is written.
func TestToggleRefusesVersionsOutOfRange(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	const prefix = "ld:p:e"
	for _, v := range []string{"9223372036854775807", "9007199254740991", "-1"} {
		srv.Client().HSet(ctx, prefix+featuresSuffix, "f"+v, relayFlag("f"+v, v))
	}
	srv.Client().HSet(ctx, prefix+featuresSuffix, "largest", relayFlag("largest", "9007199254740990"))
	s := openStore(t, Options{}, srv)
	before := dumpHash(t, srv, prefix+featuresSuffix)
	for _, v := range []string{"9223372036854775807", "9007199254740991", "-1"} {
		r := s.Toggle(ctx, prefix, "f"+v, false).Hosts[0]
		if r.Outcome != Failed || !errors.Is(r.Err, ErrVersionRange) {
			t.Errorf("version %s: %+v, want refused with ErrVersionRange", v, r)
			continue
		}
		for _, w := range []string{prefix, `"f` + v + `"`, "relay-a", v} {
			if !strings.Contains(r.Err.Error(), w) {
				t.Errorf("version %s: error %q does not name %s", v, r.Err, w)
			}
		}
	}
	if after := dumpHash(t, srv, prefix+featuresSuffix); !reflect.DeepEqual(before, after) {
		t.Error("a refused toggle changed the hash")
	}
	if r := s.Toggle(ctx, prefix, "largest", false).Hosts[0]; r.Outcome != Written || r.NewVersion != 1<<53-1 {
		t.Errorf("version 2^53-2: %+v, want written at 2^53-1", r)
	}
}

// Defect 9: a *:features hash value that lacks Relay's shape (key equal to the field name,
// a variations array, a numeric version) is not a Relay flag: refused, nothing written.
func TestToggleRefusesValuesThatAreNotRelayFlags(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	values := map[string]string{
		"owned":         `{"on":true,"owner":"team-x"}`,
		"other-key":     relayFlag("someone-else", "3"),
		"no-variations": `{"key":"no-variations","on":true,"version":3}`,
		"null-vars":     `{"key":"null-vars","on":true,"variations":null,"version":3}`,
		"no-version":    `{"key":"no-version","on":true,"variations":[true,false]}`,
	}
	for k, v := range values {
		srv.Client().HSet(ctx, "app2"+featuresSuffix, k, v)
	}
	s := openStore(t, Options{}, srv)
	before := dumpHash(t, srv, "app2"+featuresSuffix)
	for k := range values {
		r := s.Toggle(ctx, "app2", k, false).Hosts[0]
		if r.Outcome != Failed || !errors.Is(r.Err, ErrNotRelayFlag) {
			t.Errorf("%s: %+v, want refused with ErrNotRelayFlag", k, r)
			continue
		}
		if !strings.Contains(r.Err.Error(), `"`+k+`"`) || !strings.Contains(r.Err.Error(), "relay-a") {
			t.Errorf("%s: error %q does not name the flag and host", k, r.Err)
		}
	}
	if after := dumpHash(t, srv, "app2"+featuresSuffix); !reflect.DeepEqual(before, after) {
		t.Errorf("a refused toggle changed the hash:\n%v\n%v", before, after)
	}
}
