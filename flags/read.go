package flags

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// parseChunk is the fewest flags worth a goroutine of their own.
const parseChunk = 256

// Flags reads every flag of a prefix from every host. The error is ErrUnknownPrefix when no
// reachable host has the prefix, and names every host's failure when none answered; a
// down host otherwise shows in FlagSet.Hosts and as HostFlag.HostDown.
func (s *Store) Flags(ctx context.Context, prefix string) (FlagSet, error) {
	fs := FlagSet{Prefix: prefix, Hosts: make([]HostStatus, len(s.hosts))}
	fs.Target, fs.Mapped = s.Locate(prefix)
	hashes := make([]map[string]string, len(s.hosts))
	var preparsing atomic.Bool
	s.each(ctx, s.hosts, s.budget(), func(ctx context.Context, i int, h *host) {
		st, m := s.readHost(ctx, h, prefix)
		fs.Hosts[i], hashes[i] = st, m
		if len(m) > 0 && len(s.hosts) > 1 && preparsing.CompareAndSwap(false, true) {
			// The other hosts' replies come a while later (half a millisecond for 1,000
			// flags): on a first read, parse the first one meanwhile, and index finds its
			// values parsed.
			s.preparse(prefix, m)
		}
	})

	if err := s.readVerdict(prefix, fs.Hosts, hashes); err != nil {
		return fs, err
	}
	s.index(&fs, hashes)
	return fs, nil
}

// readHost reads one host's hash of a prefix: its status (Answered when Redis replied with
// an error) and the hash, nil unless it was read.
func (s *Store) readHost(ctx context.Context, h *host, prefix string) (HostStatus, map[string]string) {
	start := time.Now()
	m, err := h.client.HGetAll(ctx, prefix+featuresSuffix).Result()
	st := HostStatus{Host: h.name, Up: err == nil, Latency: time.Since(start)}
	if err != nil {
		st.Err = h.wrap(fmt.Errorf("read %s%s: %w", prefix, featuresSuffix, replyErr(err)))
		st.Answered = isReply(err)
		return st, nil
	}
	return st, m
}

// readVerdict is the error of a prefix read from the hosts (hashes nil for a host not read):
// none once a reachable host holds the prefix. While no answering host holds it and some are
// still being read (FlagsProgressive), there is no verdict yet: ErrStillReading.
func (s *Store) readVerdict(prefix string, hosts []HostStatus, hashes []map[string]string) error {
	up, present, replied := 0, 0, 0
	var reading []string
	var errs []error
	for i, h := range hosts {
		switch {
		case h.Up:
			up++
		case errors.Is(h.Err, ErrStillReading):
			reading = append(reading, h.Host)
		default:
			errs = append(errs, h.Err)
		}
		if h.Answered {
			replied++
		}
		if len(hashes[i]) > 0 {
			present++
		}
	}
	switch {
	case present > 0:
		return nil
	case len(reading) > 0:
		// What the others hold decides: no verdict yet.
		return fmt.Errorf("prefix %q: %w %s", prefix, ErrStillReading, strings.Join(reading, ", "))
	case up == 0 && replied > 0:
		// Redis answered, with an error (WRONGTYPE...): say what it said.
		return fmt.Errorf("prefix %q: no Redis host could be read: %w", prefix, errors.Join(errs...))
	case up == 0:
		return fmt.Errorf("prefix %q: no Redis host answered: %w", prefix, errors.Join(errs...))
	}
	return fmt.Errorf("prefix %q on %s: %w", prefix, strings.Join(s.upNames(hosts), ", "), ErrUnknownPrefix)
}

// index builds the sorted flags of a prefix from each host's hash (nil for a host that did
// not answer).
func (s *Store) index(fs *FlagSet, hashes []map[string]string) {
	prev := s.parsed.get(fs.Prefix)
	// A refresh usually finds the flags of the last read: try its sorted keys first, which
	// spares listing, deduplicating and sorting the keys again.
	if len(prev) > 0 {
		keys := make([]string, len(prev))
		for k := range prev {
			keys[k] = prev[k].key
		}
		if s.fill(fs, hashes, keys, prev, true) {
			addDependants(fs.Flags)
			return
		}
	}
	s.fill(fs, hashes, indexKeys(hashes), prev, false)
	addDependants(fs.Flags)
}

