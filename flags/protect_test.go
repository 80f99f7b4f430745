package flags

import "testing"

func TestNeedsTypedKey(t *testing.T) {
	p := Protection{"production", "prod-eu"}
	cases := []struct {
		name   string
		t      Target
		mapped bool
		want   bool
	}{
		{"protected", Target{"web", "production"}, true, true},
		{"second protected", Target{"api", "prod-eu"}, true, true},
		{"not protected", Target{"web", "staging"}, true, false},
		{"unmapped prefix", Target{}, false, true},
		{"unmapped with only the project", Target{Project: "web"}, false, true},
		{"mapped but no environment", Target{Project: "web"}, true, true},
		{"unmapped even when the environment is not protected", Target{"web", "staging"}, false, true},
	}
	for _, c := range cases {
		if got := p.NeedsTypedKey(c.t, c.mapped); got != c.want {
			t.Errorf("%s: NeedsTypedKey(%+v, %v) = %v, want %v", c.name, c.t, c.mapped, got, c.want)
		}
	}
	if !Protection(nil).NeedsTypedKey(Target{}, false) || Protection(nil).NeedsTypedKey(Target{"web", "production"}, true) {
		t.Error("with nothing protected, only unmapped prefixes need the typed key")
	}
}
