package config

import "time"

// DefaultLocalTTL is Relay's own default localTtl, and ours for relay.local_ttl.
const DefaultLocalTTL = 30 * time.Second

// defaults are the value of every key that has one; viper gets them once, before any layer.
// Keys without one (operator, redis.hosts, journal_dir, ...) are empty until a layer sets them,
// and the empty value means "work it out": the OS user, the Relay configs' hosts, XDG_STATE_HOME.
var defaults = map[string]any{
	"redis.dial_timeout":               "2s",
	"redis.command_timeout":            "2s",
	"launchdarkly.base_url":            "commercial",
	"launchdarkly.timeout":             "10s",
	"protected_environments":           []string{"production"},
	"ui.refresh":                       "5s",
	"ui.read_only":                     false,
	"launchdarkly.allow_insecure_http": false,
	"ui.alt_screen":                    true,
	"relay.local_ttl":                  DefaultLocalTTL.String(),
}
