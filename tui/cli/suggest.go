package cli

import (
	"context"
	"slices"
	"strings"

	"relaycommander/flags"
)

// Suggestions for a mistyped environment, project, prefix or flag key. They are computed only
// on the error path (a Discover, or the prefix's flags, read then): a command that finds what
// it was given never pays for them.

// levenshtein is the edit distance between a and b (insertions, deletions, substitutions).
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// nearest is the candidate the operator most likely meant by typed: the same but for case, else
// the shortest that starts with it (prod: production), else the shortest that contains it, else
// the closest by edit distance within a third of its length (at least 2), else the one that
// starts with most of it (stage: staging). ok is false when nothing is near enough.
func nearest(typed string, candidates []string) (string, bool) {
	t := strings.ToLower(typed)
	if t == "" || len(candidates) == 0 {
		return "", false
	}
	cs := slices.Clone(candidates)
	slices.Sort(cs)
	shortest := func(match func(c string) bool) (string, bool) {
		best, ok := "", false
		for _, c := range cs {
			if match(strings.ToLower(c)) && (!ok || len(c) < len(best)) {
				best, ok = c, true
			}
		}
		return best, ok
	}
	if c, ok := shortest(func(c string) bool { return c == t }); ok {
		return c, true
	}
	if c, ok := shortest(func(c string) bool { return strings.HasPrefix(c, t) }); ok {
		return c, true
	}
	if len(t) >= 3 {
		if c, ok := shortest(func(c string) bool { return strings.Contains(c, t) }); ok {
			return c, true
		}
	}
	best, bestD := "", max(2, len([]rune(t))/3)+1
	for _, c := range cs {
		if d := levenshtein(t, strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	if best != "" {
		return best, true
	}
	// The longest common start, when it is most of what was typed (stage: staging).
	bestN := max(3, (2*len(t)+2)/3) - 1
	for _, c := range cs {
		n := 0
		for n < len(t) && n < len(c) && t[n] == strings.ToLower(c)[n] {
			n++
		}
		if n > bestN {
			best, bestN = c, n
		}
	}
	return best, best != ""
}

// presentPrefixes are the prefixes some answering host holds, from a Discover.
func presentPrefixes(d flags.Discovery) []flags.PrefixInfo {
	up := map[string]bool{}
	for _, h := range d.Hosts {
		up[h.Host] = h.Up
	}
	var out []flags.PrefixInfo
	for _, p := range d.Prefixes {
		for _, h := range p.Hosts {
			if up[h.Host] && h.Present {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// prefixHint says, for a prefix no answering host holds, which existing one was likely meant
// (ps: the prefixes the hosts hold, from presentPrefixes): the nearest environment of the
// nearest project when -p/-e named it, the nearest prefix when --prefix did, with a flags
// command that lists it, checked to resolve to a prefix the hosts hold, so that the hint
// never fails the same way. Without a near one it lists what there is.
func (a *app) prefixHint(st *flags.Store, ps []flags.PrefixInfo, project, env, prefix string) string {
	if len(ps) == 0 {
		return "no answering host holds any store prefix (no *:features hash): is this the Relay's Redis? Check redis.hosts (relaycommander config)"
	}
	held := map[string]flags.PrefixInfo{}
	var names []string
	for _, p := range ps {
		held[p.Prefix] = p
		names = append(names, p.Prefix)
	}
	// listing is a flags command that shows the prefix p, by -p/-e when that resolves to it.
	listing := func(p flags.PrefixInfo) string {
		if p.Mapped && p.Target.Project != "" && p.Target.Environment != "" {
			if at, err := a.resolve(st, p.Target.Project, p.Target.Environment, ""); err == nil && at.prefix == p.Prefix {
				return tsprintf("relaycommander flags -p %s -e %s", p.Target.Project, p.Target.Environment)
			}
		}
		return tsprintf("relaycommander flags --prefix %s", p.Prefix)
	}
	if prefix != "" || project == "" {
		if n, ok := nearest(prefix, names); ok {
			return tsprintf("did you mean --prefix %s? Its flags: %s", n, listing(held[n]))
		}
		return tsprintf("the hosts hold %s: list them with relaycommander flags", count(len(names), "prefix", "prefixes"))
	}

	byProject := map[string][]flags.PrefixInfo{}
	var projects []string
	for _, p := range ps {
		if !p.Mapped || p.Target.Project == "" {
			continue
		}
		if _, ok := byProject[p.Target.Project]; !ok {
			projects = append(projects, p.Target.Project)
		}
		byProject[p.Target.Project] = append(byProject[p.Target.Project], p)
	}
	slices.Sort(projects)
	proj := project
	if _, ok := byProject[proj]; !ok {
		n, ok := nearest(project, projects)
		if !ok {
			if len(projects) == 0 {
				return tsprintf("no prefix on the hosts names a project (list the %s with relaycommander flags)", count(len(names), "prefix", "prefixes"))
			}
			return tsprintf("no project %s on the hosts; the projects there: %s (relaycommander flags lists every prefix)", project, strings.Join(projects, ", "))
		}
		proj = n
	}
	var envs []string
	for _, p := range byProject[proj] {
		envs = append(envs, p.Target.Environment)
	}
	slices.Sort(envs)
	envs = slices.Compact(envs)
	e, ok := nearest(env, envs)
	if !ok {
		if proj != project {
			return tsprintf("did you mean -p %s? Its environments: %s (relaycommander flags -p %s)", proj, strings.Join(envs, ", "), proj)
		}
		return tsprintf("project %s has no environment %s on the hosts; its environments: %s", proj, env, strings.Join(envs, ", "))
	}
	var meant string
	switch {
	case proj == project && e == env: // the environment is there, in another prefix than the one named
		for _, p := range byProject[proj] {
			if p.Target.Environment == e {
				return tsprintf("%s/%s is in prefix %s: %s", proj, e, p.Prefix, listing(p))
			}
		}
	case proj != project && e != env:
		meant = tsprintf("-p %s -e %s", proj, e)
	case proj != project:
		meant = tsprintf("-p %s", proj)
	default:
		meant = tsprintf("-e %s", e)
	}
	for _, p := range byProject[proj] {
		if p.Target.Environment == e {
			return tsprintf("did you mean %s? Its flags: %s", meant, listing(p))
		}
	}
	return tsprintf("did you mean %s?", meant)
}

// flagHint names the flag of a prefix most likely meant by key (tombstones aside), from the
// prefix's flags read now; empty when none is near or they cannot be read.
func flagHint(ctx context.Context, st *flags.Store, prefix, key string) string {
	fs, err := st.Flags(ctx, prefix)
	if err != nil {
		return ""
	}
	var keys []string
	for _, f := range fs.Flags {
		if p, ok := f.Primary(); ok && !p.Deleted {
			keys = append(keys, f.Key)
		}
	}
	if n, ok := nearest(key, keys); ok {
		return tsprintf("did you mean %s?", n)
	}
	return ""
}

// notFound is update's error for a flag no answering host holds: either its prefix is not
// there (then the nearest environment, project or prefix is suggested) or the flag is not in
// it (then the nearest flag key). Discover and the prefix's flags are read only here.
func (a *app) notFound(ctx context.Context, st *flags.Store, project, env, given, prefix, key string) error {
	ps := presentPrefixes(st.Discover(ctx))
	for _, p := range ps {
		if p.Prefix != prefix {
			continue
		}
		msg := tsprintf("no flag %s in %s; nothing was changed", key, prefix)
		if hint := flagHint(ctx, st, prefix, key); hint != "" {
			msg += "; " + hint
		}
		return &exitErr{code: ExitError, msg: msg + tsprintf(" (its flags: relaycommander flags --prefix %s)", prefix)}
	}
	return &exitErr{code: ExitError, msg: tsprintf("no prefix %s on the hosts that answered; nothing was changed; %s", prefix, a.prefixHint(st, ps, project, env, given))}
}
