package flags

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrStillReading marks, in a FlagsRead that is not Done, a host that has not answered yet:
// its state is unknown, neither up nor down.
var ErrStillReading = errors.New("still reading")

// FlagsRead is one step of FlagsProgressive: the prefix's flags from the hosts that answered
// so far.
type FlagsRead struct {
	// Set is as Flags returns it, except that a host still reading has Up false and an Err
	// wrapping ErrStillReading, and its HostFlags are HostDown (state unknown).
	Set FlagSet
	// Err is Flags' error once every host answered. Before that it wraps ErrStillReading
	// while no answering host holds the prefix (Set then has no flags worth showing).
	Err error
	// Reading are the hosts that have not answered yet, in configuration order.
	Reading []string
}

// Done says every host answered or gave up: this is the last step.
func (r FlagsRead) Done() bool { return len(r.Reading) == 0 }

// FlagsProgressive reads every flag of a prefix as Flags does, but calls deliver each time a
// host answers (or fails, or its budget runs out) with what the answering hosts hold: a slow
// or hung host never holds back the others' flags. deliver is called once per host, one call
// at a time, the last one Done; FlagsProgressive returns after it.
func (s *Store) FlagsProgressive(ctx context.Context, prefix string, deliver func(FlagsRead)) {
	type answer struct {
		i       int
		status  HostStatus
		hash    map[string]string
		replied bool // the host replied, with an error
	}
	answers := make(chan answer, len(s.hosts))
	for i, h := range s.hosts {
		go func() {
			hctx, cancel := context.WithTimeout(ctx, s.budget())
			defer cancel()
			start := time.Now()
			m, err := h.client.HGetAll(hctx, prefix+featuresSuffix).Result()
			a := answer{i: i, status: HostStatus{Host: h.name, Up: err == nil, Latency: time.Since(start)}, hash: m}
			if err != nil {
				a.status.Err = h.wrap(fmt.Errorf("read %s%s: %w", prefix, featuresSuffix, replyErr(err)))
				a.replied = isReply(err)
				a.status.Answered = a.replied
				a.hash = nil
			}
			answers <- a
		}()
	}

	statuses := make([]HostStatus, len(s.hosts))
	hashes := make([]map[string]string, len(s.hosts))
	answered := make([]bool, len(s.hosts))
	replied := make([]bool, len(s.hosts))
	for range s.hosts {
		a := <-answers
		statuses[a.i], hashes[a.i], answered[a.i], replied[a.i] = a.status, a.hash, true, a.replied
		deliver(s.assemble(prefix, statuses, hashes, answered, replied))
	}
}

// assemble builds one step of a progressive read from the hosts answered so far.
func (s *Store) assemble(prefix string, statuses []HostStatus, hashes []map[string]string, answered, replied []bool) FlagsRead {
	var r FlagsRead
	fs := FlagSet{Prefix: prefix, Hosts: make([]HostStatus, len(s.hosts))}
	fs.Target, fs.Mapped = s.Locate(prefix)
	up, present, errReplies := 0, 0, 0
	var hostErrs []error
	for i, h := range s.hosts {
		if !answered[i] {
			fs.Hosts[i] = HostStatus{Host: h.name, Err: h.wrap(ErrStillReading)}
			r.Reading = append(r.Reading, h.name)
			continue
		}
		fs.Hosts[i] = statuses[i]
		switch {
		case statuses[i].Up:
			up++
		default:
			hostErrs = append(hostErrs, statuses[i].Err)
		}
		if replied[i] {
			errReplies++
		}
		if len(hashes[i]) > 0 {
			present++
		}
	}
	r.Set = fs
	reading := strings.Join(r.Reading, ", ")
	switch {
	case present == 0 && len(r.Reading) > 0:
		// What the others hold decides: no verdict yet.
		r.Err = fmt.Errorf("prefix %q: %w %s", prefix, ErrStillReading, reading)
		return r
	case up == 0 && errReplies > 0:
		// Redis answered, with an error (WRONGTYPE...): say what it said.
		r.Err = fmt.Errorf("prefix %q: no Redis host could be read: %w", prefix, errors.Join(hostErrs...))
		return r
	case up == 0:
		r.Err = fmt.Errorf("prefix %q: no Redis host answered: %w", prefix, errors.Join(hostErrs...))
		return r
	case present == 0:
		r.Err = fmt.Errorf("prefix %q on %s: %w", prefix, strings.Join(s.upNames(fs.Hosts), ", "), ErrUnknownPrefix)
		return r
	}
	s.index(&r.Set, hashes)
	return r
}
