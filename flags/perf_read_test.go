package flags

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"relaycommander/flags/redistest"
)

// A first read parses one host's reply while the others arrive, and a refresh reuses the
// cache: whichever host answers first, every host's state is the parse of its own value,
// also where the hosts hold other keys, other values or unreadable JSON.
func TestFirstReadAndRefreshAreEachHostsParse(t *testing.T) {
	const prefix = "ld:p:e"
	a, b := redistest.Start(t), redistest.Start(t)
	ctx := context.Background()
	values := []map[string]string{{}, {}}
	for i := 0; i < 600; i++ { // past parseChunk: several workers
		key := fmt.Sprintf("flag-%03d", i)
		raw := fmt.Sprintf(`{"key":%q,"on":%t,"version":%d,"variations":[true,false],"offVariation":1,"prerequisites":[{"key":"flag-%03d","variation":0}]}`,
			key, i%2 == 0, i, (i+1)%600)
		values[0][key], values[1][key] = raw, raw
	}
	values[0]["only-a"] = `{"key":"only-a","on":true,"version":1,"variations":[]}`
	values[1]["only-b"] = `{"key":"only-b","on":false,"version":2,"variations":[]}`
	values[0]["flag-007"] = `{"key":"flag-007","on":fals}` // unreadable on a only
	values[1]["flag-008"] = `{"key":"flag-008","on":true,"version":99,"variations":[]}`
	for i, srv := range []*redistest.Server{a, b} {
		for k, v := range values[i] {
			if err := srv.Client().HSet(ctx, prefix+featuresSuffix, k, v).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	s := openStore(t, Options{}, a, b)
	check := func(what string) {
		t.Helper()
		fs, err := s.Flags(ctx, prefix)
		if err != nil {
			t.Fatal(err)
		}
		if len(fs.Flags) != 602 {
			t.Fatalf("%s: %d flags, want 602", what, len(fs.Flags))
		}
		for _, f := range fs.Flags {
			for i, h := range f.Hosts {
				raw, ok := values[i][f.Key]
				want := HostFlag{Host: hostNames[i]}
				if ok {
					want = hostFlag(hostNames[i], raw)
				}
				if !reflect.DeepEqual(h, want) {
					t.Fatalf("%s: flag %s on %s:\n%+v\nwant the parse of its own value:\n%+v", what, f.Key, h.Host, h, want)
				}
			}
		}
		if d := fs.Flags[1].Dependants; len(d) != 1 || d[0] != "flag-000" {
			t.Errorf("%s: flag-001's dependants %v, want [flag-000]", what, d)
		}
	}
	for round := 0; round < 3; round++ {
		s.parsed.reset()
		check(fmt.Sprintf("first read %d", round))
		check(fmt.Sprintf("refresh %d", round))
	}
}
