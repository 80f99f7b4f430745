package flags

import (
	"context"
	"errors"
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
		i      int
		status HostStatus
		hash   map[string]string
	}
	answers := make(chan answer, len(s.hosts))
	for i, h := range s.hosts {
		go func() {
			hctx, cancel := context.WithTimeout(ctx, s.budget())
			defer cancel()
			st, m := s.readHost(hctx, h, prefix)
			answers <- answer{i: i, status: st, hash: m}
		}()
	}

	statuses := make([]HostStatus, len(s.hosts))
	hashes := make([]map[string]string, len(s.hosts))
	answered := make([]bool, len(s.hosts))
	for range s.hosts {
		a := <-answers
		statuses[a.i], hashes[a.i], answered[a.i] = a.status, a.hash, true
		deliver(s.assemble(prefix, statuses, hashes, answered))
	}
}

// assemble builds one step of a progressive read from the hosts answered so far.
func (s *Store) assemble(prefix string, statuses []HostStatus, hashes []map[string]string, answered []bool) FlagsRead {
	var r FlagsRead
	fs := FlagSet{Prefix: prefix, Hosts: make([]HostStatus, len(s.hosts))}
	fs.Target, fs.Mapped = s.Locate(prefix)
	for i, h := range s.hosts {
		if !answered[i] {
			fs.Hosts[i] = HostStatus{Host: h.name, Err: h.wrap(ErrStillReading)}
			r.Reading = append(r.Reading, h.name)
			continue
		}
		fs.Hosts[i] = statuses[i]
	}
	r.Set = fs
	if r.Err = s.readVerdict(prefix, fs.Hosts, hashes); r.Err == nil {
		s.index(&r.Set, hashes)
	}
	return r
}
