package journal

import (
	"fmt"
	"time"

	"relaycommander/flags"
)

// ToggleNote is what a face says of the flag's pending change before a toggle that sets it
// after: since when and by whom it is pending, what LaunchDarkly has, and what the replay
// sends after the toggle ("this toggle cancels it out" when after is LaunchDarkly's state).
// The UI's confirmation and update both say it, in these words, with times in loc. The text
// is not escaped: the operator's name is stored text, for the caller to escape.
func (p Pending) ToggleNote(after bool, loc *time.Location) (pending, then string) {
	ld := flags.OnOff(p.BaseOn)
	if p.BaseVersion != nil {
		ld += fmt.Sprintf(" v%d", *p.BaseVersion)
	}
	pending = fmt.Sprintf("pending %s", flags.OnOff(p.Desired))
	if len(p.Entries) > 0 {
		last := p.Entries[len(p.Entries)-1]
		pending += fmt.Sprintf(" since %s by %s", last.Time.In(loc).Format("15:04"), last.Operator)
	}
	pending += "; LaunchDarkly has " + ld
	if after == p.BaseOn {
		return pending, "this toggle cancels it out: nothing left to replay"
	}
	return pending, "after this toggle the replay sends " + flags.OnOff(after)
}
