package flags

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

const featuresSuffix = ":features"

// hostScan is what one host answered to discovery.
type hostScan struct {
	status   HostStatus
	prefixes map[string]PrefixOnHost
}

// Discover finds every store prefix on every host (SCAN, never KEYS). A down host is reported
// in Discovery.Hosts, never as an error.
func (s *Store) Discover(ctx context.Context) Discovery {
	scans := make([]hostScan, len(s.hosts))
	// A big keyspace takes many SCAN round trips: no total deadline, but every command
	// (and the PING first) is bounded by the command timeout, so a dead host fails fast.
	s.each(ctx, s.hosts, 0, func(ctx context.Context, i int, h *host) {
		scans[i] = s.scanHost(ctx, h)
	})

	d := Discovery{Hosts: make([]HostStatus, len(s.hosts))}
	all := map[string]bool{}
	for i, sc := range scans {
		d.Hosts[i] = sc.status
		for p := range sc.prefixes {
			all[p] = true
		}
	}
	for p := range all {
		info := PrefixInfo{Prefix: p, Hosts: make([]PrefixOnHost, len(s.hosts))}
		info.Target, info.Mapped = s.Locate(p)
		for i, sc := range scans {
			on, ok := sc.prefixes[p]
			if !ok {
				on = PrefixOnHost{Host: s.hosts[i].name}
			}
			info.Hosts[i] = on
		}
		d.Prefixes = append(d.Prefixes, info)
	}
	sort.Slice(d.Prefixes, func(i, j int) bool {
		a, b := d.Prefixes[i], d.Prefixes[j]
		if a.Mapped != b.Mapped {
			return a.Mapped
		}
		if a.Target.Project != b.Target.Project {
			return a.Target.Project < b.Target.Project
		}
		if a.Target.Environment != b.Target.Environment {
			return a.Target.Environment < b.Target.Environment
		}
		return a.Prefix < b.Prefix
	})
	return d
}

// scanHost pings one host, then SCANs it for store prefixes (hashes named *:features) and
// counts each prefix's flags. It reads key names only: Big Segment keys are never opened.
func (s *Store) scanHost(ctx context.Context, h *host) hostScan {
	out := hostScan{status: HostStatus{Host: h.name}}
	start := time.Now()
	if err := h.client.Ping(ctx).Err(); err != nil {
		out.status.Err = h.wrap(fmt.Errorf("ping: %w", err))
		return out
	}
	out.status.Latency = time.Since(start)
	out.status.Up = true

	keys, err := scanFeatures(ctx, h.client, true)
	if err != nil && strings.Contains(strings.ToLower(err.Error()), "syntax") {
		// Redis before 6.0 has no SCAN ... TYPE: filter by TYPE afterwards.
		keys, err = scanFeatures(ctx, h.client, false)
	}
	if err != nil {
		out.status.Up = false
		out.status.Err = h.wrap(fmt.Errorf("scan for *%s: %w", featuresSuffix, err))
		return out
	}

	// SCAN may return a key twice; count each prefix once.
	prefixes := map[string]bool{}
	for _, k := range keys {
		prefixes[strings.TrimSuffix(k, featuresSuffix)] = true
	}
	type counts struct {
		hlen   *redis.IntCmd
		inited *redis.IntCmd
	}
	cmds := map[string]counts{}
	_, err = h.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for prefix := range prefixes {
			cmds[prefix] = counts{p.HLen(ctx, prefix+featuresSuffix), p.Exists(ctx, prefix+":$inited")}
		}
		return nil
	})
	if err != nil {
		out.status.Up = false
		out.status.Err = h.wrap(fmt.Errorf("count flags: %w", err))
		return out
	}
	out.prefixes = map[string]PrefixOnHost{}
	for prefix, c := range cmds {
		n := int(c.hlen.Val())
		if n == 0 {
			continue // deleted between SCAN and HLEN
		}
		out.prefixes[prefix] = PrefixOnHost{Host: h.name, Present: true, Inited: c.inited.Val() > 0, Flags: n}
	}
	return out
}

// scanFeatures lists the hashes named *:features with SCAN (never KEYS, which would block
// a production Redis), using SCAN's TYPE filter when the server has it.
func scanFeatures(ctx context.Context, c *redis.Client, typeFilter bool) ([]string, error) {
	var keys []string
	var cursor uint64
	for {
		var batch []string
		var err error
		if typeFilter {
			batch, cursor, err = c.ScanType(ctx, cursor, "*"+featuresSuffix, scanCount, "hash").Result()
		} else {
			batch, cursor, err = c.Scan(ctx, cursor, "*"+featuresSuffix, scanCount).Result()
		}
		if err != nil {
			return nil, err
		}
		keys = append(keys, batch...)
		if cursor == 0 {
			break
		}
	}
	if typeFilter || len(keys) == 0 {
		return keys, nil
	}
	types := make([]*redis.StatusCmd, len(keys))
	if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			types[i] = p.Type(ctx, k)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	hashes := keys[:0]
	for i, k := range keys {
		if types[i].Val() == "hash" {
			hashes = append(hashes, k)
		}
	}
	return hashes, nil
}
