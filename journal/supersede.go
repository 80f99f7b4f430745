package journal

import (
	"context"
	"fmt"

	"relaycommander/flags"
)

// SupersededWhy is the reason recorded when the operator made a flag's change in
// LaunchDarkly itself while a change of it was pending in the journal.
func SupersededWhy(on bool, version int) string {
	return fmt.Sprintf("superseded: set %s in LaunchDarkly directly (v%d)", flags.OnOff(on), version)
}

// Supersede closes the pending change of (prefix, flag), if there is one, after the
// operator set the flag in LaunchDarkly itself: LaunchDarkly then has the operator's latest
// intent, and replaying the older pending change would undo it (or meet it as a conflict,
// the operator's own change taken for someone else's). It is a discard by the operator,
// with SupersededWhy and without a restore: Redis gets LaunchDarkly's state from the Relays.
// closed lists the change ids it closed; none when nothing was pending.
func (j *Journal) Supersede(ctx context.Context, prefix, flag, by string, on bool, version int) (closed []string, err error) {
	pending, err := j.Pending()
	if err != nil {
		return nil, err
	}
	for _, p := range pending {
		if p.Prefix != prefix || p.Flag != flag {
			continue
		}
		res, err := j.Discard(ctx, nil, p, DiscardRequest{By: by, Why: SupersededWhy(on, version)})
		if err != nil {
			return nil, fmt.Errorf("%s %s was set in LaunchDarkly, but its pending change is still open: %w; "+
				"discard it (relaycommander discard) or it is replayed over the change", prefix, flag, err)
		}
		return res.Event.ChangeIDs, nil
	}
	return nil, nil
}