// fill builds fs.Flags for keys (sorted) from the hashes, reusing prev's parse of every
// value stored unchanged, and keeps this read's parse for the next. asPrev says keys are
// prev's own: fill then reports false, having built nothing usable, when the hashes do
// not hold exactly those keys.
func (s *Store) fill(fs *FlagSet, hashes []map[string]string, keys []string, prev parsedFlags, asPrev bool) bool {
	n := len(s.hosts)
	states := make([]HostFlag, len(keys)*n)
	fs.Flags = make([]Flag, len(keys))
	var next []parsedFlag // this read's parse per key; when asPrev, only if a value changed
	if !asPrev {
		next = make([]parsedFlag, len(keys))
	}
	// Parsing is most of the work for a big prefix: spread it over the CPUs.
	workers := min(runtime.GOMAXPROCS(0), len(keys)/parseChunk+1)
	found := make([]int, workers*n) // per worker and host: keys found on the host
	changed := make([]bool, workers)
	lost := make([]bool, workers) // a key on no host
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			from, to := w*len(keys)/workers, (w+1)*len(keys)/workers
			counts := found[w*n : (w+1)*n]
			var at int // where keys[k] is, or would be, in prev: keys and prev are both sorted
			if !asPrev && from < to {
				at, _ = prev.search(keys[from])
			}
			for k := from; k < to; k++ {
				key := keys[k]
				hs := states[k*n : (k+1)*n : (k+1)*n]
				var seen *HostFlag // a parse made for this flag on another host
				for i, h := range s.hosts {
					raw, ok := hashes[i][key]
					switch {
					case !ok:
						hs[i] = HostFlag{Host: h.name, HostDown: !fs.Hosts[i].Up}
						continue
					case seen != nil && seen.Raw == raw:
						// Hosts usually store identical JSON: parse it once.
						hs[i] = *seen
						hs[i].Host = h.name
					default:
						if asPrev {
							at = k
						}
						for at < len(prev) && prev[at].key < key {
							at++
						}
						if hf, ok := prev.at(at, key, raw); ok {
							// Unchanged since the last read of the prefix: parsed then.
							hs[i] = hf
							hs[i].Host = h.name
						} else {
							hs[i] = hostFlag(h.name, raw)
							if seen == nil {
								changed[w] = true
							}
						}
					}
					counts[i]++
					if seen == nil {
						seen = &hs[i]
						if next != nil {
							next[k] = parsedFlag{key: key, hf: hs[i]}
							next[k].hf.Host = ""
						}
					}
				}
				if seen == nil {
					lost[w] = true
				}
				fs.Flags[k] = Flag{Key: key, Hosts: hs}
			}
		}()
	}
	wg.Wait()
	if asPrev {
		// Every key of every hash must be one of prev's, and each of prev's on some host.
		for i := range n {
			total := 0
			for w := range workers {
				total += found[w*n+i]
			}
			if total != len(hashes[i]) {
				return false
			}
		}
		if slices.Contains(lost, true) {
			return false
		}
		if !slices.Contains(changed, true) {
			return true // the cache holds this read's parse already
		}
		next = make([]parsedFlag, len(keys))
		for k, f := range fs.Flags {
			for _, h := range f.Hosts {
				if h.Present {
					next[k] = parsedFlag{key: f.Key, hf: h}
					next[k].hf.Host = ""
					break
				}
			}
		}
	}
	s.parsed.put(fs.Prefix, next)
	return true
}

// preparse puts the parse of one host's hash of prefix in the parse cache, when the cache
// has none: the first read, where every value is parsed. A refresh finds its values in
// the cache already.
func (s *Store) preparse(prefix string, m map[string]string) {
	if len(s.parsed.get(prefix)) > 0 {
		return
	}
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	next := make(parsedFlags, len(keys))
	workers := min(runtime.GOMAXPROCS(0), len(keys)/parseChunk+1)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := w * len(keys) / workers; k < (w+1)*len(keys)/workers; k++ {
				next[k] = parsedFlag{key: keys[k], hf: hostFlag("", m[keys[k]])}
			}
		}()
	}
	wg.Wait()
	s.parsed.put(prefix, next)
}

// parseCache keeps, per prefix, each flag's parse from the last read of it (a copy, which
// no caller can change): a value read again unchanged, the usual case when the screen
// refreshes a prefix, is compared with the stored JSON instead of parsed again.
type parseCache struct {
	mu       sync.Mutex
	byPrefix map[string]parsedFlags
}

// maxCachedPrefixes bounds the cache; the screen reads one prefix at a time.
const maxCachedPrefixes = 64

// parsedFlags is one prefix's flags as last parsed, sorted by key; immutable once stored.
type parsedFlags []parsedFlag

type parsedFlag struct {
	key string
	hf  HostFlag // Host not set; Raw is what was parsed
}

