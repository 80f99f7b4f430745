package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"relaycommander/flags"
)

// hostJSON is a host's reachability for --json.
type hostJSON struct {
	Name      string  `json:"name"`
	Up        bool    `json:"up"`
	LatencyMS float64 `json:"latencyMs"`
	Error     string  `json:"error,omitempty"`
}

// hostsJSON is every host's reachability for --json.
func hostsJSON(hs []flags.HostStatus) []hostJSON {
	out := make([]hostJSON, 0, len(hs))
	for _, h := range hs {
		out = append(out, hostJSON{Name: h.Host, Up: h.Up, LatencyMS: ms(h.Latency), Error: errString(h.Err)})
	}
	return out
}

// downHosts reports unreachable hosts on stderr and returns the partial-failure error; when
// none answered, noHostAnswered.
func (a *app) downHosts(hs []flags.HostStatus) error {
	if !anyUp(hs) {
		return noHostAnswered(hs)
	}
	var down []string
	for _, h := range hs {
		if !h.Up {
			down = append(down, h.Host)
			tprintf(a.sys.Stderr, "Redis host %s did not answer: %v\n", h.Host, h.Err)
		}
	}
	if len(down) == 0 {
		return nil
	}
	return &exitErr{code: ExitPartial, msg: tsprintf("%d of %s unreachable (%s): what is shown comes from the others; check the hosts and the redis.hosts configuration",
		len(down), count(len(hs), "Redis host", "Redis hosts"), strings.Join(down, ", "))}
}

func anyUp(hs []flags.HostStatus) bool {
	for _, h := range hs {
		if h.Up {
			return true
		}
	}
	return len(hs) == 0
}

// noHostAnswered is the error when no Redis host answered: nothing could be shown. It lists
// each host's error and what to check.
func noHostAnswered(hs []flags.HostStatus) error {
	var b strings.Builder
	b.WriteString("no Redis host answered, so there is nothing to show:\n")
	for _, h := range hs {
		if msg := errString(h.Err); strings.Contains(msg, h.Host) {
			b.WriteString(tsprintf("  %s\n", msg)) // the error names its host
		} else {
			b.WriteString(tsprintf("  %s: %s\n", h.Host, msg))
		}
	}
	b.WriteString("Check that the hosts are up and reachable from here (redis-cli -h HOST -p PORT ping), that redis.hosts " +
		"names them (relaycommander config shows the hosts and where they come from), and any password or TLS they need.")
	return &exitErr{code: ExitError, msg: b.String()}
}

// flagsOptions are the flags command's flags.
type flagsOptions struct {
	app                  *app
	project, env, prefix string
	json                 bool
}

