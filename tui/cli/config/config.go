// Package config loads Relay Commander's configuration: defaults, the configuration file,
// relayCommander's ./.env, the environment and the command line's global flags, in rising
// precedence, layered through viper. Every default is written once, here; every error names the
// key, where its value came from and what to do about it.
package config

import (
	"errors"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"relaycommander/flags"
	"relaycommander/journal"
	"relaycommander/relaycfg/relayapi"
)

// Config is the validated configuration, with every default applied: its users need no
// defaults of their own.
type Config struct {
	File           string // the configuration file read; "" when none
	Operator       string
	Hosts          []flags.HostConfig
	DialTimeout    time.Duration
	CommandTimeout time.Duration
	Prefixes       map[string]flags.Target // explicit, from the config file
	RelayConfigs   []string
	Mapping        map[string]flags.Target // explicit prefixes over the Relay configs' ones
	LDBaseURL      string
	LDInsecureHTTP bool // launchdarkly.allow_insecure_http: plain http:// to another machine accepted
	LDToken        string
	LDTimeout      time.Duration
	JournalDir     string
	Protected      []string
	Refresh        time.Duration
	ReadOnly       bool
	AltScreen      bool
	LogFile        string
	LocalTTL       time.Duration    // zero means zero (Relay has no cache), not "unset"
	Relays         []relayapi.Relay // the Relay Proxies to ask (status, update --wait-served)
	// SDKKeys are the environments' SDK keys by store prefix, for asking a Relay what it
	// serves: from relay.sdk_keys (environment variables), else from relay_configs. Secrets:
	// SDKKey prints masked. SDKKeyFrom says where each came from.
	SDKKeys    map[string]relayapi.SDKKey
	SDKKeyFrom map[string]string
	Sources    map[string]string // key -> where its value came from; absent = the default
}

// Keys are every configuration key, in the order `relaycommander config` lists them. The
// environment variable of a key is EnvName(key) (prefixes has none: it is a map; relays and
// relay.sdk_keys take name=value lists there).
var Keys = []string{
	"operator", "redis.hosts", "redis.dial_timeout", "redis.command_timeout", "prefixes",
	"relay_configs", "launchdarkly.base_url", "launchdarkly.allow_insecure_http", "launchdarkly.api_token", "launchdarkly.timeout",
	"journal_dir", "protected_environments", "ui.refresh", "ui.read_only", "ui.alt_screen",
	"ui.log_file", "relay.local_ttl", "relays", "relay.sdk_keys",
}

// EnvName is a key's environment variable: RC_ and the key in capitals, "." replaced by "_".
func EnvName(key string) string {
	return "RC_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// From says where a key's value came from: a flag, an environment variable, a file, relay_configs
// or "default".
func (c *Config) From(key string) string {
	if src, ok := c.Sources[key]; ok {
		return src
	}
	return "default"
}

// Set reports whether a key was given anywhere rather than left at its default.
func (c *Config) Set(key string) bool {
	_, ok := c.Sources[key]
	return ok
}

// JournalDirOrDefault is the configured journal directory or the default one.
func (c *Config) JournalDirOrDefault() (string, error) {
	if c.JournalDir != "" {
		return c.JournalDir, nil
	}
	if d := journal.DefaultDir(); d != "" {
		return d, nil
	}
	return "", errors.New("no journal directory: neither XDG_STATE_HOME nor a home directory is known; set journal_dir or RC_JOURNAL_DIR")
}

// LogFileOrDefault is ui.log_file, or relaycommander-ui.log beside the journal directory.
func (c *Config) LogFileOrDefault(journalDir string) string {
	if c.LogFile != "" {
		return c.LogFile
	}
	return filepath.Join(filepath.Dir(journalDir), "relaycommander-ui.log")
}

// PrefixesOf lists the configured prefixes mapped to a project's environment.
func (c *Config) PrefixesOf(want flags.Target) []string {
	var found []string
	for p, t := range c.Mapping {
		if t == want {
			found = append(found, p)
		}
	}
	sort.Strings(found)
	return found
}
