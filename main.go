// Command relaycommander flips LaunchDarkly feature flags directly in the Redis store that the
// Relay Proxy serves from while LaunchDarkly is unreachable, records every change in a journal,
// and replays the journal to LaunchDarkly when it is back.
//
// This file is the composition root: configuration (viper), commands (cobra), and the wiring
// of the flags store, the journal, the LaunchDarkly client and the terminal UI.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/charmbracelet/x/term"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"github.com/subosito/gotenv"
	"go.yaml.in/yaml/v3"

	"relaycommander/flags"
	"relaycommander/flags/fixture"
	"relaycommander/journal"
	"relaycommander/ldsync"
	"relaycommander/ldsync/ldfake"
	"relaycommander/relaycfg"
	"relaycommander/tui"
)

// Exit codes, documented in the README.
const (
	exitOK        = 0
	exitError     = 1
	exitUsage     = 2
	exitPartial   = 3 // some hosts or some changes failed
	exitConflicts = 4 // conflicts await the operator's decision
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	dir, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(os.Stderr, "relaycommander: working directory: %v\n", err)
		os.Exit(exitError)
	}
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	code := run(ctx, &sys{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		env: env, dir: dir,
		stdinTTY:  term.IsTerminal(os.Stdin.Fd()),
		stdoutTTY: term.IsTerminal(os.Stdout.Fd()),
	}, os.Args[1:])
	stop()
	os.Exit(code)
}

// sys is everything the commands take from the outside world, so that tests inject it.
type sys struct {
	stdin     io.Reader
	stdout    io.Writer
	stderr    io.Writer
	env       map[string]string                       // the process environment (a .env file is added on load)
	dir       string                                  // working directory: relative paths, ./relaycommander.yaml, ./.env
	stdinTTY  bool                                    // confirmations may be asked
	stdoutTTY bool                                    // progress bars instead of plain lines
	operator  func() string                           // the OS user; nil = os/user
	runTUI    func(context.Context, tui.Config) error // nil = tui.Run; tests see what the UI would get
}

func (s *sys) tui(ctx context.Context, cfg tui.Config) error {
	if s.runTUI != nil {
		return s.runTUI(ctx, cfg)
	}
	return tui.Run(ctx, cfg)
}

// exitErr carries an exit code; an empty message prints nothing (the command already reported).
type exitErr struct {
	code int
	msg  string
}

func (e *exitErr) Error() string { return e.msg }

func usageErr(format string, args ...any) error {
	return &exitErr{code: exitUsage, msg: fmt.Sprintf(format, args...)}
}

// run executes one command line and returns the process exit code.
func run(ctx context.Context, s *sys, args []string) int {
	a := &app{sys: s}
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetIn(s.stdin)
	root.SetOut(s.stdout)
	root.SetErr(s.stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if a.closers != nil {
		for i := len(a.closers) - 1; i >= 0; i-- {
			a.closers[i]()
		}
	}
	if err == nil {
		return exitOK
	}
	code := exitError
	var ee *exitErr
	if errors.As(err, &ee) {
		code = ee.code
	} else if isCobraUsage(err) {
		code = exitUsage
	}
	if msg := err.Error(); msg != "" {
		fmt.Fprintf(s.stderr, "relaycommander: %s\n", msg)
	}
	if code == exitUsage && cmd != nil {
		fmt.Fprintf(s.stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return code
}

// isCobraUsage recognises the one argument error cobra produces itself: flag errors go through
// the FlagErrorFunc and argument checks are ours, but a command with subcommands (completion)
// rejects an unknown one on its own.
func isCobraUsage(err error) bool {
	return strings.HasPrefix(err.Error(), "unknown command")
}

// app holds one invocation's state: global flags, loaded configuration, opened resources.
type app struct {
	sys     *sys
	global  *pflag.FlagSet
	cfg     *config
	closers []func()
}

func (a *app) onExit(f func()) { a.closers = append(a.closers, f) }

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "relaycommander",
		Short: "Flip LaunchDarkly flags in the Relay Proxy's Redis during an outage, then replay them",
		Long: `Relay Commander lists and toggles feature flags directly in the Redis store that the
LaunchDarkly Relay Proxy serves from (on every Redis host at once, after a confirmation),
records every change in a journal, and replays the journal to LaunchDarkly's API when
LaunchDarkly is reachable again.

Without a command it starts the terminal UI. Try it with nothing installed: relaycommander demo`,
		Version:                    version(),
		SuggestionsMinimumDistance: 2,
		SilenceUsage:               true,
		SilenceErrors:              true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			if sug := cmd.SuggestionsFor(args[0]); len(sug) > 0 {
				return usageErr("unknown command %q; did you mean %s?", args[0], strings.Join(sug, " or "))
			}
			return usageErr("unknown command %q", args[0])
		},
		RunE: a.runUI,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr("%v", err) })
	pf := root.PersistentFlags()
	pf.String("config", "", "configuration file (default ./relaycommander.yaml, else $XDG_CONFIG_HOME/relaycommander/config.yaml)")
	pf.String("operator", "", "your name in the journal and in LaunchDarkly's comments (default: the OS user)")
	pf.StringSlice("redis", nil, "Redis hosts of the Relay, host[:port] or redis:// URLs, comma-separated (config redis.hosts)")
	pf.String("journal-dir", "", "journal directory (default $XDG_STATE_HOME/relaycommander)")
	pf.String("ld-base-url", "", "LaunchDarkly: commercial, federal, eu or a URL (config launchdarkly.base_url)")
	pf.Bool("read-only", false, "UI: no action that writes")
	pf.Bool("no-alt-screen", false, "UI: draw in the normal screen instead of the alternate one")
	pf.String("log-file", "", "UI: log file (default beside the journal directory)")
	a.global = pf

	root.AddCommand(a.demoCmd(), a.flagsCmd(), a.updateCmd(), a.queueCmd(), a.replayCmd(),
		a.generateCmd(), a.importCmd(), a.configCmd())
	for _, c := range root.Commands() {
		c.SilenceUsage, c.SilenceErrors = true, true
	}
	return root
}

// ---------------------------------------------------------------------------------------------
// Configuration

// config is the validated configuration.
type config struct {
	File           string // the configuration file read; "" when none
	Operator       string
	Hosts          []flags.HostConfig
	DialTimeout    time.Duration
	CommandTimeout time.Duration
	Prefixes       map[string]flags.Target // explicit, from the config file
	RelayConfigs   []string
	Mapping        map[string]flags.Target // explicit prefixes over the Relay configs' ones
	LDBaseURL      string
	LDToken        string
	LDTimeout      time.Duration
	JournalDir     string
	Protected      []string
	Refresh        time.Duration
	ReadOnly       bool
	AltScreen      bool
	LogFile        string
	LocalTTL       time.Duration
	Sources        map[string]string // key -> where its value came from
}

// configKeys are every configuration key. The environment variable of a key is RC_ followed by
// the key in capitals with "." replaced by "_" (prefixes has none: it is a map).
var configKeys = []string{
	"operator", "redis.hosts", "redis.dial_timeout", "redis.command_timeout", "prefixes",
	"relay_configs", "launchdarkly.base_url", "launchdarkly.api_token", "launchdarkly.timeout",
	"journal_dir", "protected_environments", "ui.refresh", "ui.read_only", "ui.alt_screen",
	"ui.log_file", "relay.local_ttl",
}

