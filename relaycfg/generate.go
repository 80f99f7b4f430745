// Package relaycfg generates LaunchDarkly Relay Proxy configurations (INI file and environment
// variables) for whole projects, and reads existing ones, so that this tool and Relay agree on
// which Redis prefix holds which project and environment.
package relaycfg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"relaycommander/flags"
	"relaycommander/ldsync"
)

// Relay's defaults.
const (
	DefaultPort     = 8030
	DefaultLocalTTL = 30 * time.Second
	DefaultRedisURL = "redis://localhost:6379"
	DefaultPrefix   = "launchdarkly" // what Relay uses when an environment has no prefix
)

// EnvironmentSource is LaunchDarkly as the generator needs it; *ldsync.Client satisfies it.
type EnvironmentSource interface {
	Project(ctx context.Context, key string) (ldsync.Project, error)
	Environments(ctx context.Context, project string) ([]ldsync.Environment, error)
}

// ProjectEnvironments is one project with every one of its environments.
type ProjectEnvironments struct {
	Project      ldsync.Project
	Environments []ldsync.Environment
}

// Fetch reads the named projects and all their environments from LaunchDarkly.
func Fetch(ctx context.Context, src EnvironmentSource, projectKeys []string) ([]ProjectEnvironments, error) {
	if len(projectKeys) == 0 {
		return nil, errors.New("no project given: name at least one LaunchDarkly project key")
	}
	seen := map[string]bool{}
	var out []ProjectEnvironments
	for _, key := range projectKeys {
		if key == "" {
			return nil, errors.New("empty project key")
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		p, err := src.Project(ctx, key)
		if errors.Is(err, ldsync.ErrNotFound) {
			return nil, fmt.Errorf("project %q: no such project key in LaunchDarkly (give the key, not the display name): %w", key, err)
		}
		if err != nil {
			return nil, fmt.Errorf("project %q: %w", key, err)
		}
		envs, err := src.Environments(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("project %q, listing its environments: %w", key, err)
		}
		if len(envs) == 0 {
			return nil, fmt.Errorf("project %q has no environments in LaunchDarkly", key)
		}
		if p.Key == "" {
			p.Key = key
		}
		out = append(out, ProjectEnvironments{Project: p, Environments: envs})
	}
	return out, nil
}

// Options are the Relay settings that do not come from LaunchDarkly.
type Options struct {
	Port int // Relay's port; 0 means DefaultPort

	// Redis: either RedisURL, or RedisHost (and RedisPort); neither means DefaultRedisURL.
	// The URL must not contain a password: Relay gets it from its REDIS_PASSWORD variable.
	RedisURL      string
	RedisHost     string
	RedisPort     int // 0: Relay's default 6379
	RedisTLS      bool
	RedisUsername string

	// LocalTTL is how long Relay caches what it read from Redis; nil means DefaultLocalTTL,
	// zero means no cache. Negative is refused.
	LocalTTL *time.Duration
}

// TTL is a convenience for Options.LocalTTL.
func TTL(d time.Duration) *time.Duration { return &d }

// entry is one environment as it will be written.
type entry struct {
	project  ldsync.Project
	env      ldsync.Environment
	readable string // "Project Name - Environment Name"
	name     string // section name or environment-variable suffix, unique
	prefix   string
}

type settings struct {
	port      int
	redisURL  string
	redisHost string
	redisPort int
	tls       bool
	username  string
	ttl       time.Duration
}

func (o Options) check() (settings, error) {
	s := settings{port: o.Port, redisURL: o.RedisURL, redisHost: o.RedisHost, redisPort: o.RedisPort,
		tls: o.RedisTLS, username: o.RedisUsername, ttl: DefaultLocalTTL}
	if s.port == 0 {
		s.port = DefaultPort
	}
	if s.port < 1 || s.port > 65535 {
		return s, fmt.Errorf("relay port %d: must be between 1 and 65535", o.Port)
	}
	if s.redisPort < 0 || s.redisPort > 65535 {
		return s, fmt.Errorf("redis port %d: must be between 1 and 65535", o.RedisPort)
	}
	if s.redisURL != "" && (s.redisHost != "" || s.redisPort != 0) {
		return s, errors.New("give either a Redis URL or a Redis host and port, not both")
	}
	if h, p, err := net.SplitHostPort(s.redisHost); err == nil && s.redisPort == 0 {
		// "host:port" given as the host: take it apart rather than write a host Relay can't reach.
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return s, fmt.Errorf("redis host %q: %q is not a port number", o.RedisHost, p)
		}
		s.redisHost, s.redisPort = h, n
	}
	if s.redisURL == "" && s.redisHost == "" {
		if s.redisPort != 0 {
			s.redisHost = "localhost"
		} else {
			s.redisURL = DefaultRedisURL
		}
	}
	if s.redisURL != "" {
		u, err := url.Parse(s.redisURL)
		if err != nil {
			// url.Error repeats the whole URL, password included: show only the reason.
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return s, fmt.Errorf("redis URL is not a valid URL: %v", err)
		}
		if u.Scheme != "redis" && u.Scheme != "rediss" {
			return s, fmt.Errorf("redis URL %q: scheme must be redis:// or rediss://", redactURL(u))
		}
		if u.Host == "" {
			return s, fmt.Errorf("redis URL %q: no host", redactURL(u))
		}
		if _, has := u.User.Password(); has {
			return s, fmt.Errorf("redis URL %q contains a password: the generated file never holds it; remove it from the URL and give it to Relay in its REDIS_PASSWORD environment variable", redactURL(u))
		}
	}
	if strings.ContainsAny(s.redisHost, " \t\r\n\"\\/") {
		return s, fmt.Errorf("redis host %q: not a host name", s.redisHost)
	}
	if o.LocalTTL != nil {
		if *o.LocalTTL < 0 {
			return s, fmt.Errorf("localTtl %v is negative: Relay would then cache flags forever and never see an emergency edit made in Redis until it is restarted; use a positive duration (default %v) or 0 for no cache", *o.LocalTTL, DefaultLocalTTL)
		}
		s.ttl = *o.LocalTTL
	}
	return s, nil
}

