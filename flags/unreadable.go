package flags

import (
	"fmt"
	"strings"
)

// Unreadable is why no host has a readable copy of the flag: each host's parser reason,
// wrapping ErrUnreadable. It is nil when a host that answered has a readable copy, or when
// none holds the flag at all.
func (f Flag) Unreadable() error {
	var why []string
	for _, h := range f.Hosts {
		switch {
		case h.HostDown || !h.Present:
			continue
		case h.Unreadable == "":
			return nil
		}
		why = append(why, fmt.Sprintf("host %s: %s", h.Host, h.Unreadable))
	}
	if len(why) == 0 {
		return nil
	}
	return fmt.Errorf("flag %q: %w: %s", f.Key, ErrUnreadable, strings.Join(why, "; "))
}