func (c *parseCache) get(prefix string) parsedFlags {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byPrefix[prefix]
}

func (c *parseCache) put(prefix string, pf parsedFlags) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byPrefix == nil {
		c.byPrefix = map[string]parsedFlags{}
	}
	if _, ok := c.byPrefix[prefix]; !ok && len(c.byPrefix) >= maxCachedPrefixes {
		for p := range c.byPrefix { // any one
			delete(c.byPrefix, p)
			break
		}
	}
	c.byPrefix[prefix] = pf
}

func (pf parsedFlags) search(key string) (int, bool) {
	return slices.BinarySearchFunc(pf, key, func(p parsedFlag, k string) int { return strings.Compare(p.key, k) })
}

// at is key's last parse, when pf[i] is key's and was parsed from exactly raw.
func (pf parsedFlags) at(i int, key, raw string) (HostFlag, bool) {
	if i >= len(pf) || pf[i].key != key || !pf[i].hf.Present || pf[i].hf.Raw != raw {
		return HostFlag{}, false
	}
	return pf[i].hf, true
}

// indexKeys lists every key of the hosts' hashes once, sorted.
func indexKeys(hashes []map[string]string) []string {
	size := 0
	for _, m := range hashes {
		size = max(size, len(m))
	}
	keys := make([]string, 0, size)
	for i, m := range hashes {
	next:
		for key := range m {
			for _, earlier := range hashes[:i] {
				if _, dup := earlier[key]; dup {
					continue next
				}
			}
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	return keys
}

func (s *Store) upNames(st []HostStatus) []string {
	var out []string
	for _, h := range st {
		if h.Up {
			out = append(out, h.Host)
		}
	}
	return out
}

// hostFlag parses one stored flag. Unparsable JSON is reported, never fatal.
func hostFlag(hostName, raw string) HostFlag {
	hf := HostFlag{Host: hostName, Present: true, Raw: raw}
	st, err := parseFlag(raw)
	if err != nil {
		hf.Unreadable = err.Error()
		return hf
	}
	hf.On, hf.Version, hf.Deleted = st.on, st.version, st.deleted
	hf.OffVariation, hf.Variations, hf.Prerequisites = st.offVariation, st.variations, st.prerequisites
	return hf
}

// addDependants fills each flag's Dependants from the others' prerequisites on any host.
func addDependants(flags []Flag) {
	// Few flags have prerequisites: a binary search over the sorted keys beats a map.
	find := func(key string) (int, bool) {
		return slices.BinarySearchFunc(flags, key, func(f Flag, k string) int { return strings.Compare(f.Key, k) })
	}
	for i := range flags {
		key, hosts := flags[i].Key, flags[i].Hosts
		for j := range hosts {
			ps := hosts[j].Prerequisites
			if j > 0 && len(ps) > 0 && len(hosts[j-1].Prerequisites) == len(ps) && &hosts[j-1].Prerequisites[0] == &ps[0] {
				continue // the same parse as the host before (hosts usually store identical JSON)
			}
			for _, p := range ps {
				n, ok := find(p)
				if !ok {
					continue
				}
				d := flags[n].Dependants
				if len(d) == 0 || d[len(d)-1] != key { // flags are sorted: a repeat is adjacent
					flags[n].Dependants = append(d, key)
				}
			}
		}
	}
}

// Flag reads one flag of a prefix from every host.
func (s *Store) Flag(ctx context.Context, prefix, key string) (Flag, error) {
	fs, err := s.Flags(ctx, prefix)
	if err != nil {
		return Flag{}, err
	}
	i := sort.Search(len(fs.Flags), func(i int) bool { return fs.Flags[i].Key >= key })
	if i == len(fs.Flags) || fs.Flags[i].Key != key {
		return Flag{}, fmt.Errorf("flag %q in prefix %q on %s: %w", key, prefix, strings.Join(s.upNames(fs.Hosts), ", "), ErrUnknownFlag)
	}
	return fs.Flags[i], nil
}

// Agree reports whether every host that answered holds the flag with the same on and
// version, and if not, a short description of how they differ from the first of them,
// e.g. "relay-a: OFF v5; relay-b: ON v4, relay-c: missing". See Agreement for more.
func (f Flag) Agree() (bool, string) {
	a := f.Agreement()
	return a.Same(), a.Difference
}

// Primary is the first host's readable state: what the screen shows as the flag's state.
func (f Flag) Primary() (HostFlag, bool) {
	for _, h := range f.Hosts {
		if !h.HostDown && h.Present && h.Unreadable == "" {
			return h, true
		}
	}
	return HostFlag{}, false
}