func redactURL(u *url.URL) string {
	c := *u
	if _, has := c.User.Password(); has {
		c.User = url.UserPassword(c.User.Username(), "xxxxx")
	}
	return c.String()
}

// entries flattens the projects, sorted by project key then environment key, with readable
// names and convention prefixes.
func entries(projects []ProjectEnvironments) ([]entry, error) {
	if len(projects) == 0 {
		return nil, errors.New("no projects to write")
	}
	var out []entry
	seen := map[string]bool{}
	for _, p := range projects {
		if p.Project.Key == "" {
			return nil, fmt.Errorf("project %q has no key", p.Project.Name)
		}
		for _, e := range p.Environments {
			if e.Key == "" {
				return nil, fmt.Errorf("project %q: an environment (%q) has no key", p.Project.Key, e.Name)
			}
			if e.SDKKey == "" {
				return nil, fmt.Errorf("project %q environment %q has no SDK key: does the API token have access to it?", p.Project.Key, e.Key)
			}
			id := p.Project.Key + "\x00" + e.Key
			if seen[id] {
				return nil, fmt.Errorf("project %q environment %q is listed twice", p.Project.Key, e.Key)
			}
			seen[id] = true
			out = append(out, entry{
				project:  p.Project,
				env:      e,
				readable: displayName(p.Project.Name, p.Project.Key) + " - " + displayName(e.Name, e.Key),
				prefix:   flags.ConventionPrefix(p.Project.Key, e.Key),
			})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].project.Key != out[j].project.Key {
			return out[i].project.Key < out[j].project.Key
		}
		return out[i].env.Key < out[j].env.Key
	})
	return out, nil
}

