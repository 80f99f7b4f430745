package cli

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"

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
			// the error names the host already ("host A: ping: ..."): once is enough
			tprintf(a.sys.Stderr, "Redis host %s did not answer: %s\n", h.Host, strings.TrimPrefix(errString(h.Err), "host "+h.Host+": "))
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
	if project != "" && len(ps) == 0 && anyUp(d.Hosts) {
		return unknownProject(d, project)
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
			if h.Up {
				tprintf(w, "%s\tup\t%.1f ms\n", h.Host, ms(h.Latency)) // as status writes it
			} else {
				tprintf(w, "%s\tDOWN\t-\n", h.Host) // it timed out or was refused: no latency
			}
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
		case len(ps) == 0:
			fmt.Fprintln(a.sys.Stdout, "\nNo store prefix (no *:features hash) on the reachable hosts: is this the Relay's Redis?")
		default:
			fmt.Fprintln(a.sys.Stdout, "\nFlags of one environment: relaycommander flags -p PROJECT -e ENVIRONMENT")
		}
	}
	return a.downHosts(d.Hosts)
}

// unknownProject is flags -p's error for a project no answering host holds: exit 1, as for an
// unknown environment or prefix (the command line is well formed; what it names is not on
// the hosts), with the project most likely meant, and nothing on stdout for a script to
// take for a project without environments.
func unknownProject(d flags.Discovery, project string) error {
	where := "the Redis hosts"
	var down []string
	for _, h := range d.Hosts {
		if !h.Up {
			down = append(down, h.Host)
		}
	}
	if len(down) > 0 {
		where += " that answered"
	}
	var projects []string
	for _, p := range presentPrefixes(d) {
		if p.Mapped && p.Target.Project != "" && !slices.Contains(projects, p.Target.Project) {
			projects = append(projects, p.Target.Project)
		}
	}
	slices.Sort(projects)
	msg := tsprintf("no prefix of project %s on %s", project, where)
	switch n, ok := nearest(project, projects); {
	case ok:
		msg += tsprintf("; did you mean -p %s? relaycommander flags -p %s", n, n)
	case len(projects) > 0:
		msg += tsprintf("; the projects there: %s (relaycommander flags lists every prefix)", strings.Join(projects, ", "))
	default:
		msg += "; no prefix there names a project (relaycommander flags lists every prefix)"
	}
	if len(down) > 0 {
		hosts, them := "Redis host "+down[0], "it"
		if len(down) > 1 {
			hosts, them = "Redis hosts "+strings.Join(down, ", "), "them"
		}
		msg += tsprintf(". %s did not answer and may hold it: check %s and run the command again", hosts, them)
	}
	return &exitErr{code: ExitError, msg: msg}
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

// prefixFlagsJSON is flags --json with -e or --prefix: one prefix's flags, as
// writePrefixFlagsJSON writes it (the tests decode it with these types).
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

// writePrefixFlagsJSON writes prefixFlagsJSON's compact JSON for fs straight from the
// read flags, the same bytes encoding/json writes for it: a prefix of 20,000 flags is
// megabytes of JSON, and going through reflection and a copy of every flag cost more than
// reading them from Redis (issue 14).
func writePrefixFlagsJSON(o *jsonOut, fs flags.FlagSet, t flags.Target, mapped bool) {
	b := o.b
	b = append(b, `{"prefix":`...)
	b = appendJSONString(b, fs.Prefix)
	if t.Project != "" {
		b = append(b, `,"project":`...)
		b = appendJSONString(b, t.Project)
	}
	if t.Environment != "" {
		b = append(b, `,"environment":`...)
		b = appendJSONString(b, t.Environment)
	}
	b = append(b, `,"mapped":`...)
	b = appendJSONBool(b, mapped)
	b = append(b, `,"hosts":[`...)
	for i, h := range fs.Hosts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = appendJSONString(b, h.Host)
		b = append(b, `,"up":`...)
		b = appendJSONBool(b, h.Up)
		b = append(b, `,"latencyMs":`...)
		b = appendJSONFloat(b, ms(h.Latency))
		if msg := errString(h.Err); msg != "" {
			b = append(b, `,"error":`...)
			b = appendJSONString(b, msg)
		}
		b = append(b, '}')
	}
	o.b = append(b, `],"flags":[`...)
	writeFlagsJSON(o, fs.Flags)
	o.b = append(o.b, "]}"...)
}

