package flags

import (
	"slices"
	"testing"
)

// Turning a prerequisite off makes every flag that requires it serve its off variation;
// turning it on makes none do so because of it.
func TestDependantsServingOff(t *testing.T) {
	f := Flag{Key: "kill-switch-checkout", Dependants: []string{"checkout-flow", "express-pay"}}
	if got := f.DependantsServingOff(false); !slices.Equal(got, []string{"checkout-flow", "express-pay"}) {
		t.Errorf("turning it off: %v", got)
	}
	if got := f.DependantsServingOff(true); len(got) != 0 {
		t.Errorf("turning it on: %v", got)
	}
	if got := (Flag{Key: "lone"}).DependantsServingOff(false); len(got) != 0 {
		t.Errorf("no dependants: %v", got)
	}
	got := f.DependantsServingOff(false)
	got[0] = "changed"
	if f.Dependants[0] != "checkout-flow" {
		t.Error("the list shares the flag's own")
	}
}