func envName(key string) string {
	return "RC_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// flagKeys maps global flags to configuration keys.
var flagKeys = map[string]string{
	"operator": "operator", "redis": "redis.hosts", "journal-dir": "journal_dir",
	"ld-base-url": "launchdarkly.base_url", "read-only": "ui.read_only", "log-file": "ui.log_file",
}

// loader reads one layer after the other into viper and remembers where each value came from.
type loader struct {
	v      *viper.Viper
	source map[string]string
	env    map[string]string
	home   string
}

func (l *loader) from(key string) string {
	if i := strings.IndexByte(key, '['); i > 0 {
		key = key[:i] // redis.hosts[1].addr comes from where redis.hosts does
	}
	if s, ok := l.source[key]; ok {
		return s
	}
	return "default"
}

func (l *loader) fail(key, format string, args ...any) error {
	return fmt.Errorf("configuration %s (from %s): %s", key, l.from(key), fmt.Sprintf(format, args...))
}

// config loads and validates the configuration once; every command calls it before touching
// anything.
func (a *app) config() (*config, error) {
	if a.cfg != nil {
		return a.cfg, nil
	}
	cfg, warnings, err := loadConfig(a.sys, a.global)
	for _, w := range warnings {
		fmt.Fprintf(a.sys.stderr, "warning: %s\n", w)
	}
	if err != nil {
		return nil, err
	}
	a.cfg = cfg
	return cfg, nil
}

// abs resolves a path against the working directory, expanding a leading ~/.
func abs(s *sys, home, p string) string {
	if p == "" {
		return ""
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home != "" {
			p = filepath.Join(home, strings.TrimPrefix(p, "~"))
		}
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(s.dir, p)
}

func loadConfig(s *sys, global *pflag.FlagSet) (*config, []string, error) {
	var warnings []string
	env := maps.Clone(s.env)
	if env == nil {
		env = map[string]string{}
	}
	// relayCommander kept its settings in ./.env; real environment variables win over it.
	dotenv := filepath.Join(s.dir, ".env")
	if data, err := os.ReadFile(dotenv); err == nil {
		parsed, err := gotenv.StrictParse(bytes.NewReader(data))
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %v (fix or remove the file; nothing was started)", dotenv, err)
		}
		for k, v := range parsed {
			if _, set := env[k]; !set {
				env[k] = v
			}
		}
		if w := worldReadableSecret(dotenv, parsed["LD_API_KEY"] != "" || parsed["RC_LAUNCHDARKLY_API_TOKEN"] != "",
			"an API token (LD_API_KEY)"); w != "" {
			warnings = append(warnings, w)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("%s: %v", dotenv, err)
	}

	l := &loader{v: viper.New(), source: map[string]string{}, env: env, home: env["HOME"]}
	v := l.v
	v.SetDefault("redis.dial_timeout", "2s")
	v.SetDefault("redis.command_timeout", "2s")
	v.SetDefault("launchdarkly.base_url", "commercial")
	v.SetDefault("launchdarkly.timeout", "10s")
	v.SetDefault("protected_environments", []string{"production"})
	v.SetDefault("ui.refresh", "5s")
	v.SetDefault("ui.read_only", false)
	v.SetDefault("ui.alt_screen", true)
	v.SetDefault("relay.local_ttl", "30s")

	// The configuration file.
	file, explicit := "", false
	if global != nil {
		if f, _ := global.GetString("config"); f != "" {
			file, explicit = abs(s, l.home, f), true
		}
	}
	if !explicit {
		if e := env["RC_CONFIG"]; e != "" {
			file, explicit = abs(s, l.home, e), true
		}
	}
	if !explicit {
		candidates := []string{filepath.Join(s.dir, "relaycommander.yaml")}
		xdg := env["XDG_CONFIG_HOME"]
		if xdg == "" && l.home != "" {
			xdg = filepath.Join(l.home, ".config")
		}
		if xdg != "" {
			candidates = append(candidates, filepath.Join(xdg, "relaycommander", "config.yaml"))
		}
		for _, cand := range candidates {
			if _, err := os.Stat(cand); err == nil {
				file = cand
				break
			}
		}
	}
	prefixes := map[string]flags.Target{}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			if explicit && errors.Is(err, os.ErrNotExist) {
				return nil, warnings, fmt.Errorf("configuration file %s does not exist (given by --config or RC_CONFIG)", file)
			}
			return nil, warnings, fmt.Errorf("configuration file %s: %v", file, err)
		}
		tokenInFile, err := checkYAML(file, data, prefixes)
		if err != nil {
			return nil, warnings, err
		}
		v.SetConfigType("yaml")
		if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
			return nil, warnings, fmt.Errorf("configuration file %s: %v", file, err)
		}
		for _, k := range configKeys {
			if v.InConfig(k) {
				l.source[k] = file
			}
		}
		if len(prefixes) > 0 {
			l.source["prefixes"] = file
		}
		if w := worldReadableSecret(file, tokenInFile, "launchdarkly.api_token"); w != "" {
			warnings = append(warnings, w)
		}
	}

	// The environment: relayCommander's names, then ours (more specific, so they win).
	if h := env["REDIS_HOSTS"]; h != "" {
		v.Set("redis.hosts", h)
		l.source["redis.hosts"] = "environment REDIS_HOSTS"
	}
	if t := env["LD_API_KEY"]; t != "" {
		v.Set("launchdarkly.api_token", t)
		l.source["launchdarkly.api_token"] = "environment LD_API_KEY"
	}
	for _, k := range configKeys {
		if k == "prefixes" {
			continue
		}
		if val, ok := env[envName(k)]; ok && val != "" {
			v.Set(k, val)
			l.source[k] = "environment " + envName(k)
		}
	}

	// Flags given on the command line.
	if global != nil {
		for name, key := range flagKeys {
			f := global.Lookup(name)
			if f == nil || !f.Changed {
				continue
			}
			switch f.Value.Type() {
			case "bool":
				b, _ := global.GetBool(name)
				v.Set(key, b)
			case "stringSlice":
				ss, _ := global.GetStringSlice(name)
				v.Set(key, strings.Join(ss, ","))
			default:
				v.Set(key, f.Value.String())
			}
			l.source[key] = "flag --" + name
		}
		if f := global.Lookup("no-alt-screen"); f != nil && f.Changed {
			b, _ := global.GetBool("no-alt-screen")
			v.Set("ui.alt_screen", !b)
			l.source["ui.alt_screen"] = "flag --no-alt-screen"
		}
	}

	cfg, err := l.decode(s, file, prefixes)
	if err != nil {
		return nil, warnings, err
	}
	// Relay configuration files name prefixes that do not follow ld:{project}:{environment},
	// and, unless configured here, the Redis hosts and the localTtl the Relays use.
	cfg.Mapping = map[string]flags.Target{}
	var relayHosts []flags.HostConfig
	var relayTTL *time.Duration
	for _, path := range cfg.RelayConfigs {
		rc, err := relaycfg.Read(path)
		if err != nil {
			return nil, warnings, fmt.Errorf("configuration relay_configs (from %s): %v", l.from("relay_configs"), err)
		}
		for _, w := range relaycfg.Warnings(rc) {
			warnings = append(warnings, path+": "+w)
		}
		maps.Copy(cfg.Mapping, relaycfg.Mapping(rc))
		if h, ok := rc.Redis.HostConfig(); ok && !slices.ContainsFunc(relayHosts, func(o flags.HostConfig) bool { return o.Addr == h.Addr }) {
			h.Name = hostName(h.Addr)
			relayHosts = append(relayHosts, h)
		}
		if rc.LocalTTLSet && relayTTL == nil {
			relayTTL = &rc.LocalTTL
		}
	}
	if _, set := l.source["redis.hosts"]; !set && len(relayHosts) > 0 {
		cfg.Hosts = relayHosts
		cfg.Sources["redis.hosts"] = "relay_configs"
	}
	if _, set := l.source["relay.local_ttl"]; !set && relayTTL != nil {
		cfg.LocalTTL = *relayTTL
		cfg.Sources["relay.local_ttl"] = "relay_configs"
	}
	maps.Copy(cfg.Mapping, cfg.Prefixes)
	if cfg.Operator == "" {
		if s.operator != nil {
			cfg.Operator = s.operator()
		} else {
			cfg.Operator = osUser(env)
		}
	}
	return cfg, warnings, nil
}

func osUser(env map[string]string) string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := env["USER"]; u != "" {
		return u
	}
	return "unknown"
}

// worldReadableSecret warns when a file holding a secret can be read by every user.
func worldReadableSecret(path string, holds bool, what string) string {
	if !holds {
		return ""
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o004 == 0 {
		return ""
	}
	return fmt.Sprintf("%s holds %s and is readable by every user (mode %04o): run chmod 600 %s, "+
		"or better keep the token out of files and set RC_LAUNCHDARKLY_API_TOKEN in the environment",
		path, what, fi.Mode().Perm(), path)
}

// schema is the shape of the configuration file, for the unknown-key check.
var schema = map[string]any{
	"operator": nil,
	"redis": map[string]any{
		"hosts":           []any{map[string]any{"name": nil, "addr": nil, "username": nil, "password_env": nil, "tls": nil}},
		"dial_timeout":    nil,
		"command_timeout": nil,
	},
	"prefixes":      "prefixes",
	"relay_configs": nil,
	"launchdarkly": map[string]any{
		"base_url": nil, "api_token": nil, "timeout": nil,
	},
	"journal_dir":            nil,
	"protected_environments": nil,
	"ui": map[string]any{
		"refresh": nil, "read_only": nil, "alt_screen": nil, "log_file": nil,
	},
	"relay": map[string]any{"local_ttl": nil},
}

// checkYAML parses the configuration file to report unknown keys with their line, and reads
// the prefixes map itself: viper lowercases map keys, and store prefixes are case-sensitive.
func checkYAML(file string, data []byte, prefixes map[string]flags.Target) (tokenInFile bool, err error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return false, fmt.Errorf("configuration file %s: %v", file, err)
	}
	if len(doc.Content) == 0 {
		return false, nil // empty, or only comments
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return false, fmt.Errorf("configuration file %s line %d: expected keys such as redis: and launchdarkly:, found a %s", file, top.Line, kindName(top))
	}
	var walk func(n *yaml.Node, shape any, path string) error
	walk = func(n *yaml.Node, shape any, path string) error {
		switch sh := shape.(type) {
		case map[string]any:
			if n.Kind != yaml.MappingNode {
				if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
					return nil
				}
				return fmt.Errorf("configuration file %s line %d: %s must hold keys, found a %s", file, n.Line, path, kindName(n))
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, val := n.Content[i], n.Content[i+1]
				key := strings.ToLower(k.Value)
				full := key
				if path != "" {
					full = path + "." + key
				}
				sub, ok := sh[key]
				if !ok {
					known := slices.Sorted(maps.Keys(sh))
					return fmt.Errorf("configuration file %s line %d: unknown key %s (known here: %s)", file, k.Line, full, strings.Join(known, ", "))
				}
				if full == "launchdarkly.api_token" && val.Value != "" {
					tokenInFile = true
				}
				if err := walk(val, sub, full); err != nil {
					return err
				}
			}
		case []any:
			if n.Kind != yaml.SequenceNode {
				return nil // a comma-separated string is accepted too; decode checks it
			}
			for i, item := range n.Content {
				if item.Kind == yaml.ScalarNode {
					continue // a plain address
				}
				if err := walk(item, sh[0], fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
		case string: // prefixes: prefix -> {project, environment}
			if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
				return nil
			}
			if n.Kind != yaml.MappingNode {
				return fmt.Errorf("configuration file %s line %d: prefixes must map store prefixes to {project, environment}", file, n.Line)
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, val := n.Content[i], n.Content[i+1]
				var t struct {
					Project     string `yaml:"project"`
					Environment string `yaml:"environment"`
				}
				if val.Kind != yaml.MappingNode {
					return fmt.Errorf("configuration file %s line %d: prefixes.%q must hold project: and environment:", file, val.Line, k.Value)
				}
				for j := 0; j+1 < len(val.Content); j += 2 {
					switch strings.ToLower(val.Content[j].Value) {
					case "project":
						t.Project = val.Content[j+1].Value
					case "environment":
						t.Environment = val.Content[j+1].Value
					default:
						return fmt.Errorf("configuration file %s line %d: unknown key %q under prefixes.%q (known: project, environment)", file, val.Content[j].Line, val.Content[j].Value, k.Value)
					}
				}
				if k.Value == "" || t.Project == "" || t.Environment == "" {
					return fmt.Errorf("configuration file %s line %d: prefixes.%q needs a prefix, a project and an environment", file, k.Line, k.Value)
				}
				prefixes[k.Value] = flags.Target{Project: t.Project, Environment: t.Environment}
			}
		}
		return nil
	}
	return tokenInFile, walk(top, schema, "")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "map"
	case yaml.SequenceNode:
		return "list"
	default:
		return fmt.Sprintf("value %q", n.Value)
	}
}

func (l *loader) str(key string) (string, error) {
	switch x := l.v.Get(key).(type) {
	case nil:
		return "", nil
	case string:
		return strings.TrimSpace(x), nil
	case int, int64, float64, bool:
		return fmt.Sprint(x), nil
	default:
		return "", l.fail(key, "expected a single value, found %T", x)
	}
}

func (l *loader) duration(key string, allowNegative bool) (time.Duration, error) {
	var d time.Duration
	switch x := l.v.Get(key).(type) {
	case time.Duration:
		d = x
	case string:
		var err error
		if d, err = time.ParseDuration(strings.TrimSpace(x)); err != nil {
			return 0, l.fail(key, "%q is not a duration; write it like 2s, 500ms or 1m", x)
		}
	case int, int64, float64:
		return 0, l.fail(key, "%v has no unit; write it like %vs or %vms", x, x, x)
	default:
		return 0, l.fail(key, "expected a duration like 2s, found %v", x)
	}
	if d < 0 && !allowNegative {
		return 0, l.fail(key, "%v is negative; it must be positive", d)
	}
	return d, nil
}