// jsonFlagsPerPart is how many flags one goroutine encodes at a time for writeFlagsJSON.
const jsonFlagsPerPart = 256

// writeFlagsJSON writes the flags' objects, comma-separated. A big prefix is encoded in
// parts on every CPU and the parts written in order: the encoding is all that is left to
// do once the hosts have answered. The first failed write stops it (a reader that went away,
// | head): the work after it is bounded by the parts the workers may hold ahead.
func writeFlagsJSON(o *jsonOut, fl []flags.Flag) {
	parts := (len(fl) + jsonFlagsPerPart - 1) / jsonFlagsPerPart
	workers := min(runtime.GOMAXPROCS(0), parts)
	if workers <= 1 {
		for i, f := range fl {
			if o.err != nil {
				return
			}
			if i > 0 {
				o.b = append(o.b, ',')
			}
			o.b = appendFlagJSON(o.b, f)
			o.flagsEncoded++
			o.maybeFlush()
		}
		return
	}
	encoded := make([][]byte, parts)
	ready := make([]chan struct{}, parts)
	for p := range ready {
		ready[p] = make(chan struct{})
	}
	// ahead holds a token per part encoded or being encoded and not yet written: a slow
	// reader does not make the workers hold the whole prefix, and a failed write wastes
	// little.
	ahead := make(chan struct{}, 2*workers)
	stop := make(chan struct{})
	var next, encodedFlags atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				select {
				case ahead <- struct{}{}:
				case <-stop:
					return
				}
				select {
				case <-stop: // both were ready: the select above may have taken the token
					return
				default:
				}
				p := int(next.Add(1) - 1)
				if p >= parts {
					return
				}
				part := fl[p*jsonFlagsPerPart : min((p+1)*jsonFlagsPerPart, len(fl))]
				b := make([]byte, 0, len(part)*(64+len(part[0].Hosts)*160))
				for i, f := range part {
					if p > 0 || i > 0 {
						b = append(b, ',')
					}
					b = appendFlagJSON(b, f)
				}
				encoded[p] = b
				encodedFlags.Add(int64(len(part)))
				close(ready[p])
			}
		})
	}
	for p := range parts {
		<-ready[p]
		o.flush()
		if o.err == nil {
			_, o.err = o.w.Write(encoded[p])
		}
		encoded[p] = nil
		<-ahead
		if o.err != nil {
			break
		}
	}
	close(stop)
	wg.Wait()
	o.flagsEncoded += int(encodedFlags.Load())
}

func appendFlagJSON(b []byte, f flags.Flag) []byte {
	b = append(b, `{"key":`...)
	b = appendJSONString(b, f.Key)
	difference := ""
	if !f.StoredAlike() {
		difference = f.Agreement().Difference
	}
	b = append(b, `,"agree":`...)
	b = appendJSONBool(b, difference == "")
	if difference != "" {
		b = append(b, `,"difference":`...)
		b = appendJSONString(b, difference)
	}
	if len(f.Dependants) > 0 {
		b = append(b, `,"dependants":`...)
		b = appendJSONStrings(b, f.Dependants)
	}
	b = append(b, `,"hosts":[`...)
	for j, h := range f.Hosts {
		if j > 0 {
			b = append(b, ',')
		}
		b = appendHostFlagJSON(b, h)
	}
	return append(b, "]}"...)
}

func appendHostFlagJSON(b []byte, h flags.HostFlag) []byte {
	b = append(b, `{"host":`...)
	b = appendJSONString(b, h.Host)
	b = append(b, `,"present":`...)
	b = appendJSONBool(b, h.Present)
	b = append(b, `,"on":`...)
	b = appendJSONBool(b, h.On)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(h.Version), 10)
	if h.Deleted {
		b = append(b, `,"deleted":true`...)
	}
	b = append(b, `,"offVariation":`...)
	if h.OffVariation == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(*h.OffVariation), 10)
	}
	b = append(b, `,"variations":`...)
	b = strconv.AppendInt(b, int64(h.Variations), 10)
	if len(h.Prerequisites) > 0 {
		b = append(b, `,"prerequisites":`...)
		b = appendJSONStrings(b, h.Prerequisites)
	}
	if h.Unreadable != "" {
		b = append(b, `,"unreadable":`...)
		b = appendJSONString(b, h.Unreadable)
	}
	return append(b, '}')
}

func appendJSONStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
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
		if err := a.writeStreamedJSON(func(o *jsonOut) { writePrefixFlagsJSON(o, fs, t, mapped) }); err != nil {
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