// displayName is a name fit for one line: control characters become spaces, runs of space
// collapse; an empty name falls back to the key.
func displayName(name, key string) string {
	f := strings.FieldsFunc(strings.ToValidUTF8(name, "\uFFFD"), func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
	if s := strings.Join(f, " "); s != "" {
		return s
	}
	return key
}

// assignNames gives each entry a unique name: base(e), or alt(e) for every entry whose base
// collides with another's (compared after fold), then a counter if even that collides. The notes
// say what was disambiguated.
func assignNames(es []entry, base, alt func(entry) string, fold func(string) string, what string) []string {
	count := map[string]int{}
	for _, e := range es {
		count[fold(base(e))]++
	}
	var notes []string
	used := map[string]bool{}
	for i := range es {
		b := base(es[i])
		n := b
		if count[fold(n)] > 1 {
			n = alt(es[i])
		}
		for k, orig := 2, n; used[fold(n)]; k++ {
			n = orig + "_" + strconv.Itoa(k)
			if what == "section name" {
				n = orig + " #" + strconv.Itoa(k)
			}
		}
		if n != b {
			notes = append(notes, fmt.Sprintf("%s %q is shared by several environments: %s/%s is written as %q",
				what, b, es[i].project.Key, es[i].env.Key, n))
		}
		used[fold(n)] = true
		es[i].name = n
	}
	return notes
}

// quoteValue quotes a value the way gcfg (Relay's INI parser) unquotes it. gcfg has no escape
// for a carriage return or NUL, so those are refused.
func quoteValue(v string) (string, error) {
	if !utf8.ValidString(v) {
		return "", fmt.Errorf("value %q is not valid UTF-8, which Relay's INI format requires", v)
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range v {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r == 0 || r == '\r' {
				return "", fmt.Errorf("value %q: Relay's INI format cannot hold this character", v)
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String(), nil
}

// quoteSection quotes a subsection name for gcfg: only \\ and \" are escapes there, and a
// name holds no control characters (displayName removed them).
func quoteSection(name string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
}

// comment makes text safe for a one-line comment.
func comment(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

func projectList(es []entry) string {
	var keys []string
	for _, e := range es {
		if len(keys) == 0 || keys[len(keys)-1] != e.project.Key {
			keys = append(keys, e.project.Key)
		}
	}
	return strings.Join(keys, ", ")
}

// INI renders a Relay Proxy configuration file. The notes say which names had to be
// disambiguated; they are also written into the file as comments.
func INI(projects []ProjectEnvironments, opts Options) ([]byte, []string, error) {
	s, err := opts.check()
	if err != nil {
		return nil, nil, err
	}
	es, err := entries(projects)
	if err != nil {
		return nil, nil, err
	}
	notes := assignNames(es,
		func(e entry) string { return e.readable },
		func(e entry) string { return e.readable + " (" + e.project.Key + "/" + e.env.Key + ")" },
		func(s string) string { return s },
		"section name")

	var b bytes.Buffer
	fmt.Fprintf(&b, "# LaunchDarkly Relay Proxy configuration for project(s): %s\n", projectList(es))
	b.WriteString("# Generated by relaycommander. This file contains SDK keys: keep it secret (mode 0600).\n")
	b.WriteString("# Each environment's prefix follows ld:{project}:{environment}, the layout relaycommander expects.\n")
	for _, n := range notes {
		fmt.Fprintf(&b, "# Note: %s\n", comment(n))
	}
	fmt.Fprintf(&b, "\n[Main]\nport = %d\n\n[Redis]\n", s.port)
	if s.redisURL != "" {
		q, err := quoteValue(s.redisURL)
		if err != nil {
			return nil, nil, fmt.Errorf("redis URL: %w", err)
		}
		fmt.Fprintf(&b, "url = %s\n", q)
	} else {
		q, err := quoteValue(s.redisHost)
		if err != nil {
			return nil, nil, fmt.Errorf("redis host: %w", err)
		}
		fmt.Fprintf(&b, "host = %s\n", q)
		if s.redisPort != 0 {
			fmt.Fprintf(&b, "port = %d\n", s.redisPort)
		}
	}
	if s.tls {
		b.WriteString("tls = true\n")
	}
	if s.username != "" {
		q, err := quoteValue(s.username)
		if err != nil {
			return nil, nil, fmt.Errorf("redis username: %w", err)
		}
		fmt.Fprintf(&b, "username = %s\n", q)
	}
	b.WriteString("# The Redis password is never written here. Relay reads it from its REDIS_PASSWORD\n")
	b.WriteString("# environment variable when started with both: ld-relay --config <this file> --from-env\n")
	b.WriteString("# localTtl: Relay re-reads Redis this often, so an emergency edit made in Redis reaches\n")
	b.WriteString("# Relay within it (0 = no cache; never negative: Relay would never see the edit).\n")
	fmt.Fprintf(&b, "localTtl = %s\n", s.ttl)

	for _, e := range es {
		fmt.Fprintf(&b, "\n[Environment %s]\n", quoteSection(e.name))
		for _, kv := range [][2]string{
			{"sdkKey", e.env.SDKKey},
			{"mobileKey", e.env.MobileKey},
			{"envId", e.env.ClientSideID},
			{"projKey", e.project.Key},
			{"prefix", e.prefix},
		} {
			if kv[1] == "" {
				continue
			}
			q, err := quoteValue(kv[1])
			if err != nil {
				return nil, nil, fmt.Errorf("project %q environment %q, %s: %w", e.project.Key, e.env.Key, kv[0], err)
			}
			fmt.Fprintf(&b, "%s = %s\n", kv[0], q)
		}
	}
	return b.Bytes(), notes, nil
}

// EnvVarName reduces a name to what an environment variable name allows: ASCII letters, digits
// and underscores, not starting with a digit. Accents are dropped (é -> e); every other run of
// characters becomes one underscore. The result may be empty.
func EnvVarName(s string) string {
	var b strings.Builder
	sep := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if sep && b.Len() > 0 {
				b.WriteByte('_')
			}
			sep = false
			b.WriteRune(r)
		default:
			sep = true
		}
	}
	out := b.String()
	if out != "" && out[0] >= '0' && out[0] <= '9' {
		out = "_" + out
	}
	return out
}

// envValue writes a value unquoted when it is plain (so that docker --env-file, which does not
// strip quotes, reads it as is), else double-quoted for shells and systemd.
func envValue(v string) (string, error) {
	plain := v != ""
	for _, r := range v {
		if r == 0 || r == '\n' || r == '\r' {
			return "", fmt.Errorf("value %q: an environment file cannot hold a line break or NUL", v)
		}
		if !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) || strings.ContainsRune("_-.:/@%+,=", r)) {
			plain = false
		}
	}
	if plain {
		return v, nil
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "`", "\\`").Replace(v) + `"`, nil
}

// Env renders the same configuration in Relay's environment-variable form. Environment names are
// reduced to what a variable name allows; names that collide after reduction are disambiguated
// with the project and environment keys and reported in the notes (and in the file's comments).
func Env(projects []ProjectEnvironments, opts Options) ([]byte, []string, error) {
	s, err := opts.check()
	if err != nil {
		return nil, nil, err
	}
	es, err := entries(projects)
	if err != nil {
		return nil, nil, err
	}
	keysName := func(e entry) string {
		n := EnvVarName(e.project.Key + " " + e.env.Key)
		if n == "" {
			n = "ENV"
		}
		return n
	}
	base := func(e entry) string {
		if n := EnvVarName(e.readable); n != "" {
			return n
		}
		return keysName(e)
	}
	alt := func(e entry) string {
		b, k := base(e), keysName(e)
		if b == k {
			return b
		}
		return b + "_" + k
	}
	// Case-insensitive: Windows and some tools do not distinguish variable names by case.
	notes := assignNames(es, base, alt, strings.ToUpper, "environment variable name")

	var b bytes.Buffer
	fmt.Fprintf(&b, "# LaunchDarkly Relay Proxy environment for project(s): %s\n", projectList(es))
	b.WriteString("# Generated by relaycommander. This file contains SDK keys: keep it secret (mode 0600).\n")
	b.WriteString("# REDIS_PASSWORD is never written here: set it in Relay's environment separately.\n")
	for _, n := range notes {
		fmt.Fprintf(&b, "# Note: %s\n", comment(n))
	}
	var lines [][2]string
	lines = append(lines, [2]string{"PORT", strconv.Itoa(s.port)}, [2]string{"USE_REDIS", "1"})
	if s.redisURL != "" {
		lines = append(lines, [2]string{"REDIS_URL", s.redisURL})
	} else {
		lines = append(lines, [2]string{"REDIS_HOST", s.redisHost})
		if s.redisPort != 0 {
			lines = append(lines, [2]string{"REDIS_PORT", strconv.Itoa(s.redisPort)})
		}
	}
	if s.tls {
		lines = append(lines, [2]string{"REDIS_TLS", "true"})
	}
	if s.username != "" {
		lines = append(lines, [2]string{"REDIS_USERNAME", s.username})
	}
	lines = append(lines, [2]string{"CACHE_TTL", s.ttl.String()})
	b.WriteByte('\n')
	if err := writeEnvLines(&b, lines); err != nil {
		return nil, nil, err
	}
	for _, e := range es {
		fmt.Fprintf(&b, "\n# %s (%s/%s)\n", comment(e.readable), e.project.Key, e.env.Key)
		lines = lines[:0]
		for _, kv := range [][2]string{
			{"LD_ENV_", e.env.SDKKey},
			{"LD_MOBILE_KEY_", e.env.MobileKey},
			{"LD_CLIENT_SIDE_ID_", e.env.ClientSideID},
			{"LD_PROJ_KEY_", e.project.Key},
			{"LD_PREFIX_", e.prefix},
		} {
			if kv[1] != "" {
				lines = append(lines, [2]string{kv[0] + e.name, kv[1]})
			}
		}
		if err := writeEnvLines(&b, lines); err != nil {
			return nil, nil, fmt.Errorf("project %q environment %q: %w", e.project.Key, e.env.Key, err)
		}
	}
	return b.Bytes(), notes, nil
}

func writeEnvLines(b *bytes.Buffer, lines [][2]string) error {
	for _, kv := range lines {
		v, err := envValue(kv[1])
		if err != nil {
			return fmt.Errorf("%s: %w", kv[0], err)
		}
		fmt.Fprintf(b, "%s=%s\n", kv[0], v)
	}
	return nil
}
