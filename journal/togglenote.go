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
// The UI's confirmation and update both say it, in these words, with times in now's location, and the day when it is not now's. The text
// is not escaped: the operator's name is stored text, for the caller to escape.
func (p Pending) ToggleNote(after bool, now time.Time) (pending, then string) {
	ld := flags.OnOff(p.BaseOn)
	if p.BaseVersion != nil {
		ld += fmt.Sprintf(" v%d", *p.BaseVersion)
	}
	pending = fmt.Sprintf("pending %s", flags.OnOff(p.Desired))
	if len(p.Entries) > 0 {
		// since the change that made it pending, by whoever made it
		first := p.Entries[0]
		at := first.Time.In(now.Location())
		layout := "15:04"
		if y, m, d := at.Date(); y != now.Year() || m != now.Month() || d != now.Day() {
			layout = "Jan 2 15:04" // pending since an earlier day: an incident across midnight
		}
		pending += fmt.Sprintf(" since %s by %s", at.Format(layout), first.Operator)
	}
	pending += "; LaunchDarkly has " + ld
	if after == p.BaseOn {
		return pending, "this toggle cancels it out: LaunchDarkly keeps " + flags.OnOff(p.BaseOn)
	}
	return pending, "after this toggle the replay sends " + flags.OnOff(after)
}