func (l *loader) boolean(key string) (bool, error) {
	switch x := l.v.Get(key).(type) {
	case bool:
		return x, nil
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(x))
		if err != nil {
			return false, l.fail(key, "%q is not true or false", x)
		}
		return b, nil
	default:
		return false, l.fail(key, "expected true or false, found %v", x)
	}
}

// list reads a YAML list or a comma-separated string. An empty list is not nil: it says
// "none" where nil would mean "the default" (protected_environments).
func (l *loader) list(key string) ([]string, error) {
	out := []string{}
	switch x := l.v.Get(key).(type) {
	case nil:
	case string:
		for _, p := range strings.Split(x, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	case []string:
		out = append(out, x...)
	case []any:
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, l.fail(key, "item %d is %v, expected a plain value", i+1, e)
			}
			out = append(out, s)
		}
	default:
		return nil, l.fail(key, "expected a list, found %v", x)
	}
	return out, nil
}

// withDefaultPort gives a bare host relayCommander's default port 6379.
func withDefaultPort(addr string) string {
	if strings.Contains(addr, "://") || strings.Contains(addr, ":") {
		return addr
	}
	return addr + ":6379"
}

func (l *loader) hosts() ([]flags.HostConfig, error) {
	const key = "redis.hosts"
	var out []flags.HostConfig
	addOne := func(i int, addr string) {
		addr = withDefaultPort(strings.TrimSpace(addr))
		out = append(out, flags.HostConfig{Name: hostName(addr), Addr: addr})
	}
	switch x := l.v.Get(key).(type) {
	case nil:
	case string:
		for i, p := range strings.Split(x, ",") {
			if p = strings.TrimSpace(p); p == "" {
				return nil, l.fail(key, "entry %d of %q is empty", i+1, x)
			}
			addOne(i, p)
		}
	case []any:
		for i, e := range x {
			where := fmt.Sprintf("%s[%d]", key, i)
			switch h := e.(type) {
			case string:
				addOne(i, h)
			case map[string]any:
				hc := flags.HostConfig{}
				get := func(k string) string {
					if v, ok := h[k]; ok && v != nil {
						return strings.TrimSpace(fmt.Sprint(v))
					}
					return ""
				}
				hc.Addr = get("addr")
				if hc.Addr == "" {
					return nil, l.fail(where, "host has no addr: give host:port or a redis:// or rediss:// URL")
				}
				hc.Addr = withDefaultPort(hc.Addr)
				hc.Name = get("name")
				if hc.Name == "" {
					hc.Name = hostName(hc.Addr)
				}
				hc.Username = get("username")
				if tls := get("tls"); tls != "" {
					b, err := strconv.ParseBool(tls)
					if err != nil {
						return nil, l.fail(where+".tls", "%q is not true or false", tls)
					}
					hc.TLS = b
				}
				if pe := get("password_env"); pe != "" {
					pw, ok := l.env[pe]
					if !ok || pw == "" {
						return nil, l.fail(where+".password_env", "environment variable %s is not set; export it (or put it in ./.env) with the password of %s", pe, hc.Name)
					}
					hc.Password = pw
				}
				out = append(out, hc)
			default:
				return nil, l.fail(where, "expected an address or {name, addr, ...}, found %v", e)
			}
		}
	default:
		return nil, l.fail(key, "expected a list of hosts, found %v", x)
	}
	seen := map[string]bool{}
	for i, h := range out {
		where := fmt.Sprintf("%s[%d]", key, i)
		if err := checkAddr(h.Addr); err != nil {
			return nil, l.fail(where, "%s: %v", h.Addr, err)
		}
		if seen[h.Name] {
			return nil, l.fail(where, "two hosts are named %q; give each a distinct name", h.Name)
		}
		seen[h.Name] = true
	}
	return out, nil
}

// hostName is a host's display name: its address without credentials.
func hostName(addr string) string {
	if u, err := url.Parse(addr); err == nil && u.Host != "" && strings.Contains(addr, "://") {
		return u.Host
	}
	return addr
}

func checkAddr(addr string) error {
	if strings.Contains(addr, "://") {
		u, err := url.Parse(addr)
		if err != nil {
			return fmt.Errorf("not a valid URL")
		}
		if u.Scheme != "redis" && u.Scheme != "rediss" {
			return fmt.Errorf("unknown scheme %q: use redis:// or rediss://", u.Scheme)
		}
		if u.Host == "" {
			return fmt.Errorf("the URL names no host")
		}
		return nil
	}
	host, port, ok := strings.Cut(addr, ":")
	if strings.HasPrefix(addr, "[") { // [ipv6]:port
		i := strings.LastIndex(addr, "]:")
		if i < 0 {
			return fmt.Errorf("write an IPv6 address as [addr]:port")
		}
		host, port, ok = addr[1:i], addr[i+2:], true
	}
	if !ok || host == "" {
		return fmt.Errorf("no host name")
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 1 to 65535", port)
	}
	return nil
}

func baseURL(s string) (string, error) {
	switch strings.ToLower(s) {
	case "", "commercial":
		return ldsync.CommercialURL, nil
	case "federal":
		return ldsync.FederalURL, nil
	case "eu":
		return ldsync.EUURL, nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("%q is neither commercial, federal, eu nor an http(s):// URL", s)
	}
	return strings.TrimRight(s, "/"), nil
}

func (l *loader) decode(s *sys, file string, prefixes map[string]flags.Target) (*config, error) {
	c := &config{File: file, Prefixes: prefixes, Sources: l.source}
	var err error
	if c.Operator, err = l.str("operator"); err != nil {
		return nil, err
	}
	if c.Hosts, err = l.hosts(); err != nil {
		return nil, err
	}
	if c.DialTimeout, err = l.duration("redis.dial_timeout", false); err != nil {
		return nil, err
	}
	if c.CommandTimeout, err = l.duration("redis.command_timeout", false); err != nil {
		return nil, err
	}
	rcs, err := l.list("relay_configs")
	if err != nil {
		return nil, err
	}
	for _, rc := range rcs {
		c.RelayConfigs = append(c.RelayConfigs, abs(s, l.home, rc))
	}
	base, err := l.str("launchdarkly.base_url")
	if err != nil {
		return nil, err
	}
	if c.LDBaseURL, err = baseURL(base); err != nil {
		return nil, l.fail("launchdarkly.base_url", "%v", err)
	}
	if c.LDToken, err = l.str("launchdarkly.api_token"); err != nil {
		return nil, err
	}
	if c.LDTimeout, err = l.duration("launchdarkly.timeout", false); err != nil {
		return nil, err
	}
	jd, err := l.str("journal_dir")
	if err != nil {
		return nil, err
	}
	c.JournalDir = abs(s, l.home, jd)
	if c.Protected, err = l.list("protected_environments"); err != nil {
		return nil, err
	}
	if c.Refresh, err = l.duration("ui.refresh", false); err != nil {
		return nil, err
	}
	if c.Refresh == 0 {
		return nil, l.fail("ui.refresh", "0 would refresh continuously; use at least 1s")
	}
	if c.ReadOnly, err = l.boolean("ui.read_only"); err != nil {
		return nil, err
	}
	if c.AltScreen, err = l.boolean("ui.alt_screen"); err != nil {
		return nil, err
	}
	lf, err := l.str("ui.log_file")
	if err != nil {
		return nil, err
	}
	c.LogFile = abs(s, l.home, lf)
	// Relay's localTtl may be negative (cache forever): the messages must say so, not refuse it.
	if c.LocalTTL, err = l.duration("relay.local_ttl", true); err != nil {
		return nil, err
	}
	return c, nil
}

// journalDir is the configured journal directory or the default one.
func (c *config) journalDir() (string, error) {
	if c.JournalDir != "" {
		return c.JournalDir, nil
	}
	if d := journal.DefaultDir(); d != "" {
		return d, nil
	}
	return "", errors.New("no journal directory: neither XDG_STATE_HOME nor a home directory is known; set journal_dir or RC_JOURNAL_DIR")
}

// ---------------------------------------------------------------------------------------------
// Opening the parts

func (a *app) openStore() (*flags.Store, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	if len(cfg.Hosts) == 0 {
		return nil, errors.New("no Redis hosts configured: list the Relay's Redis hosts under redis.hosts in the configuration file, " +
			"or set RC_REDIS_HOSTS (or relayCommander's REDIS_HOSTS) to host:port,host:port, or pass --redis")
	}
	st, err := flags.Open(cfg.Hosts, flags.Options{
		DialTimeout: cfg.DialTimeout, CommandTimeout: cfg.CommandTimeout, Mapping: cfg.Mapping,
	})
	if err != nil {
		return nil, fmt.Errorf("configuration redis.hosts: %w", err)
	}
	a.onExit(func() { st.Close() })
	return st, nil
}

func (a *app) openJournal() (*journal.Journal, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	dir, err := cfg.journalDir()
	if err != nil {
		return nil, err
	}
	j, err := journal.Open(dir)
	if err != nil {
		return nil, err
	}
	a.onExit(func() { j.Close() })
	for _, w := range j.Warnings() {
		fmt.Fprintf(a.sys.stderr, "warning: %s\n", w)
	}
	return j, nil
}

// ldClient builds the LaunchDarkly client; nil without a token unless required.
func (a *app) ldClient(required bool) (*ldsync.Client, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	if cfg.LDToken == "" {
		if required {
			return nil, errors.New("no LaunchDarkly API token: set RC_LAUNCHDARKLY_API_TOKEN (or relayCommander's LD_API_KEY) " +
				"to an access token with writer rights")
		}
		return nil, nil
	}
	return ldsync.NewClient(ldsync.ClientConfig{BaseURL: cfg.LDBaseURL, Token: cfg.LDToken, Timeout: cfg.LDTimeout})
}

// ---------------------------------------------------------------------------------------------
// The terminal UI

func (a *app) logFile(cfg *config, journalDir string) string {
	if cfg.LogFile != "" {
		return cfg.LogFile
	}
	return filepath.Join(filepath.Dir(journalDir), "relaycommander-ui.log")
}

func (a *app) runUI(cmd *cobra.Command, _ []string) error {
	cfg, err := a.config()
	if err != nil {
		return err
	}
	st, err := a.openStore()
	if err != nil {
		return err
	}
	j, err := a.openJournal()
	if err != nil {
		return err
	}
	ld, err := a.ldClient(false)
	if err != nil {
		return err
	}
	return a.sys.tui(cmd.Context(), tui.Config{
		Store: st, Journal: j, LD: ld, Operator: cfg.Operator, Protected: cfg.Protected,
		ReadOnly: cfg.ReadOnly, Refresh: cfg.Refresh, AltScreen: cfg.AltScreen,
		RelayTTL: cfg.LocalTTL, LogPath: a.logFile(cfg, j.Dir()),
	})
}

// ---------------------------------------------------------------------------------------------
// demo