func newFlagsCmd(a *app) *cobra.Command {
	opts := &flagsOptions{app: a}
	cmd := &cobra.Command{
		Use:   "flags [-p PROJECT] [-e ENVIRONMENT | --prefix PREFIX] [--json]",
		Short: "List the store prefixes on the Redis hosts, or the flags of one environment with their state per host",
		Example: `  relaycommander flags                          # every prefix on every host
  relaycommander flags -p web-store             # the environments of one project
  relaycommander flags -p web-store -e production
  relaycommander flags --prefix launchdarkly --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runFlags(cmd.Context(), opts) },
	}
	f := cmd.Flags()
	f.StringVarP(&opts.project, "project", "p", "", "LaunchDarkly project key")
	f.StringVarP(&opts.env, "environment", "e", "", "LaunchDarkly environment key (with -p)")
	f.StringVar(&opts.prefix, "prefix", "", "store prefix, for prefixes that are not ld:{project}:{environment}")
	f.BoolVar(&opts.json, "json", false, "print JSON")
	return cmd
}

// runFlags lists the prefixes, or with -e or --prefix the flags of one of them.
func runFlags(ctx context.Context, opts *flagsOptions) error {
	a := opts.app
	if opts.env != "" && opts.project == "" && opts.prefix == "" {
		return usageErr("-e %s needs -p PROJECT", opts.env)
	}
	if _, err := a.config(); err != nil {
		return err
	}
	st, err := a.openStore()
	if err != nil {
		return err
	}
	if opts.prefix == "" && opts.env == "" {
		return listPrefixes(ctx, opts, st)
	}
	at, err := a.resolve(st, opts.project, opts.env, opts.prefix)
	if err != nil {
		return err
	}
	return listFlags(ctx, opts, st, at)
}

// location is a store prefix and the project's environment it holds, if known.
type location struct {
	prefix string
	flags.Target
	mapped bool // the target is known: from the configuration, a Relay config or the convention
}

// resolve names the prefix of a project's environment (the configured mapping first, then the
// convention), or the target of an explicit prefix.
func (a *app) resolve(st *flags.Store, project, env, prefix string) (location, error) {
	cfg, err := a.config()
	if err != nil {
		return location{}, err
	}
	if prefix != "" {
		t, ok := st.Locate(prefix)
		if ok && (project != "" || env != "") && (t.Project != project || t.Environment != env) {
			return location{}, usageErr("prefix %s holds %s/%s, not %s/%s: drop -p/-e or fix the prefixes mapping",
				prefix, t.Project, t.Environment, project, env)
		}
		if !ok && project != "" && env != "" {
			return location{prefix, flags.Target{Project: project, Environment: env}, true}, nil
		}
		return location{prefix, t, ok}, nil
	}
	if project == "" || env == "" {
		return location{}, usageErr("name the environment with -p PROJECT -e ENVIRONMENT, or the store prefix with --prefix")
	}
	want := flags.Target{Project: project, Environment: env}
	found := cfg.PrefixesOf(want)
	switch len(found) {
	case 0:
		return location{flags.ConventionPrefix(project, env), want, true}, nil
	case 1:
		return location{found[0], want, true}, nil
	default:
		return location{}, usageErr("%s/%s is mapped to several prefixes (%s): choose one with --prefix",
			project, env, strings.Join(found, ", "))
	}
}

// prefixesJSON is flags --json without -e or --prefix.
type prefixesJSON struct {
	Hosts    []hostJSON   `json:"hosts"`
	Prefixes []prefixJSON `json:"prefixes"`
}

// prefixJSON is one prefix in flags --json.
type prefixJSON struct {
	Prefix      string             `json:"prefix"`
	Project     string             `json:"project,omitempty"`
	Environment string             `json:"environment,omitempty"`
	Mapped      bool               `json:"mapped"`
	Hosts       []prefixOnHostJSON `json:"hosts"`
}

type prefixOnHostJSON struct {
	Host    string `json:"host"`
	Present bool   `json:"present"`
	Inited  bool   `json:"inited"`
	Flags   int    `json:"flags"`
}

// listPrefixes prints the hosts and the prefixes they hold.
func listPrefixes(ctx context.Context, opts *flagsOptions, st *flags.Store) error {
	a, project := opts.app, opts.project
	d := st.Discover(ctx)
	var ps []flags.PrefixInfo
	for _, p := range d.Prefixes {
		if project == "" || p.Target.Project == project {
			ps = append(ps, p)
		}
	}
	if opts.json {
		out := prefixesJSON{Hosts: hostsJSON(d.Hosts), Prefixes: []prefixJSON{}}
		for _, p := range ps {
			pj := prefixJSON{Prefix: p.Prefix, Project: p.Target.Project, Environment: p.Target.Environment, Mapped: p.Mapped}
			for _, h := range p.Hosts {
				pj.Hosts = append(pj.Hosts, prefixOnHostJSON(h))
			}
			out.Prefixes = append(out.Prefixes, pj)
		}
		if err := a.writeJSON(out); err != nil {
			return err
		}
	} else {
		w := tabwriter.NewWriter(a.sys.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "HOST\tSTATE\tLATENCY")
		for _, h := range d.Hosts {
			state := "up"
			if !h.Up {
				state = "DOWN"
			}
			tprintf(w, "%s\t%s\t%s\n", h.Host, state, h.Latency.Round(100*time.Microsecond))
		}
		w.Flush()
		if !anyUp(d.Hosts) {
			return a.downHosts(d.Hosts) // no prefix table: nothing was read
		}
		fmt.Fprintln(a.sys.Stdout)
		w = tabwriter.NewWriter(a.sys.Stdout, 0, 4, 2, ' ', 0)
		up := map[string]bool{}
		for _, h := range d.Hosts {
			up[h.Host] = h.Up
		}
		fmt.Fprintln(w, "PROJECT\tENVIRONMENT\tPREFIX\tFLAGS\tHOSTS\tNOTES")
		for _, p := range ps {
			proj, env := p.Target.Project, p.Target.Environment
			if !p.Mapped {
				proj, env = "?", "?"
			}
			tprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\n", proj, env, p.Prefix, maxFlags(p), presentOn(p, len(d.Hosts)), prefixNotes(p, up))
		}
		w.Flush()
		switch {
		case len(ps) == 0 && project != "":
			tprintf(a.sys.Stdout, "\nNo prefix of project %s on the reachable hosts", project)
			var projects []string
			for _, p := range presentPrefixes(d) {
				if p.Mapped && p.Target.Project != "" {
					projects = append(projects, p.Target.Project)
				}
			}
			if n, ok := nearest(project, projects); ok {
				tprintf(a.sys.Stdout, "; did you mean -p %s? relaycommander flags -p %s\n", n, n)
			} else {
				fmt.Fprintln(a.sys.Stdout, ". Without a filter: relaycommander flags")
			}
		case len(ps) == 0:
			fmt.Fprintln(a.sys.Stdout, "\nNo store prefix (no *:features hash) on the reachable hosts: is this the Relay's Redis?")
		default:
			fmt.Fprintln(a.sys.Stdout, "\nFlags of one environment: relaycommander flags -p PROJECT -e ENVIRONMENT")
		}
	}
	return a.downHosts(d.Hosts)
}

func maxFlags(p flags.PrefixInfo) int {
	n := 0
	for _, h := range p.Hosts {
		n = max(n, h.Flags)
	}
	return n
}

func presentOn(p flags.PrefixInfo, hosts int) string {
	n := 0
	for _, h := range p.Hosts {
		if h.Present {
			n++
		}
	}
	return tsprintf("%d/%d", n, hosts)
}

// prefixNotes warns about a prefix; up says which hosts answered (a down host proves nothing).
func prefixNotes(p flags.PrefixInfo, up map[string]bool) string {
	var notes []string
	if !p.Mapped {
		notes = append(notes, "unmapped: map it under prefixes: in the configuration to replay its changes")
	}
	var missingInit, missing []string
	for _, h := range p.Hosts {
		if !up[h.Host] {
			continue
		}
		if !h.Present {
			missing = append(missing, h.Host)
		} else if !h.Inited {
			missingInit = append(missingInit, h.Host)
		}
	}
	if len(missing) > 0 {
		notes = append(notes, "missing on "+strings.Join(missing, ","))
	}
	if len(missingInit) > 0 {
		notes = append(notes, "no $inited on "+strings.Join(missingInit, ",")+" (Relay answers 503)")
	}
	return strings.Join(notes, "; ")
}

// prefixFlagsJSON is flags --json with -e or --prefix: one prefix's flags.
type prefixFlagsJSON struct {
	Prefix      string     `json:"prefix"`
	Project     string     `json:"project,omitempty"`
	Environment string     `json:"environment,omitempty"`
	Mapped      bool       `json:"mapped"`
	Hosts       []hostJSON `json:"hosts"`
	Flags       []flagJSON `json:"flags"`
}

// flagJSON is one flag in flags --prefix --json.
type flagJSON struct {
	Key        string         `json:"key"`
	Agree      bool           `json:"agree"`
	Difference string         `json:"difference,omitempty"`
	Dependants []string       `json:"dependants,omitempty"`
	Hosts      []hostFlagJSON `json:"hosts"`
}

type hostFlagJSON struct {
	Host          string   `json:"host"`
	Present       bool     `json:"present"`
	On            bool     `json:"on"`
	Version       int      `json:"version"`
	Deleted       bool     `json:"deleted,omitempty"`
	OffVariation  *int     `json:"offVariation"`
	Variations    int      `json:"variations"`
	Prerequisites []string `json:"prerequisites,omitempty"`
	Unreadable    string   `json:"unreadable,omitempty"`
}

// listFlags prints one prefix's flags with their state on every host.
func listFlags(ctx context.Context, opts *flagsOptions, st *flags.Store, at location) error {
	a, prefix, t, mapped := opts.app, at.prefix, at.Target, at.mapped
	fs, err := st.Flags(ctx, prefix)
	if err != nil {
		if errors.Is(err, flags.ErrUnknownPrefix) {
			return fmt.Errorf("%w; %s", err, a.prefixHint(st, presentPrefixes(st.Discover(ctx)), opts.project, opts.env, opts.prefix))
		}
		if !anyUp(fs.Hosts) && !errors.Is(err, flags.ErrWrongType) {
			return noHostAnswered(fs.Hosts)
		}
		return err
	}
	if opts.json {
		out := prefixFlagsJSON{Prefix: fs.Prefix, Project: t.Project, Environment: t.Environment, Mapped: mapped, Hosts: hostsJSON(fs.Hosts),
			Flags: make([]flagJSON, 0, len(fs.Flags))}
		hosts := make([]hostFlagJSON, 0, len(fs.Flags)*len(fs.Hosts)) // every flag's, in one allocation
		for _, f := range fs.Flags {
			ag := f.Agreement()
			fj := flagJSON{Key: f.Key, Agree: ag.Same(), Difference: ag.Difference, Dependants: f.Dependants}
			from := len(hosts)
			for _, h := range f.Hosts {
				hosts = append(hosts, hostFlagJSON{Host: h.Host, Present: h.Present, On: h.On, Version: h.Version,
					Deleted: h.Deleted, OffVariation: h.OffVariation, Variations: h.Variations, Prerequisites: h.Prerequisites,
					Unreadable: h.Unreadable})
			}
			fj.Hosts = hosts[from:len(hosts):len(hosts)]
			out.Flags = append(out.Flags, fj)
		}
		if err := a.writeJSON(out); err != nil {
			return err
		}
		return a.downHosts(fs.Hosts)
	}
	where := prefix
	if mapped {
		where = tsprintf("%s/%s (prefix %s)", t.Project, t.Environment, prefix)
	} else {
		where += " (unmapped: replaying its changes needs a prefixes: mapping)"
	}
	tprintf(a.sys.Stdout, "%s, %s\n\n", where, count(len(fs.Flags), "flag", "flags"))
	w := tabwriter.NewWriter(a.sys.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprint(w, "FLAG")
	for _, h := range st.HostNames() {
		tprintf(w, "\t%s", h)
	}
	fmt.Fprintln(w, "\tNOTES")
	for _, f := range fs.Flags {
		fmt.Fprint(w, tsprintf("%s", f.Key))
		for _, h := range f.Hosts {
			tprintf(w, "\t%s", flagCell(h))
		}
		var notes []string
		if ag := f.Agreement(); !ag.Same() {
			notes = append(notes, "HOSTS DIFFER: "+ag.Difference)
		}
		if p, ok := f.Primary(); ok && len(p.Prerequisites) > 0 {
			notes = append(notes, "prerequisites: "+strings.Join(p.Prerequisites, ","))
		}
		if len(f.Dependants) > 0 {
			notes = append(notes, "needed by: "+strings.Join(f.Dependants, ","))
		}
		tprintf(w, "\t%s\n", strings.Join(notes, "; "))
	}
	w.Flush()
	return a.downHosts(fs.Hosts)
}

// flagCell is one host's state of a flag in the table: HostFlag.State, with the table's "-"
// where an answering host has no such flag.
func flagCell(h flags.HostFlag) string {
	if !h.Present && !h.HostDown {
		return "-"
	}
	return h.State()
}
