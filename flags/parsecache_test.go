package flags

import (
	"context"
	"reflect"
	"testing"

	"relaycommander/flags/redistest"
)

// A second read of a prefix reuses the first's parse only for values stored unchanged: a
// changed value, a flag replaced by another (the same count) or added, and a caller's edits
// of what it got, all show as if read afresh.
func TestFlagsReadAgainMatchesAFreshRead(t *testing.T) {
	const prefix = "ld:web-store:production"
	a, b := redistest.StartWithFixture(t), redistest.StartWithFixture(t)
	s := openStore(t, Options{}, a, b)
	ctx := context.Background()
	first, err := s.Flags(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	// The caller scribbles over what it got.
	for i := range first.Flags {
		for j := range first.Flags[i].Hosts {
			first.Flags[i].Hosts[j].On = !first.Flags[i].Hosts[j].On
			first.Flags[i].Hosts[j].Version = -1
		}
	}
	check := func(what string) {
		t.Helper()
		got, err := s.Flags(ctx, prefix)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := openStore(t, Options{}, a, b).Flags(ctx, prefix)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Flags, fresh.Flags) {
			t.Errorf("%s: the read again differs from a fresh read:\n%+v\n%+v", what, got.Flags, fresh.Flags)
		}
	}
	check("unchanged")

	s.Toggle(ctx, prefix, "kill-switch-checkout", false, hostNames[1]) // on one host only
	check("toggled on one host")

	c := a.Client()
	raw := c.HGet(ctx, prefix+featuresSuffix, "kill-switch-checkout").Val()
	c.HDel(ctx, prefix+featuresSuffix, "kill-switch-checkout")
	c.HSet(ctx, prefix+featuresSuffix, "a-new-flag", raw) // the same count, another set
	b.Client().HDel(ctx, prefix+featuresSuffix, "kill-switch-checkout")
	check("a flag replaced by another")

	c.HSet(ctx, prefix+featuresSuffix, "zz-added", `{"key":"zz-added","on":true,"version":1}`)
	c.HSet(ctx, prefix+featuresSuffix, "a-new-flag", `{"key":"a-new-flag","on":fals}`) // unreadable now
	check("added and broken")
}
