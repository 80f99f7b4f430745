package flags

import "slices"

// DependantsServingOff is the rule both faces warn with before a toggle: the flags that have
// f as a prerequisite and serve their off variation while f is off. Setting f off fails the
// prerequisite of every flag that requires it, whatever their own rules say; setting it on
// makes none of them serve off because of f (another prerequisite still may). It needs
// Dependants filled in, as a read of the whole prefix does.
func (f Flag) DependantsServingOff(on bool) []string {
	if on {
		return nil
	}
	return slices.Clone(f.Dependants)
}