func (a *app) demoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "The terminal UI on two embedded Redis servers and an embedded LaunchDarkly: nothing to install",
		Long: `Starts two in-process Redis servers loaded with a real Relay store, an in-process LaunchDarkly
that starts unreachable (as in an outage), and a journal in a temporary directory, then opens
the terminal UI on them. Play the runbook: kill a flag, bring LaunchDarkly back, watch Relay's
re-sync undo the edit, replay. Everything is removed on exit; your configuration's hosts,
journal and token are not used.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			d, err := startDemo(cmd.Context())
			if err != nil {
				return err
			}
			defer d.Close()
			return a.sys.tui(cmd.Context(), tui.Config{
				Store: d.Store, Journal: d.Journal, LD: d.LD, Operator: cfg.Operator, Protected: cfg.Protected,
				ReadOnly: cfg.ReadOnly, Refresh: cfg.Refresh, AltScreen: cfg.AltScreen, RelayTTL: cfg.LocalTTL,
				Demo: d, LogPath: filepath.Join(d.dir, "ui.log"),
			})
		},
	}
}

// demo is the embedded outage: two Redis servers, a LaunchDarkly, a journal. It implements
// tui.Demo.
type demo struct {
	dir     string
	redis   []*miniredis.Miniredis
	clients []*redis.Client
	fake    *ldfake.Server
	up      atomic.Bool // LaunchDarkly's reachability as the demo set it
	Store   *flags.Store
	Journal *journal.Journal
	LD      *ldsync.Client
}

var _ tui.Demo = (*demo)(nil)

func startDemo(ctx context.Context) (_ *demo, err error) {
	d := &demo{}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if d.dir, err = os.MkdirTemp("", "relaycommander-demo-"); err != nil {
		return nil, fmt.Errorf("demo: temporary directory: %w", err)
	}
	fx := fixture.Load()
	var hosts []flags.HostConfig
	for _, name := range []string{"relay-redis-a", "relay-redis-b"} {
		m := miniredis.NewMiniRedis()
		if err := m.Start(); err != nil {
			return nil, fmt.Errorf("demo: start embedded Redis: %w", err)
		}
		d.redis = append(d.redis, m)
		c := redis.NewClient(&redis.Options{Addr: m.Addr()})
		d.clients = append(d.clients, c)
		if err := fx.WriteTo(ctx, c); err != nil {
			return nil, fmt.Errorf("demo: load %s: %w", name, err)
		}
		hosts = append(hosts, flags.HostConfig{Name: name, Addr: m.Addr()})
	}
	d.fake = ldfake.New()
	d.fake.SetUnreachable(true)
	if d.Store, err = flags.Open(hosts, flags.Options{}); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if d.Journal, err = journal.Open(filepath.Join(d.dir, "journal")); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	// A short timeout: the unreachable LaunchDarkly drops connections, and the UI should say so quickly.
	if d.LD, err = ldsync.NewClient(ldsync.ClientConfig{BaseURL: d.fake.URL(), Token: d.fake.Token(), Timeout: 3 * time.Second}); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return d, nil
}

// Close stops everything the demo started and removes its directory.
func (d *demo) Close() {
	if d.Journal != nil {
		d.Journal.Close()
	}
	if d.Store != nil {
		d.Store.Close()
	}
	for _, c := range d.clients {
		c.Close()
	}
	for _, m := range d.redis {
		m.Close()
	}
	if d.fake != nil {
		d.fake.Close()
	}
	if d.dir != "" {
		os.RemoveAll(d.dir)
	}
}

func (d *demo) LaunchDarklyReachable() bool {
	return d.up.Load()
}

func (d *demo) SetLaunchDarklyReachable(up bool) {
	d.fake.SetUnreachable(!up)
	d.up.Store(up)
}

// SimulateRelayResync does what Relay's full sync does on reconnecting: for every prefix
// LaunchDarkly knows, DEL the features hash, HSET every flag as LaunchDarkly has it, SET $inited.
func (d *demo) SimulateRelayResync(ctx context.Context) error {
	fx := fixture.Load()
	for _, prefix := range fx.Prefixes() {
		p := fx[prefix]
		t, ok := flags.ParseConventionPrefix(prefix)
		if !ok {
			continue // not a prefix LaunchDarkly's fake serves
		}
		features := map[string]any{}
		for key, raw := range p.Features {
			features[key] = raw
			on, ver, ok := d.fake.FlagState(t.Project, t.Environment, key)
			if !ok {
				continue
			}
			rewritten, err := flags.SetOnAndVersion(raw, on, ver)
			if err != nil {
				return fmt.Errorf("demo: re-sync %s flag %s: %w", prefix, key, err)
			}
			features[key] = rewritten
		}
		for i, c := range d.clients {
			_, err := c.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
				pipe.Del(ctx, prefix+":features")
				if len(features) > 0 {
					pipe.HSet(ctx, prefix+":features", features)
				}
				pipe.Set(ctx, prefix+":$inited", "", 0)
				return nil
			})
			if err != nil {
				return fmt.Errorf("demo: re-sync %s on relay-redis-%c: %w", prefix, 'a'+i, err)
			}
		}
	}
	return nil
}

// ---------------------------------------------------------------------------------------------
// flags

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErr("%s takes no arguments, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}

// hostJSON is a host's reachability for --json.
type hostJSON struct {
	Name      string  `json:"name"`
	Up        bool    `json:"up"`
	LatencyMS float64 `json:"latencyMs"`
	Error     string  `json:"error,omitempty"`
}

func hostsJSON(hs []flags.HostStatus) []hostJSON {
	out := make([]hostJSON, 0, len(hs))
	for _, h := range hs {
		out = append(out, hostJSON{Name: h.Host, Up: h.Up, LatencyMS: ms(h.Latency), Error: errString(h.Err)})
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// downHosts reports unreachable hosts on stderr and returns the partial-failure error.
func (a *app) downHosts(hs []flags.HostStatus) error {
	var down []string
	for _, h := range hs {
		if !h.Up {
			down = append(down, h.Host)
			fmt.Fprintf(a.sys.stderr, "Redis host %s did not answer: %v\n", h.Host, h.Err)
		}
	}
	if len(down) == 0 {
		return nil
	}
	return &exitErr{code: exitPartial, msg: fmt.Sprintf("%d of %d Redis hosts unreachable (%s): what is shown comes from the others; check the hosts and the redis.hosts configuration",
		len(down), len(hs), strings.Join(down, ", "))}
}

func (a *app) flagsCmd() *cobra.Command {
	var project, env, prefix string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "flags [-p PROJECT] [-e ENVIRONMENT | --prefix PREFIX] [--json]",
		Short: "List the store prefixes on the Redis hosts, or the flags of one environment with their state per host",
		Example: `  relaycommander flags                          # every prefix on every host
  relaycommander flags -p web-store             # the environments of one project
  relaycommander flags -p web-store -e production
  relaycommander flags --prefix launchdarkly --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if env != "" && project == "" && prefix == "" {
				return usageErr("-e %s needs -p PROJECT", env)
			}
			if _, err := a.config(); err != nil {
				return err
			}
			st, err := a.openStore()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if prefix == "" && env == "" {
				return a.listPrefixes(ctx, st, project, asJSON)
			}
			prefix, target, mapped, err := a.resolve(st, project, env, prefix)
			if err != nil {
				return err
			}
			return a.listFlags(ctx, st, prefix, target, mapped, asJSON)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&project, "project", "p", "", "LaunchDarkly project key")
	f.StringVarP(&env, "environment", "e", "", "LaunchDarkly environment key (with -p)")
	f.StringVar(&prefix, "prefix", "", "store prefix, for prefixes that are not ld:{project}:{environment}")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// resolve names the prefix of a project's environment (the configured mapping first, then the
// convention), or the target of an explicit prefix.
func (a *app) resolve(st *flags.Store, project, env, prefix string) (string, flags.Target, bool, error) {
	cfg, err := a.config()
	if err != nil {
		return "", flags.Target{}, false, err
	}
	if prefix != "" {
		t, ok := st.Locate(prefix)
		if ok && (project != "" || env != "") && (t.Project != project || t.Environment != env) {
			return "", flags.Target{}, false, usageErr("prefix %s holds %s/%s, not %s/%s: drop -p/-e or fix the prefixes mapping",
				prefix, t.Project, t.Environment, project, env)
		}
		if !ok && project != "" && env != "" {
			return prefix, flags.Target{Project: project, Environment: env}, true, nil
		}
		return prefix, t, ok, nil
	}
	if project == "" || env == "" {
		return "", flags.Target{}, false, usageErr("name the environment with -p PROJECT -e ENVIRONMENT, or the store prefix with --prefix")
	}
	want := flags.Target{Project: project, Environment: env}
	found := cfg.prefixesOf(want)
	switch len(found) {
	case 0:
		return flags.ConventionPrefix(project, env), want, true, nil
	case 1:
		return found[0], want, true, nil
	default:
		return "", flags.Target{}, false, usageErr("%s/%s is mapped to several prefixes (%s): choose one with --prefix",
			project, env, strings.Join(found, ", "))
	}
}

// prefixesOf lists the configured prefixes mapped to a project's environment.
func (c *config) prefixesOf(want flags.Target) []string {
	var found []string
	for p, t := range c.Mapping {
		if t == want {
			found = append(found, p)
		}
	}
	sort.Strings(found)
	return found
}

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

