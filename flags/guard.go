package flags

import "fmt"

// relayShape refuses a value that is not a flag as Relay stores it: a *:features hash of some
// other application would be rewritten with a version it never had. Relay's flags have their
// key equal to the hash field, a variations array and a numeric version.
func relayShape(field string, st flagState) error {
	var missing string
	switch {
	case !st.hasKey:
		missing = `no "key"`
	case st.key != field:
		missing = fmt.Sprintf(`"key" is %q, not the field name`, st.key)
	case !st.varsArray:
		missing = `no "variations" array`
	case !st.hasVersion:
		missing = `no numeric "version"`
	default:
		return nil
	}
	return fmt.Errorf("%w (%s): this hash may belong to another application; nothing written", ErrNotRelayFlag, missing)
}

// nextVersion is the version a toggle writes, old+1, refused when old is negative or old+1
// would pass MaxVersion (an int64 overflow wraps negative long before that matters).
func nextVersion(old int) (int, error) {
	if old < 0 || old >= MaxVersion {
		return 0, fmt.Errorf("%w: stored version is %d, and a toggle writes version+1, which must be between 1 and %d "+
			"(the largest integer a JSON number holds exactly); nothing written", ErrVersionRange, old, MaxVersion)
	}
	return old + 1, nil
}
