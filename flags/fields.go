package flags

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// FieldSet is what ReadFields read: for each prefix asked for, each flag asked for, one
// HostFlag per configured host in host order (HostDown where the host's read failed).
type FieldSet struct {
	Hosts    []HostStatus
	Prefixes map[string]map[string][]HostFlag
}

// Flag returns one flag as ReadFields read it; ok is false when it was not asked for.
func (fs FieldSet) Flag(prefix, key string) (f Flag, ok bool) {
	hs, ok := fs.Prefixes[prefix][key]
	return Flag{Key: key, Hosts: hs}, ok
}

// ReadFields reads only the named flags (want: prefix -> flag keys) from every host, in one
// pipelined round trip per host (one HMGET per prefix), however big the prefixes are: what
// watching a few pending changes needs, where Flags would read whole prefixes. Values stored
// identically on several hosts are parsed once. A flag a host lacks is not Present there;
// a host, or one prefix's read on it, that failed leaves HostDown and shows in Hosts. The
// error names every host's failure when no host answered.
func (s *Store) ReadFields(ctx context.Context, want map[string][]string) (FieldSet, error) {
	prefixes := make([]string, 0, len(want))
	keys := make(map[string][]string, len(want))
	for p, ks := range want {
		ks = slices.Compact(slices.Sorted(slices.Values(ks)))
		if len(ks) > 0 {
			prefixes = append(prefixes, p)
			keys[p] = ks
		}
	}
	slices.Sort(prefixes)
	fs := FieldSet{Hosts: make([]HostStatus, len(s.hosts)), Prefixes: make(map[string]map[string][]HostFlag, len(prefixes))}
	for _, p := range prefixes {
		m := make(map[string][]HostFlag, len(keys[p]))
		for _, k := range keys[p] {
			m[k] = make([]HostFlag, len(s.hosts))
		}
		fs.Prefixes[p] = m
	}
	if len(prefixes) == 0 {
		for i, h := range s.hosts {
			fs.Hosts[i] = HostStatus{Host: h.name, Up: true}
		}
		return fs, nil
	}

	// values[i][n] is host i's answer for prefixes[n]: nil where the read failed.
	values := make([][][]any, len(s.hosts))
	s.each(ctx, s.hosts, s.budget(), func(ctx context.Context, i int, h *host) {
		start := time.Now()
		cmds := make([]*redis.SliceCmd, len(prefixes))
		_, _ = h.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for n, prefix := range prefixes {
				cmds[n] = p.HMGet(ctx, prefix+featuresSuffix, keys[prefix]...)
			}
			return nil
		})
		st := HostStatus{Host: h.name, Up: true, Latency: time.Since(start)}
		vals := make([][]any, len(prefixes))
		var errs []error
		for n, c := range cmds {
			v, err := c.Result()
			if err == nil && len(v) != len(keys[prefixes[n]]) {
				err = fmt.Errorf("HMGET answered %d values for %d fields", len(v), len(keys[prefixes[n]]))
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("read %s%s: %w", prefixes[n], featuresSuffix, replyErr(err)))
				continue
			}
			vals[n] = v
		}
		if len(errs) > 0 {
			st.Up, st.Err = false, h.wrap(errors.Join(errs...))
		}
		fs.Hosts[i], values[i] = st, vals
	})

	parsed := map[string]HostFlag{} // raw JSON -> its parse, shared by the hosts holding it
	for n, prefix := range prefixes {
		for k, key := range keys[prefix] {
			hs := fs.Prefixes[prefix][key]
			for i, h := range s.hosts {
				v := values[i][n]
				if v == nil {
					hs[i] = HostFlag{Host: h.name, HostDown: true}
					continue
				}
				raw, ok := v[k].(string)
				if !ok { // nil: no such field (or no such hash) on this host
					hs[i] = HostFlag{Host: h.name}
					continue
				}
				hf, seen := parsed[raw]
				if !seen {
					hf = hostFlag("", raw)
					parsed[raw] = hf
				}
				hf.Host = h.name
				hs[i] = hf
			}
		}
	}

	var hostErrs []error
	for _, st := range fs.Hosts {
		if st.Up {
			return fs, nil
		}
		hostErrs = append(hostErrs, st.Err)
	}
	all := errors.Join(hostErrs...)
	if errors.Is(all, ErrWrongType) {
		return fs, fmt.Errorf("flags %s: %w", describeWant(prefixes, keys), all) // the hosts answered: no Relay store
	}
	return fs, fmt.Errorf("flags %s: no Redis host answered: %w", describeWant(prefixes, keys), all)
}

// describeWant names what was asked for in an error, briefly.
func describeWant(prefixes []string, keys map[string][]string) string {
	var parts []string
	for _, p := range prefixes {
		parts = append(parts, fmt.Sprintf("%s (%s)", p, strings.Join(keys[p], ", ")))
		if len(parts) == 3 && len(prefixes) > 3 {
			parts = append(parts, fmt.Sprintf("and %d more prefixes", len(prefixes)-3))
			break
		}
	}
	return strings.Join(parts, ", ")
}
