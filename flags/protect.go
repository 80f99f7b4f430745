package flags

import "slices"

// Protection is the environments (keys, as in Target.Environment) where a write to Redis
// must be confirmed by typing the flag's key, not just a yes: production and its like.
type Protection []string

// NeedsTypedKey reports whether a write to the prefix that t and mapped describe (as Locate
// returns them) needs the flag's key typed to confirm it. It applies to every write to Redis:
// a toggle, a retry, and a discard's restore of the base state. A prefix that is not mapped to
// a project and environment needs it too: it may well be production.
func (p Protection) NeedsTypedKey(t Target, mapped bool) bool {
	if !mapped || t.Environment == "" {
		return true
	}
	return slices.Contains(p, t.Environment)
}
