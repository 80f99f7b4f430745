package flags

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

func (s *Store) flags(ctx context.Context, prefix string) (FlagSet, error) {
	fs := FlagSet{Prefix: prefix, Hosts: make([]HostStatus, len(s.hosts))}
	fs.Target, fs.Mapped = s.locate(prefix)
	hashes := make([]map[string]string, len(s.hosts))
	s.each(ctx, s.hosts, func(ctx context.Context, i int, h *host) {
		start := time.Now()
		m, err := h.client.HGetAll(ctx, prefix+featuresSuffix).Result()
		st := HostStatus{Host: h.name, Up: err == nil, Latency: time.Since(start)}
		if err != nil {
			st.Err = h.wrap(fmt.Errorf("read %s%s: %w", prefix, featuresSuffix, err))
		}
		fs.Hosts[i], hashes[i] = st, m
	})

	up, present := 0, 0
	var hostErrs []error
	size := 0
	for i, m := range hashes {
		if fs.Hosts[i].Up {
			up++
		} else {
			hostErrs = append(hostErrs, fs.Hosts[i].Err)
		}
		if len(m) > 0 {
			present++
		}
		size = max(size, len(m))
	}
	if up == 0 {
		return fs, fmt.Errorf("prefix %q: no Redis host answered: %w", prefix, errors.Join(hostErrs...))
	}
	if present == 0 {
		return fs, fmt.Errorf("prefix %q on %s: %w", prefix, strings.Join(s.upNames(fs.Hosts), ", "), ErrUnknownPrefix)
	}

	index := make(map[string]int, size)
	fs.Flags = make([]Flag, 0, size)
	for i, m := range hashes {
		for key, raw := range m {
			n, ok := index[key]
			if !ok {
				n = len(fs.Flags)
				index[key] = n
				fs.Flags = append(fs.Flags, s.newFlag(key, fs.Hosts))
			}
			f := &fs.Flags[n]
			// Hosts usually store identical JSON: parse it once.
			if j := sameRaw(f.Hosts[:i], raw); j >= 0 {
				hf := f.Hosts[j]
				hf.Host = s.hosts[i].name
				f.Hosts[i] = hf
				continue
			}
			f.Hosts[i] = hostFlag(s.hosts[i].name, raw)
		}
	}
	sort.Slice(fs.Flags, func(i, j int) bool { return fs.Flags[i].Key < fs.Flags[j].Key })
	addDependants(fs.Flags)
	return fs, nil
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

// newFlag is a flag absent from every host until filled in, with down hosts marked.
func (s *Store) newFlag(key string, st []HostStatus) Flag {
	f := Flag{Key: key, Hosts: make([]HostFlag, len(s.hosts))}
	for i, h := range s.hosts {
		f.Hosts[i] = HostFlag{Host: h.name, HostDown: !st[i].Up}
	}
	return f
}

func sameRaw(hs []HostFlag, raw string) int {
	for j, h := range hs {
		if h.Present && h.Raw == raw {
			return j
		}
	}
	return -1
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
	index := make(map[string]int, len(flags))
	for i, f := range flags {
		index[f.Key] = i
	}
	for _, f := range flags {
		for _, h := range f.Hosts {
			for _, p := range h.Prerequisites {
				n, ok := index[p]
				if !ok {
					continue
				}
				d := flags[n].Dependants
				if len(d) == 0 || d[len(d)-1] != f.Key { // flags are sorted: a repeat is adjacent
					flags[n].Dependants = append(d, f.Key)
				}
			}
		}
	}
}

func (s *Store) flag(ctx context.Context, prefix, key string) (Flag, error) {
	fs, err := s.flags(ctx, prefix)
	if err != nil {
		return Flag{}, err
	}
	i := sort.Search(len(fs.Flags), func(i int) bool { return fs.Flags[i].Key >= key })
	if i == len(fs.Flags) || fs.Flags[i].Key != key {
		return Flag{}, fmt.Errorf("flag %q in prefix %q on %s: %w", key, prefix, strings.Join(s.upNames(fs.Hosts), ", "), ErrUnknownFlag)
	}
	return fs.Flags[i], nil
}

// describe is a host's state of a flag in a few words: "ON v4", "missing", ...
func (h HostFlag) describe() string {
	switch {
	case h.HostDown:
		return "down"
	case !h.Present:
		return "missing"
	case h.Unreadable != "":
		return "unreadable"
	case h.Deleted:
		return "deleted v" + strconv.Itoa(h.Version)
	case h.On:
		return "ON v" + strconv.Itoa(h.Version)
	default:
		return "OFF v" + strconv.Itoa(h.Version)
	}
}

// agree compares the hosts that answered; the description lists the hosts that differ
// from the first of them, e.g. "relay-b: ON v4, relay-c: missing".
func (f Flag) agree() (bool, string) {
	ref := -1
	var diff []string
	for i, h := range f.Hosts {
		if h.HostDown {
			continue
		}
		if ref < 0 {
			ref = i
			continue
		}
		r := f.Hosts[ref]
		same := h.Present == r.Present && h.Unreadable == "" && r.Unreadable == "" &&
			h.On == r.On && h.Version == r.Version && h.Deleted == r.Deleted
		if !h.Present && !r.Present {
			same = true
		}
		if h.Unreadable != "" && r.Unreadable != "" && h.Raw == r.Raw {
			same = true
		}
		if !same {
			diff = append(diff, h.Host+": "+h.describe())
		}
	}
	if len(diff) == 0 {
		return true, ""
	}
	r := f.Hosts[ref]
	return false, r.Host + ": " + r.describe() + "; " + strings.Join(diff, ", ")
}

func (f Flag) primary() (HostFlag, bool) {
	for _, h := range f.Hosts {
		if !h.HostDown && h.Present && h.Unreadable == "" {
			return h, true
		}
	}
	return HostFlag{}, false
}
