package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/pflag"

	"relaycommander/flags"
	"relaycommander/journal"
	"relaycommander/ldsync"
	"relaycommander/tui/cli/config"
)

// app holds one invocation's state: global flags, loaded configuration, opened resources.
type app struct {
	sys     *System
	global  *pflag.FlagSet
	cfg     *config.Config
	store   *flags.Store // opened once, by openStore
	closers []func()
}

func (a *app) onExit(f func()) { a.closers = append(a.closers, f) }

// close releases what the command opened, last opened first.
func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// config loads and validates the configuration once; every command calls it before touching
// anything.
func (a *app) config() (*config.Config, error) {
	if a.cfg != nil {
		return a.cfg, nil
	}
	cfg, warnings, err := config.Load(config.Input{Env: a.sys.Env, Dir: a.sys.Dir, Flags: a.global, Operator: a.sys.Operator})
	for _, w := range warnings {
		tprintf(a.sys.Stderr, "warning: %s\n", w)
	}
	if err != nil {
		return nil, err
	}
	a.cfg = cfg
	return cfg, nil
}

// abs resolves a path given on the command line.
func (a *app) abs(p string) string {
	return config.Abs(a.sys.Dir, a.sys.Env["HOME"], p)
}

// openStore connects to the configured Redis hosts, once per invocation.
func (a *app) openStore() (*flags.Store, error) {
	if a.store != nil {
		return a.store, nil
	}
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
	a.store = st
	return st, nil
}

func (a *app) openJournal() (*journal.Journal, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	dir, err := cfg.JournalDirOrDefault()
	if err != nil {
		return nil, err
	}
	j, err := journal.Open(dir)
	if err != nil {
		return nil, err
	}
	a.onExit(func() { j.Close() })
	for _, w := range j.Warnings() {
		tprintf(a.sys.Stderr, "warning: %s\n", w)
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
	return ldsync.NewClient(ldsync.ClientConfig{BaseURL: cfg.LDBaseURL, Token: cfg.LDToken, Timeout: cfg.LDTimeout,
		AllowInsecureHTTP: cfg.LDInsecureHTTP})
}

// refuseWrites stops a command that would write (Redis, the journal or LaunchDarkly) when
// read-only is set, saying where it was set.
func (a *app) refuseWrites(what string) error {
	if !a.cfg.ReadOnly {
		return nil
	}
	return fmt.Errorf("read-only (ui.read_only, from %s): %s would write; nothing was changed", readOnlySource(a.cfg), what)
}

func readOnlySource(cfg *config.Config) string {
	if from := cfg.From("ui.read_only"); from != "default" {
		return from
	}
	return "the configuration"
}
