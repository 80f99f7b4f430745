package flags

import (
	"context"
	"testing"
	"time"

	"github.com/launchdarkly/go-sdk-common/v3/ldcontext"
	"github.com/launchdarkly/go-sdk-common/v3/ldreason"
	ldredis "github.com/launchdarkly/go-server-sdk-redis-redigo/v3"
	ld "github.com/launchdarkly/go-server-sdk/v7"
	"github.com/launchdarkly/go-server-sdk/v7/ldcomponents"

	"relaycommander/flags/redistest"
)

// LaunchDarkly's own Go SDK in daemon mode (reading the Relay's Redis store directly, as
// applications next to a Relay do) sees every toggle made by this package, both ways, for
// a flag with an offVariation and one without (off then serves the application's default).
func TestGoSDKDaemonModeSeesToggles(t *testing.T) {
	srv := redistest.StartWithFixture(t)
	if !srv.Real() {
		t.Skip("the SDK's redigo store needs a real redis-server")
	}
	const prefix = "ld:web-store:production"
	s := openStore(t, Options{}, srv)
	ctx := context.Background()

	config := ld.Config{
		DataSource: ldcomponents.ExternalUpdatesOnly(),
		DataStore: ldcomponents.PersistentDataStore(
			ldredis.DataStore().URL("redis://" + srv.Addr).Prefix(prefix),
		).NoCaching(),
		Events:  ldcomponents.NoEvents(),
		Logging: ldcomponents.NoLogging(),
	}
	client, err := ld.MakeCustomClient("sdk-test-key", config, 5*time.Second)
	if err != nil {
		t.Fatalf("SDK client: %v", err)
	}
	defer client.Close()
	if !client.Initialized() {
		t.Fatal("SDK client not initialized from the store ($inited)")
	}
	user := ldcontext.New("user-42")

	// kill-switch-checkout: on serves variation 0 (true), off serves offVariation 1 (false).
	// legacy-export: on serves variation 0 (true), off has offVariation null: the
	// application's default (false here) with reason OFF and no variation index.
	for _, tc := range []struct {
		flag          string
		startOn       bool
		offValue      bool
		offHasVariant bool
	}{
		{"kill-switch-checkout", true, false, true},
		{"legacy-export", false, false, false},
	} {
		check := func(wantOn bool, when string) {
			t.Helper()
			v, detail, err := client.BoolVariationDetail(tc.flag, user, false)
			if err != nil && detail.Reason.GetKind() != ldreason.EvalReasonOff {
				t.Fatalf("%s %s: %v (%+v)", tc.flag, when, err, detail)
			}
			if detail.Reason.GetKind() == ldreason.EvalReasonError {
				t.Fatalf("%s %s: SDK could not evaluate: %v", tc.flag, when, detail.Reason)
			}
			if wantOn {
				if !v || detail.Reason.GetKind() != ldreason.EvalReasonFallthrough {
					t.Errorf("%s %s: got %v %v, want true by fallthrough", tc.flag, when, v, detail.Reason)
				}
				return
			}
			if v != tc.offValue || detail.Reason.GetKind() != ldreason.EvalReasonOff || detail.VariationIndex.IsDefined() != tc.offHasVariant {
				t.Errorf("%s %s: got %v %v index %v, want %v reason OFF (index defined: %v)",
					tc.flag, when, v, detail.Reason, detail.VariationIndex, tc.offValue, tc.offHasVariant)
			}
		}
		check(tc.startOn, "before")
		for _, on := range []bool{!tc.startOn, tc.startOn} {
			res := s.Toggle(ctx, prefix, tc.flag, on)
			if r := res.Hosts[0]; r.Outcome != Written {
				t.Fatalf("toggle %s to %v: %+v", tc.flag, on, r)
			}
			check(on, "after toggling")
		}
	}
}
