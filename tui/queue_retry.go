package tui

import (
	"errors"
	"fmt"

	tea "charm.land/bubbletea/v2"

	"relaycommander/flags"
	"relaycommander/journal"
)

// retryCmd asks the write results screen to retry the hosts where the selected change's
// latest write failed (T), as the same journal change: the root hands queueRetryMsg to
// resultsScreen.retryFromQueue, which owns the write and its per-host results.
func (q *queueScreen) retryCmd() tea.Cmd {
	p, ok := q.queueSelected()
	if !ok || !q.canRetry() {
		return nil
	}
	failed := q.failedHosts(p)
	if len(failed) == 0 {
		return nil
	}
	e := p.Entries[len(p.Entries)-1]
	u, _ := q.undoneOf(p)
	msg := queueRetryMsg{change: e.Change, recorded: recordedResult(e, u)}
	return func() tea.Msg { return msg }
}

// recordedResult is a journal entry's host outcomes as a write's result, for the results
// screen to show beside the hosts the retry writes again. A host a re-sync undid since says
// so: the retry writes only the failed hosts, never over a re-sync (the replay does).
func recordedResult(e journal.Entry, undone journal.Undone) flags.ToggleResult {
	res := flags.ToggleResult{Prefix: e.Prefix, Flag: e.Flag, On: e.After}
	for _, o := range e.Outcomes {
		h := flags.HostResult{Host: o.Host, Outcome: flags.Outcome(o.Outcome), OldOn: o.OldOn, OldVersion: o.OldVersion, NewVersion: o.NewVersion}
		if o.Error != "" {
			h.Err = errors.New(o.Error)
		}
		for _, uh := range undone.Hosts {
			if uh.Host == o.Host {
				h.Err = fmt.Errorf("undone since by a Relay re-sync: holds %s v%d now", flags.OnOff(uh.On), uh.Version)
			}
		}
		res.Hosts = append(res.Hosts, h)
	}
	return res
}

// retryFromQueue shows a recorded change's results and retries its failed hosts, as T on
// the results screen does (retryCmd): the journal adds their outcomes to the same change.
func (s *resultsScreen) retryFromQueue(msg queueRetryMsg) tea.Cmd {
	if s.busy() {
		s.setStatus("a write is still running; T again once its results are in", false)
		return nil
	}
	s.served = servedCheck{seq: s.served.seq + 1}
	s.results = &resultsState{change: msg.change, result: msg.recorded, done: true, back: screenQueue}
	cmd := s.retryCmd()
	if cmd != nil {
		s.active = screenResults
	}
	return cmd
}