func (a *app) listPrefixes(ctx context.Context, st *flags.Store, project string, asJSON bool) error {
	d := st.Discover(ctx)
	var ps []flags.PrefixInfo
	for _, p := range d.Prefixes {
		if project == "" || p.Target.Project == project {
			ps = append(ps, p)
		}
	}
	if asJSON {
		out := struct {
			Hosts    []hostJSON   `json:"hosts"`
			Prefixes []prefixJSON `json:"prefixes"`
		}{Hosts: hostsJSON(d.Hosts), Prefixes: []prefixJSON{}}
		for _, p := range ps {
			pj := prefixJSON{Prefix: p.Prefix, Project: p.Target.Project, Environment: p.Target.Environment, Mapped: p.Mapped}
			for _, h := range p.Hosts {
				pj.Hosts = append(pj.Hosts, prefixOnHostJSON(h))
			}
			out.Prefixes = append(out.Prefixes, pj)
		}
		if err := writeJSON(a.sys.stdout, out); err != nil {
			return err
		}
	} else {
		w := tabwriter.NewWriter(a.sys.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "HOST\tSTATE\tLATENCY")
		for _, h := range d.Hosts {
			state := "up"
			if !h.Up {
				state = "DOWN"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\n", h.Host, state, h.Latency.Round(100*time.Microsecond))
		}
		w.Flush()
		fmt.Fprintln(a.sys.stdout)
		w = tabwriter.NewWriter(a.sys.stdout, 0, 4, 2, ' ', 0)
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
			fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\n", proj, env, p.Prefix, maxFlags(p), presentOn(p, len(d.Hosts)), prefixNotes(p, up))
		}
		w.Flush()
		switch {
		case len(ps) == 0 && project != "":
			fmt.Fprintf(a.sys.stdout, "\nNo prefix of project %s on the reachable hosts. Without a filter: relaycommander flags\n", project)
		case len(ps) == 0:
			fmt.Fprintln(a.sys.stdout, "\nNo store prefix (no *:features hash) on the reachable hosts: is this the Relay's Redis?")
		default:
			fmt.Fprintln(a.sys.stdout, "\nFlags of one environment: relaycommander flags -p PROJECT -e ENVIRONMENT")
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
	return fmt.Sprintf("%d/%d", n, hosts)
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

func (a *app) listFlags(ctx context.Context, st *flags.Store, prefix string, t flags.Target, mapped bool, asJSON bool) error {
	fs, err := st.Flags(ctx, prefix)
	if err != nil {
		if errors.Is(err, flags.ErrUnknownPrefix) {
			return fmt.Errorf("%w; list the prefixes the hosts hold with: relaycommander flags", err)
		}
		return err
	}
	if asJSON {
		out := struct {
			Prefix      string     `json:"prefix"`
			Project     string     `json:"project,omitempty"`
			Environment string     `json:"environment,omitempty"`
			Mapped      bool       `json:"mapped"`
			Hosts       []hostJSON `json:"hosts"`
			Flags       []flagJSON `json:"flags"`
		}{Prefix: fs.Prefix, Project: t.Project, Environment: t.Environment, Mapped: mapped, Hosts: hostsJSON(fs.Hosts), Flags: []flagJSON{}}
		for _, f := range fs.Flags {
			ok, diff := f.Agree()
			fj := flagJSON{Key: f.Key, Agree: ok, Difference: diff, Dependants: f.Dependants}
			for _, h := range f.Hosts {
				fj.Hosts = append(fj.Hosts, hostFlagJSON{Host: h.Host, Present: h.Present, On: h.On, Version: h.Version,
					Deleted: h.Deleted, OffVariation: h.OffVariation, Variations: h.Variations, Prerequisites: h.Prerequisites,
					Unreadable: h.Unreadable})
			}
			out.Flags = append(out.Flags, fj)
		}
		if err := writeJSON(a.sys.stdout, out); err != nil {
			return err
		}
		return a.downHosts(fs.Hosts)
	}
	where := prefix
	if mapped {
		where = fmt.Sprintf("%s/%s (prefix %s)", t.Project, t.Environment, prefix)
	} else {
		where += " (unmapped: replaying its changes needs a prefixes: mapping)"
	}
	fmt.Fprintf(a.sys.stdout, "%s, %d flags\n\n", where, len(fs.Flags))
	w := tabwriter.NewWriter(a.sys.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprint(w, "FLAG")
	for _, h := range st.HostNames() {
		fmt.Fprintf(w, "\t%s", h)
	}
	fmt.Fprintln(w, "\tNOTES")
	absent := map[string]string{}
	for _, h := range fs.Hosts {
		absent[h.Host] = "-"
		if !h.Up {
			absent[h.Host] = "DOWN"
		}
	}
	for _, f := range fs.Flags {
		fmt.Fprint(w, f.Key)
		for _, h := range f.Hosts {
			fmt.Fprintf(w, "\t%s", hostFlagCell(h, absent[h.Host]))
		}
		var notes []string
		if ok, diff := f.Agree(); !ok {
			notes = append(notes, "HOSTS DIFFER: "+diff)
		}
		if p, ok := f.Primary(); ok && len(p.Prerequisites) > 0 {
			notes = append(notes, "prerequisites: "+strings.Join(p.Prerequisites, ","))
		}
		if len(f.Dependants) > 0 {
			notes = append(notes, "needed by: "+strings.Join(f.Dependants, ","))
		}
		fmt.Fprintf(w, "\t%s\n", strings.Join(notes, "; "))
	}
	w.Flush()
	return a.downHosts(fs.Hosts)
}

// hostFlagCell is one host's state of a flag; absent is what to say when the host has none.
func hostFlagCell(h flags.HostFlag, absent string) string {
	switch {
	case !h.Present:
		return absent
	case h.Deleted:
		return fmt.Sprintf("deleted v%d", h.Version)
	case h.Unreadable != "":
		return "UNREADABLE"
	case h.On:
		return fmt.Sprintf("ON v%d", h.Version)
	default:
		return fmt.Sprintf("OFF v%d", h.Version)
	}
}

func onOff(b bool) string {
	if b {
		return "ON"
	}
	return "OFF"
}

// ---------------------------------------------------------------------------------------------
// confirmation

var errAborted = &exitErr{code: exitError, msg: "not confirmed: nothing was changed"}

// confirm asks on the terminal. want is the answer that confirms ("" means y or yes).
func (a *app) confirm(question, want string, yes bool) error {
	if yes {
		return nil
	}
	if !a.sys.stdinTTY {
		return usageErr("standard input is not a terminal, so nothing can be confirmed and nothing was changed; add --yes to confirm from a script")
	}
	if want == "" {
		fmt.Fprintf(a.sys.stderr, "%s [y/N] ", question)
	} else {
		fmt.Fprintf(a.sys.stderr, "%s\nType %s to confirm: ", question, want)
	}
	line, err := bufio.NewReader(a.sys.stdin).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(a.sys.stderr)
		return errAborted
	}
	ans := strings.TrimSpace(line)
	if want == "" {
		if a := strings.ToLower(ans); a == "y" || a == "yes" {
			return nil
		}
		return errAborted
	}
	if ans == want {
		return nil
	}
	return errAborted
}

func (a *app) protected(env string) bool {
	return slices.Contains(a.cfg.Protected, env)
}

// ---------------------------------------------------------------------------------------------
// update

type updateJSON struct {
	Change      *journal.Change  `json:"change"` // null when there was nothing to do
	NothingToDo bool             `json:"nothingToDo,omitempty"`
	Hosts       []hostResultJSON `json:"hosts"`
	FailedHosts []string         `json:"failedHosts"`
	Journal     string           `json:"journal"`
}

type hostResultJSON struct {
	Host       string  `json:"host"`
	Outcome    string  `json:"outcome"`
	OldOn      bool    `json:"oldOn"`
	OldVersion int     `json:"oldVersion"`
	NewVersion int     `json:"newVersion"`
	LatencyMS  float64 `json:"latencyMs"`
	Error      string  `json:"error,omitempty"`
}

func (a *app) updateCmd() *cobra.Command {
	var project, env, prefix, flag, state, reason string
	var yes, asJSON bool
	cmd := &cobra.Command{
		Use:     "update -p PROJECT -e ENVIRONMENT -f FLAG -s on|off [--reason TEXT] [--yes]",
		Aliases: []string{"update-redis"},
		Short:   "Set a flag on or off in every Redis host of the Relay, and record it in the journal",
		Long: `Sets one flag on or off in every configured Redis host at once, after showing what will change
and asking for confirmation (in protected environments, by typing the flag's key). The change is
recorded in the journal before Redis is written, and replayed to LaunchDarkly later with
'relaycommander replay'.`,
		Example: `  relaycommander update -p web-store -e production -f new-checkout -s off --reason "checkout 500s"
  relaycommander update --prefix launchdarkly -p web-store -e staging -f banner -s on --yes`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if flag == "" || state == "" {
				return usageErr("update needs -f FLAG and -s on|off")
			}
			if project == "" && prefix == "" {
				return usageErr("update needs -p PROJECT -e ENVIRONMENT, or --prefix PREFIX")
			}
			var on bool
			switch strings.ToLower(state) {
			case "on", "true":
				on = true
			case "off", "false":
			default:
				return usageErr("-s %q: the state is on or off", state)
			}
			cfg, err := a.config()
			if err != nil {
				return err
			}
			if cfg.ReadOnly {
				return errors.New("ui.read_only is set in the configuration: this installation may not write; nothing was changed")
			}
			st, err := a.openStore()
			if err != nil {
				return err
			}
			j, err := a.openJournal()
			if err != nil {
				return err
			}
			prefix, target, mapped, err := a.resolve(st, project, env, prefix)
			if err != nil {
				return err
			}
			return a.update(cmd.Context(), st, j, prefix, target, mapped, flag, on, reason, yes, asJSON)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&project, "project", "p", "", "LaunchDarkly project key")
	f.StringVarP(&env, "environment", "e", "", "LaunchDarkly environment key")
	f.StringVar(&prefix, "prefix", "", "store prefix, for prefixes that are not ld:{project}:{environment}")
	f.StringVarP(&flag, "flag", "f", "", "flag key")
	f.StringVarP(&state, "state", "s", "", "on or off")
	f.StringVar(&reason, "reason", "", "why: goes to the journal and into LaunchDarkly's comment on replay")
	f.BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func (a *app) update(ctx context.Context, st *flags.Store, j *journal.Journal, prefix string, t flags.Target, mapped bool,
	key string, on bool, reason string, yes, asJSON bool) error {
	out := a.sys.stdout
	if asJSON {
		out = a.sys.stderr // the plan goes beside the JSON, not into it
	}
	f, err := st.Flag(ctx, prefix, key)
	if err != nil {
		return fmt.Errorf("%w; nothing was changed (see the flags with: relaycommander flags --prefix %s)", err, prefix)
	}
	cur, ok := f.Primary()
	if !ok {
		return fmt.Errorf("flag %s in prefix %s: no host has a readable copy; nothing was changed", key, prefix)
	}
	if cur.Deleted {
		return fmt.Errorf("flag %s in prefix %s is deleted (tombstone) in LaunchDarkly: it cannot be toggled; nothing was changed", key, prefix)
	}
	where := prefix
	if t.Project != "" {
		where = fmt.Sprintf("%s/%s (prefix %s)", t.Project, t.Environment, prefix)
	}
	already := true
	for _, h := range f.Hosts {
		if !h.Present || h.On != on {
			already = false
		}
	}
	if already {
		fmt.Fprintf(out, "Flag %s in %s is already %s on every host (version %d); nothing to do.\n", key, where, onOff(on), cur.Version)
		if asJSON {
			return writeJSON(a.sys.stdout, updateJSON{NothingToDo: true, Hosts: []hostResultJSON{}, FailedHosts: []string{}, Journal: j.Dir()})
		}
		return nil
	}
	fmt.Fprintf(out, "Flag %s in %s: %s -> %s\n", key, where, onOff(cur.On), onOff(on))
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, h := range f.Hosts {
		fmt.Fprintf(w, "  %s\tnow %s\n", h.Host, hostFlagCell(h, "absent or unreachable"))
	}
	w.Flush()
	if agree, diff := f.Agree(); !agree {
		fmt.Fprintf(out, "  The hosts differ (%s); every host will be set %s.\n", diff, onOff(on))
	}
	if !mapped {
		fmt.Fprintf(out, "  Prefix %s is unmapped: replaying this change later needs a prefixes: mapping for it.\n", prefix)
	}
	if len(f.Dependants) > 0 && !on {
		fmt.Fprintf(out, "  These flags have %s as a prerequisite and serve their off variation while it is off: %s\n",
			key, strings.Join(f.Dependants, ", "))
	}
	if len(cur.Prerequisites) > 0 && on {
		fmt.Fprintf(out, "  %s serves its off variation unless its prerequisites are met too: %s\n", key, strings.Join(cur.Prerequisites, ", "))
	}
	if !on && cur.OffVariation == nil {
		fmt.Fprintf(out, "  This flag has no off variation: when off, applications serve their own default value.\n")
	}
	want := ""
	if !mapped || t.Environment == "" || a.protected(t.Environment) {
		want = key // as in the UI: an unmapped prefix may well be production
	}
	question := fmt.Sprintf("Set %s %s on all %d Redis hosts of %s?", key, onOff(on), len(f.Hosts), where)
	if err := a.confirm(question, want, yes); err != nil {
		return err
	}

	c, res, err := j.Toggle(ctx, st, journal.Change{
		Operator: a.cfg.Operator, Reason: reason, Prefix: prefix, Project: t.Project, Environment: t.Environment,
		Flag: key, Before: cur.On, After: on, BaseVersion: &cur.Version,
	})
	if err != nil && len(res.Hosts) == 0 {
		return err // the journal refused the intent: Redis was not touched
	}
	recordErr := err // Redis was written but the outcome is not recorded: show what happened, then fail
	failed := res.FailedHosts()
	if asJSON {
		uj := updateJSON{Change: &c, FailedHosts: failed, Journal: j.Dir()}
		if uj.FailedHosts == nil {
			uj.FailedHosts = []string{}
		}
		for _, h := range res.Hosts {
			uj.Hosts = append(uj.Hosts, hostResultJSON{Host: h.Host, Outcome: string(h.Outcome), OldOn: h.OldOn,
				OldVersion: h.OldVersion, NewVersion: h.NewVersion, LatencyMS: ms(h.Latency), Error: errString(h.Err)})
		}
		if err := writeJSON(a.sys.stdout, uj); err != nil {
			return err
		}
	}
	w = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, h := range res.Hosts {
		switch h.Outcome {
		case flags.Written:
			fmt.Fprintf(w, "  %s\twritten\tv%d -> v%d in %s\n", h.Host, h.OldVersion, h.NewVersion, h.Latency.Round(100*time.Microsecond))
		case flags.Unchanged:
			fmt.Fprintf(w, "  %s\tunchanged\talready %s at v%d\n", h.Host, onOff(on), h.OldVersion)
		default:
			fmt.Fprintf(w, "  %s\tFAILED\t%v\n", h.Host, h.Err)
		}
	}
	w.Flush()
	fmt.Fprintf(out, "Recorded as change %s in the journal %s.\n", c.ID, j.Dir())
	fmt.Fprintln(out, a.reachNote())
	if recordErr != nil {
		return fmt.Errorf("%w; the hosts' state is shown above, and relaycommander queue lists the change", recordErr)
	}
	if len(failed) > 0 {
		return &exitErr{code: exitPartial, msg: fmt.Sprintf("%d of %d hosts failed (%s): the hosts now disagree. Run the same command again "+
			"when they are back: the hosts already written report unchanged", len(failed), len(res.Hosts), strings.Join(failed, ", "))}
	}
	return nil
}

// reachNote says when the applications see a change made in Redis.
func (a *app) reachNote() string {
	ttl := a.cfg.LocalTTL
	relay := fmt.Sprintf("within localTtl %s (relay.local_ttl; Relay's default is 30s)", ttl)
	switch {
	case ttl < 0:
		relay = "only after Relay restarts: its localTtl is negative (cache forever)"
	case ttl == 0:
		relay = "now: localTtl 0, Relay reads Redis on every request"
	}
	return "How applications see it:\n" +
		"  Relay:                        " + relay + "\n" +
		"  SDKs in daemon mode on Redis: within their own cache TTL (Go SDK default 15s)\n" +
		"  SDKs streaming from Relay:    only after Relay restarts (Redis edits send no stream event)\n" +
		"Next: once LaunchDarkly is back, run 'relaycommander replay'. When Relay reconnects it re-syncs from\n" +
		"LaunchDarkly and undoes this edit until the change is replayed."
}

// ---------------------------------------------------------------------------------------------
// queue

type pendingJSON struct {
	Prefix      string               `json:"prefix"`
	Project     string               `json:"project,omitempty"`
	Environment string               `json:"environment,omitempty"`
	Flag        string               `json:"flag"`
	BaseOn      bool                 `json:"baseOn"`
	BaseVersion *int                 `json:"baseVersion"`
	Desired     bool                 `json:"desired"`
	NoNetEffect bool                 `json:"noNetEffect"`
	Changes     []changeJSON         `json:"changes"`
	Last        *journal.ReplayEvent `json:"lastReplay,omitempty"`
}

type changeJSON struct {
	journal.Change
	OutcomeKnown bool                  `json:"outcomeKnown"`
	Hosts        []journal.HostOutcome `json:"hosts"`
}

func pendingToJSON(ps []journal.Pending) []pendingJSON {
	out := []pendingJSON{}
	for _, p := range ps {
		pj := pendingJSON{Prefix: p.Prefix, Project: p.Project, Environment: p.Environment, Flag: p.Flag, BaseOn: p.BaseOn,
			BaseVersion: p.BaseVersion, Desired: p.Desired, NoNetEffect: p.NoNetEffect(), Last: p.Last, Changes: []changeJSON{}}
		for _, e := range p.Entries {
			hosts := e.Outcomes
			if hosts == nil {
				hosts = []journal.HostOutcome{}
			}
			pj.Changes = append(pj.Changes, changeJSON{Change: e.Change, OutcomeKnown: e.OutcomeKnown, Hosts: hosts})
		}
		out = append(out, pj)
	}
	return out
}

func (a *app) queueCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "queue [--json]",
		Short: "List the changes waiting to be replayed to LaunchDarkly",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			j, err := a.openJournal()
			if err != nil {
				return err
			}
			ps, err := j.Pending()
			if err != nil {
				return err
			}
			if settled := a.reconcile(cmd.Context(), j, ps); settled > 0 {
				if ps, err = j.Pending(); err != nil {
					return err
				}
			}
			if asJSON {
				return writeJSON(a.sys.stdout, struct {
					Journal string        `json:"journal"`
					Pending []pendingJSON `json:"pending"`
				}{j.Dir(), pendingToJSON(ps)})
			}
			out := a.sys.stdout
			if len(ps) == 0 {
				fmt.Fprintf(out, "Nothing pending in the journal %s.\n", j.Dir())
				return nil
			}
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "PROJECT/ENVIRONMENT\tFLAG\tCHANGE\tTOGGLES\tLAST BY\tWHEN\tNOTES")
			for _, p := range ps {
				where := p.Prefix
				if p.Project != "" {
					where = p.Project + "/" + p.Environment
				}
				last := p.Entries[len(p.Entries)-1]
				change := fmt.Sprintf("%s -> %s", onOff(p.BaseOn), onOff(p.Desired))
				var notes []string
				if p.NoNetEffect() {
					notes = append(notes, "no net effect (replay confirms it)")
				}
				if p.BaseVersion == nil {
					notes = append(notes, "base version unknown (imported)")
				} else {
					change += fmt.Sprintf(" (from v%d)", *p.BaseVersion)
				}
				if p.Project == "" {
					notes = append(notes, "unmapped prefix: add it under prefixes: to replay")
				}
				for _, e := range p.Entries {
					if !e.OutcomeKnown {
						notes = append(notes, "outcome unknown for "+e.ID+": read back from Redis once every host answers and a minute has passed")
					}
					for _, o := range e.Outcomes {
						if o.Outcome == string(flags.Failed) {
							notes = append(notes, "failed on "+o.Host)
						}
					}
				}
				if p.Last != nil {
					notes = append(notes, "last replay: "+string(p.Last.Kind)+lastDetail(p.Last))
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", where, p.Flag, change, len(p.Entries), last.Operator,
					last.Time.Local().Format("2006-01-02 15:04"), strings.Join(notes, "; "))
			}
			w.Flush()
			fmt.Fprintf(out, "\n%d pending in %s. Replay them with: relaycommander replay --dry-run, then relaycommander replay\n", len(ps), j.Dir())
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// reconcile settles, from what Redis holds now, the changes whose writer died between the
// intent and the outcome, and says so on stderr. Read-only mode and a configuration without
// hosts leave them as they are.
func (a *app) reconcile(ctx context.Context, j *journal.Journal, ps []journal.Pending) int {
	cfg, err := a.config()
	if err != nil || cfg.ReadOnly || len(cfg.Hosts) == 0 {
		return 0
	}
	if !slices.ContainsFunc(ps, journal.Pending.Interrupted) {
		return 0
	}
	st, err := a.openStore()
	if err != nil {
		return 0
	}
	settled, err := j.Reconcile(ctx, st, time.Minute)
	if err != nil {
		fmt.Fprintf(a.sys.stderr, "relaycommander: reading interrupted changes back from Redis: %v\n", err)
	}
	for _, e := range settled {
		fmt.Fprintf(a.sys.stderr, "relaycommander: change %s (%s %s) was interrupted before its outcome was recorded; read back from Redis\n", e.ID, e.Prefix, e.Flag)
	}
	return len(settled)
}

func lastDetail(e *journal.ReplayEvent) string {
	switch {
	case e.Error != "":
		return " (" + e.Error + ")"
	case e.Kind == journal.ReplayConflict:
		return fmt.Sprintf(" (LaunchDarkly at v%d)", e.LDVersion)
	}
	return ""
}

// ---------------------------------------------------------------------------------------------
// replay

type itemJSON struct {
	Prefix      string    `json:"prefix"`
	Project     string    `json:"project,omitempty"`
	Environment string    `json:"environment,omitempty"`
	Flag        string    `json:"flag"`
	Desired     bool      `json:"desired"`
	BaseVersion *int      `json:"baseVersion"`
	Status      string    `json:"status"`
	Reason      string    `json:"reason,omitempty"`
	LDOn        bool      `json:"ldOn"`
	LDVersion   int       `json:"ldVersion"`
	LDModified  time.Time `json:"ldModified,omitzero"`
	Force       bool      `json:"force,omitempty"`
	ChangeIDs   []string  `json:"changeIds"`
	Result      string    `json:"result,omitempty"`
	Error       string    `json:"error,omitempty"`
}

type replayJSON struct {
	Journal   string         `json:"journal"`
	DryRun    bool           `json:"dryRun"`
	Items     []itemJSON     `json:"items"`
	Counts    *ldsync.Counts `json:"counts,omitempty"`
	Undecided int            `json:"undecidedConflicts"`
}

func (a *app) replayCmd() *cobra.Command {
	var dryRun, yes, asJSON bool
	var force []string
	cmd := &cobra.Command{
		Use:     "replay [--dry-run] [--yes] [--force FLAG...] [--json]",
		Aliases: []string{"playback"},
		Short:   "Send the pending changes to LaunchDarkly: plan, confirm, apply, verify",
		Long: `Reads LaunchDarkly's current state for every pending change and classifies it (in sync, ready,
conflict, unknown base, not replayable), prints the plan, asks for confirmation, sends the
ready changes paced by LaunchDarkly's rate limits, and reads each one back to verify it.

A conflict means someone changed the flag in LaunchDarkly during the outage: it is never
overwritten unless named with --force (a flag key, or PROJECT/ENVIRONMENT/FLAG).
Exit codes: 0 done, 3 some changes failed or are not replayable, 4 conflicts await a decision.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.replay(cmd.Context(), dryRun, yes, asJSON, force)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&dryRun, "dry-run", false, "print the plan and send nothing")
	f.BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	f.StringSliceVar(&force, "force", nil, "overwrite LaunchDarkly's state for this conflicting flag (FLAG or PROJECT/ENVIRONMENT/FLAG; repeatable)")
	f.BoolVar(&asJSON, "json", false, "print the plan and the results as JSON")
	return cmd
}

func itemToJSON(it ldsync.Item) itemJSON {
	p := it.Pending
	return itemJSON{Prefix: p.Prefix, Project: p.Project, Environment: p.Environment, Flag: p.Flag, Desired: p.Desired,
		BaseVersion: p.BaseVersion, Status: string(it.Status), Reason: it.Reason, LDOn: it.LD.On, LDVersion: it.LD.Version,
		LDModified: it.LD.LastModified, Force: it.Force, ChangeIDs: p.ChangeIDs()}
}

// forceMatches reports whether a --force name designates an item.
func forceMatches(name string, it ldsync.Item) bool {
	p := it.Pending
	return name == p.Flag || name == p.Project+"/"+p.Environment+"/"+p.Flag || name == p.Prefix+"/"+p.Flag
}

func sends(it ldsync.Item) bool {
	return it.Status == ldsync.Ready || it.Status == ldsync.UnknownBase || (it.Status == ldsync.Conflict && it.Force)
}

func (a *app) replay(ctx context.Context, dryRun, yes, asJSON bool, force []string) error {
	cfg, err := a.config()
	if err != nil {
		return err
	}
	j, err := a.openJournal()
	if err != nil {
		return err
	}
	client, err := a.ldClient(true)
	if err != nil {
		return err
	}
	// Apply takes the journal's replay lock itself: a second replay fails there, naming the journal.
	pending, err := j.Pending()
	if err != nil {
		return err
	}
	out := a.sys.stdout
	if asJSON {
		out = a.sys.stderr
	}
	result := replayJSON{Journal: j.Dir(), DryRun: dryRun, Items: []itemJSON{}}
	if len(pending) == 0 {
		fmt.Fprintf(out, "Nothing pending in the journal %s: nothing to replay.\n", j.Dir())
		if asJSON {
			return writeJSON(a.sys.stdout, result)
		}
		return nil
	}
	r := &ldsync.Replayer{Client: client, Journal: j, Operator: cfg.Operator}
	plan, err := r.Plan(ctx, pending)
	if err != nil {
		return fmt.Errorf("planning the replay against %s: %w; nothing was sent, the %d change(s) stay pending in %s. %s",
			cfg.LDBaseURL, err, len(pending), j.Dir(), ldHint(err))
	}
	for _, name := range force {
		found := false
		for i := range plan.Items {
			if plan.Items[i].Status == ldsync.Conflict && forceMatches(name, plan.Items[i]) {
				plan.Items[i].Force, found = true, true
			}
		}
		if !found {
			return usageErr("--force %s: no conflicting pending change has that flag; the plan's conflicts are listed by: relaycommander replay --dry-run", name)
		}
	}
	a.printPlan(out, plan)
	toSend, inSync, undecided, notReplayable := 0, 0, 0, 0
	for _, it := range plan.Items {
		switch {
		case sends(it):
			toSend++
		case it.Status == ldsync.InSync:
			inSync++
		case it.Status == ldsync.Conflict && !it.Skip:
			undecided++
		case it.Status == ldsync.NotReplayable:
			notReplayable++
		}
	}
	result.Undecided = undecided
	for _, it := range plan.Items {
		result.Items = append(result.Items, itemToJSON(it))
	}
	finish := func(counts *ldsync.Counts) error {
		result.Counts = counts
		if asJSON {
			if err := writeJSON(a.sys.stdout, result); err != nil {
				return err
			}
		}
		failed := notReplayable
		if counts != nil {
			failed += counts.Failed + counts.Mismatched
		}
		switch {
		case failed > 0:
			return &exitErr{code: exitPartial, msg: fmt.Sprintf("%d change(s) failed or cannot be replayed: see the reasons above; they stay pending in %s", failed, j.Dir())}
		case result.Undecided > 0:
			return &exitErr{code: exitConflicts, msg: fmt.Sprintf("%d conflict(s) await a decision: someone changed these flags in LaunchDarkly during the outage. "+
				"Check them in LaunchDarkly, then overwrite with relaycommander replay --force FLAG, or discard them in the UI", result.Undecided)}
		}
		return nil
	}
	if dryRun {
		fmt.Fprintf(out, "Dry run: nothing sent. %d change(s) would be sent.\n", toSend)
		return finish(nil)
	}
	switch {
	case toSend == 0 && inSync == 0:
		fmt.Fprintln(out, "Nothing to send.")
		return finish(nil)
	case toSend == 0:
		// In-sync changes are closed only by Apply recording them; it sends nothing for them.
		fmt.Fprintf(out, "Nothing to send; recording %d change(s) as already in sync.\n", inSync)
	default:
		if err := a.confirm(fmt.Sprintf("Send %d change(s) to LaunchDarkly at %s?", toSend, cfg.LDBaseURL), "", yes); err != nil {
			return err
		}
	}
	progress := make(chan ldsync.Progress, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.showProgress(out, progress, result.Items)
	}()
	counts, err := r.Apply(ctx, plan, progress)
	<-done
	if err != nil {
		if asJSON {
			result.Counts = &counts
			writeJSON(a.sys.stdout, result)
		}
		return fmt.Errorf("replay stopped: %w; what was sent is recorded in %s. %s", err, j.Dir(), ldHint(err))
	}
	fmt.Fprintf(out, "Applied %d, already in sync %d, verified %d, mismatched %d, failed %d, conflicts %d, skipped %d.\n",
		counts.Applied, counts.InSync, counts.Verified, counts.Mismatched, counts.Failed, counts.Conflicts, counts.Skipped)
	if counts.Conflicts > result.Undecided {
		result.Undecided = counts.Conflicts // found only while applying: changed since the plan
	}
	return finish(&counts)
}

// ldHint says what to do about a LaunchDarkly failure.
func ldHint(err error) string {
	switch {
	case errors.Is(err, ldsync.ErrInvalidToken):
		return "Set RC_LAUNCHDARKLY_API_TOKEN (or LD_API_KEY) to a valid access token, then run relaycommander replay again."
	case errors.Is(err, ldsync.ErrForbidden):
		return "The token needs a role that may change these flags (writer); use another, then run relaycommander replay again."
	case errors.Is(err, ldsync.ErrUnreachable):
		return "Check launchdarkly.base_url and the network, then run relaycommander replay again once LaunchDarkly answers."
	case errors.Is(err, context.Canceled):
		return "Run relaycommander replay again to continue; nothing is sent twice."
	}
	return "Run relaycommander replay again to continue; nothing is sent twice."
}

func (a *app) printPlan(out io.Writer, plan ldsync.Plan) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PROJECT/ENVIRONMENT\tFLAG\tWANTED\tLAUNCHDARKLY\tPLAN\tWHY")
	for _, it := range plan.Items {
		p := it.Pending
		where := p.Prefix
		if p.Project != "" {
			where = p.Project + "/" + p.Environment
		}
		ld := "-"
		if it.LD.Version != 0 {
			ld = fmt.Sprintf("%s v%d", onOff(it.LD.On), it.LD.Version)
		}
		status := string(it.Status)
		if it.Force {
			status += " (forced)"
		}
		reason := it.Reason
		if it.Status == ldsync.Conflict && !it.LD.LastModified.IsZero() {
			reason = strings.TrimSpace(reason + " changed in LaunchDarkly " + it.LD.LastModified.Local().Format("2006-01-02 15:04"))
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", where, p.Flag, onOff(p.Desired), ld, status, reason)
	}
	w.Flush()
}

func (a *app) showProgress(out io.Writer, ch <-chan ldsync.Progress, items []itemJSON) {
	bar := a.sys.stdoutTTY && out == a.sys.stdout
	var lastWait time.Time
	finished := map[int]bool{}
	clear := func() {
		if bar {
			fmt.Fprint(out, "\r\x1b[K")
		}
	}
	for p := range ch {
		name, planned, forced := "", "", false
		if p.Index >= 0 && p.Index < len(items) {
			it := &items[p.Index]
			planned, forced = it.Status, it.Force
			name = it.Flag
			if it.Project != "" {
				name = it.Project + "/" + it.Environment + "/" + name
			}
			if p.Done {
				it.Result, it.Error = p.Result, errString(p.Err)
			}
		}
		switch {
		case p.Done && (p.Result == string(journal.ReplayVerified) || p.Result == string(journal.ReplayMismatch)):
			clear()
			line := fmt.Sprintf("%s: %s", p.Result, name)
			if p.Err != nil {
				line += ": " + p.Err.Error()
			}
			fmt.Fprintln(out, line)
		case p.Done && planned == string(ldsync.Conflict) && !forced:
			// A conflict the plan found and nobody forced: recorded, not sent.
			clear()
			fmt.Fprintf(out, "conflict, left pending: %s\n", name)
		case p.Done && !finished[p.Index]:
			finished[p.Index] = true
			clear()
			line := fmt.Sprintf("%d/%d %s: %s", len(finished), p.Total, name, p.Result)
			if p.Err != nil {
				line += ": " + p.Err.Error()
			}
			fmt.Fprintln(out, line)
		case !p.WaitingUntil.IsZero() && !bar && !p.WaitingUntil.Equal(lastWait):
			lastWait = p.WaitingUntil
			fmt.Fprintf(out, "waiting until %s: %s\n", p.WaitingUntil.Local().Format("15:04:05"), p.WaitReason)
		}
		if bar && len(finished) < p.Total {
			// The bar is redrawn on its own line under the finished items.
			const width = 30
			filled := width * len(finished) / p.Total
			status := "sending " + name
			if !p.WaitingUntil.IsZero() {
				status = fmt.Sprintf("waiting %s: %s", time.Until(p.WaitingUntil).Round(time.Second), p.WaitReason)
			} else if p.Attempt > 1 {
				status += fmt.Sprintf(" (attempt %d)", p.Attempt)
			}
			fmt.Fprintf(out, "\r\x1b[K[%s%s] %d/%d %s", strings.Repeat("#", filled), strings.Repeat(".", width-filled), len(finished), p.Total, status)
		}
	}
	clear()
}

// ---------------------------------------------------------------------------------------------
// generate-relay-config

func (a *app) generateCmd() *cobra.Command {
	var projects []string
	var format, output string
	var force bool
	cmd := &cobra.Command{
		Use:   "generate-relay-config -p PROJECT [-p PROJECT2] [--format ini|env] [-o FILE] [--force]",
		Short: "Write a Relay Proxy configuration for whole projects, one prefix ld:{project}:{environment} per environment",
		Long: `Lists every environment of the named LaunchDarkly projects and writes a Relay Proxy v8
configuration for them: the Redis settings from this tool's configuration (first host; the
password only as a reference to Relay's REDIS_PASSWORD), localTtl from relay.local_ttl, and one
environment section with its SDK key and prefix ld:{project}:{environment} per environment.
The output contains SDK keys: a file is written with mode 0600, and an existing file is only
replaced with --force.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(projects) == 0 {
				return usageErr("generate-relay-config needs -p PROJECT (repeat it for several projects)")
			}
			if format != "ini" && format != "env" {
				return usageErr("--format %q: use ini or env", format)
			}
			cfg, err := a.config()
			if err != nil {
				return err
			}
			client, err := a.ldClient(true)
			if err != nil {
				return err
			}
			opts, err := relayOptions(cfg)
			if err != nil {
				return err
			}
			envs, err := relaycfg.Fetch(cmd.Context(), client, projects)
			if err != nil {
				return err
			}
			var data []byte
			var warnings []string
			if format == "ini" {
				data, warnings, err = relaycfg.INI(envs, opts)
			} else {
				data, warnings, err = relaycfg.Env(envs, opts)
			}
			if err != nil {
				return err
			}
			for _, w := range warnings {
				fmt.Fprintf(a.sys.stderr, "warning: %s\n", w)
			}
			if output == "" || output == "-" {
				_, err := a.sys.stdout.Write(data)
				return err
			}
			path := abs(a.sys, a.sys.env["HOME"], output)
			if err := relaycfg.WriteFile(path, data, force); err != nil {
				return err
			}
			n := 0
			for _, p := range envs {
				n += len(p.Environments)
			}
			fmt.Fprintf(a.sys.stderr, "Wrote %s (mode 0600: it contains SDK keys) for %d environment(s) of %s.\n", path, n, strings.Join(projects, ", "))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVarP(&projects, "project", "p", nil, "LaunchDarkly project key (repeatable)")
	f.StringVar(&format, "format", "ini", "ini (Relay's configuration file) or env (its environment variables)")
	f.StringVarP(&output, "output", "o", "", "write to this file (mode 0600) instead of standard output")
	f.BoolVar(&force, "force", false, "replace an existing output file")
	return cmd
}

// relayOptions takes Relay's Redis settings from the first configured host.
func relayOptions(cfg *config) (relaycfg.Options, error) {
	opts := relaycfg.Options{LocalTTL: relaycfg.TTL(cfg.LocalTTL)}
	if cfg.LocalTTL < 0 {
		return opts, fmt.Errorf("relay.local_ttl is %s: a negative localTtl makes Relay cache forever, so an emergency edit in Redis "+
			"would never be served until Relay restarts; set relay.local_ttl to 30s or less", cfg.LocalTTL)
	}
	if len(cfg.Hosts) == 0 {
		return opts, nil
	}
	h := cfg.Hosts[0]
	if strings.Contains(h.Addr, "://") {
		u, err := url.Parse(h.Addr)
		if err != nil {
			return opts, fmt.Errorf("redis.hosts[0]: %v", err)
		}
		u.User = nil // Relay reads the password from REDIS_PASSWORD
		opts.RedisURL = u.String()
		if h.Username != "" {
			opts.RedisUsername = h.Username
		} else if pu, err := url.Parse(h.Addr); err == nil && pu.User != nil {
			opts.RedisUsername = pu.User.Username()
		}
		opts.RedisTLS = h.TLS
		return opts, nil
	}
	host, port, _ := strings.Cut(h.Addr, ":")
	opts.RedisHost = host
	opts.RedisPort, _ = strconv.Atoi(port)
	opts.RedisTLS = h.TLS
	opts.RedisUsername = h.Username
	return opts, nil
}

// ---------------------------------------------------------------------------------------------
// import-relaycommander

func (a *app) importCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "import-relaycommander DIR",
		Short: "Bring an original relayCommander replay/ queue into the journal",
		Long: `Reads relayCommander's queue (DIR/toDo/*.txt, or DIR/replay/toDo/*.txt) in file-time order,
collapses the per-host duplicates, and records each change in the journal with an unknown base
version, so that 'relaycommander replay' sends it. Nothing read is executed; lines that are not
exactly "rc update-ld-api -p P -e E -f F -s on|off" are reported and skipped. The files are left
in place; importing the same queue twice records it once.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErr("import-relaycommander needs exactly one directory: the replay/ directory of relayCommander (or its parent)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			dir := abs(a.sys, a.sys.env["HOME"], args[0])
			changes, problems, err := journal.ReadRelayCommanderQueue(dir)
			if err != nil {
				return err
			}
			j, err := a.openJournal()
			if err != nil {
				return err
			}
			for i, c := range changes {
				if c.Operator == "" {
					changes[i].Operator = cfg.Operator
				}
				// relayCommander assumed ld:{project}:{env}; a configured mapping knows better.
				if ps := cfg.prefixesOf(flags.Target{Project: c.Project, Environment: c.Environment}); len(ps) == 1 {
					changes[i].Prefix = ps[0]
				}
			}
			recorded, err := j.Import(changes)
			if err != nil {
				return err
			}
			if asJSON {
				out := struct {
					Journal  string                  `json:"journal"`
					Read     int                     `json:"read"`
					Recorded []journal.Change        `json:"recorded"`
					Skipped  []journal.ImportProblem `json:"skipped"`
				}{j.Dir(), len(changes), recorded, problems}
				if out.Recorded == nil {
					out.Recorded = []journal.Change{}
				}
				if out.Skipped == nil {
					out.Skipped = []journal.ImportProblem{}
				}
				if err := writeJSON(a.sys.stdout, out); err != nil {
					return err
				}
			} else {
				out := a.sys.stdout
				for _, c := range recorded {
					fmt.Fprintf(out, "imported %s/%s %s -> %s (change %s)\n", c.Project, c.Environment, c.Flag, onOff(c.After), c.ID)
				}
				if already := len(changes) - len(recorded); already > 0 {
					fmt.Fprintf(out, "%d change(s) were imported before and are not recorded again.\n", already)
				}
				fmt.Fprintf(out, "Imported %d change(s) from %s into the journal %s.\n", len(recorded), dir, j.Dir())
				if len(recorded) > 0 {
					fmt.Fprintln(out, "Their base version is unknown, so replay cannot detect conflicts for them: check with relaycommander replay --dry-run.")
				}
			}
			for _, p := range problems {
				fmt.Fprintf(a.sys.stderr, "skipped %s: %s (%q)\n", p.File, p.Reason, p.Line)
			}
			if len(problems) > 0 {
				return &exitErr{code: exitPartial, msg: fmt.Sprintf("%d queue file(s) skipped, listed above; nothing in them was executed. "+
					"Redo them by hand with relaycommander update if they matter", len(problems))}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// ---------------------------------------------------------------------------------------------
// config

func (a *app) configCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "config [--json]",
		Short: "Show the effective configuration and where each value comes from (the token is never shown)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			jd, err := cfg.journalDir()
			if err != nil {
				jd = ""
			}
			var hosts []string
			for _, h := range cfg.Hosts {
				desc := h.Name
				if h.Name != hostName(h.Addr) {
					desc += "=" + hostName(h.Addr)
				}
				if h.TLS || strings.HasPrefix(h.Addr, "rediss://") {
					desc += " (TLS)"
				}
				hosts = append(hosts, desc)
			}
			var prefixes []string
			for _, p := range slices.Sorted(maps.Keys(cfg.Prefixes)) {
				prefixes = append(prefixes, p+"="+cfg.Prefixes[p].Project+"/"+cfg.Prefixes[p].Environment)
			}
			token := "not set"
			if cfg.LDToken != "" {
				token = "set"
			}
			values := map[string]string{
				"operator": cfg.Operator, "redis.hosts": strings.Join(hosts, ", "),
				"redis.dial_timeout": cfg.DialTimeout.String(), "redis.command_timeout": cfg.CommandTimeout.String(),
				"prefixes": strings.Join(prefixes, ", "), "relay_configs": strings.Join(cfg.RelayConfigs, ", "),
				"launchdarkly.base_url": cfg.LDBaseURL, "launchdarkly.api_token": token,
				"launchdarkly.timeout": cfg.LDTimeout.String(), "journal_dir": jd,
				"protected_environments": strings.Join(cfg.Protected, ", "), "ui.refresh": cfg.Refresh.String(),
				"ui.read_only": strconv.FormatBool(cfg.ReadOnly), "ui.alt_screen": strconv.FormatBool(cfg.AltScreen),
				"ui.log_file": cfg.LogFile, "relay.local_ttl": cfg.LocalTTL.String(),
			}
			from := func(k string) string {
				if src, ok := cfg.Sources[k]; ok {
					return src
				}
				return "default"
			}
			if asJSON {
				type entry struct {
					Value string `json:"value"`
					From  string `json:"from"`
				}
				out := struct {
					File   string           `json:"file"`
					Values map[string]entry `json:"values"`
				}{cfg.File, map[string]entry{}}
				for _, k := range configKeys {
					out.Values[k] = entry{values[k], from(k)}
				}
				return writeJSON(a.sys.stdout, out)
			}
			file := cfg.File
			if file == "" {
				file = "none (looked for ./relaycommander.yaml and $XDG_CONFIG_HOME/relaycommander/config.yaml)"
			}
			fmt.Fprintf(a.sys.stdout, "configuration file: %s\n\n", file)
			w := tabwriter.NewWriter(a.sys.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "KEY\tVALUE\tFROM")
			for _, k := range configKeys {
				fmt.Fprintf(w, "%s\t%s\t%s\n", k, values[k], from(k))
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
