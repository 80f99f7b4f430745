package flags

import "strconv"

// OnOff is the one wording of a flag's state on every screen and in every command's output.
func OnOff(on bool) string {
	if on {
		return "ON"
	}
	return "OFF"
}

// State is a host's state of a flag in a few words: "ON v4", "OFF v4", "deleted v9",
// "unreadable", "missing" (the host answered without the flag) or "down" (the host did not
// answer, so its state is unknown).
func (h HostFlag) State() string {
	switch {
	case h.HostDown:
		return "down"
	case !h.Present:
		return "missing"
	case h.Unreadable != "":
		return "unreadable"
	case h.Deleted:
		return "deleted v" + strconv.Itoa(h.Version)
	default:
		return OnOff(h.On) + " v" + strconv.Itoa(h.Version)
	}
}
