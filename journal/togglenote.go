package journal

import (
	"fmt"
	"time"

	"relaycommander/flags"
)

// ToggleNote is what a face says of the flag's pending change before a toggle that sets it
// after: since when and by whom it is pending, what LaunchDarkly has, and what the replay
// sends after the toggle ("this toggle cancels it out" when after is LaunchDarkly's state:
// the replay then only confirms it).
// The UI's confirmation and update both say it, in these words, with times in loc. The text
// is not escaped: the operator's name is stored text, for the caller to escape.
func (p Pending) ToggleNote(after bool, loc *time.Location) (pending, then string) {
	ld := flags.OnOff(p.BaseOn)
	if p.BaseVersion != nil {
		ld += fmt.Sprintf(" v%d", *p.BaseVersion)
	}
	pending = fmt.Sprintf("pending %s", flags.OnOff(p.Desired))
	if len(p.Entries) > 0 {
		// since the change that made it pending, by whoever made it
		first := p.Entries[0]
		pending += fmt.Sprintf(" since %s by %s", first.Time.In(loc).Format("15:04"), first.Operator)
	}
	pending += "; LaunchDarkly has " + ld
	if after == p.BaseOn {
		return pending, "this toggle cancels it out: LaunchDarkly keeps " + flags.OnOff(p.BaseOn)
	}
	return pending, "after this toggle the replay sends " + flags.OnOff(after)
}
