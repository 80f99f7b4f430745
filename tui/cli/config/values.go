package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/viper"

	"relaycommander/ldsync"
)

// loader reads one layer after the other into viper and remembers where each value came from.
type loader struct {
	v      *viper.Viper
	source map[string]string
	env    map[string]string
	home   string
}

// from says where a key's value came from, for errors.
func (l *loader) from(key string) string {
	if i := strings.IndexByte(key, '['); i > 0 {
		key = key[:i] // redis.hosts[1].addr comes from where redis.hosts does
	}
	if s, ok := l.source[key]; ok {
		return s
	}
	return "default"
}

// fail is a configuration error naming the key and where its value came from.
func (l *loader) fail(key, format string, args ...any) error {
	return fmt.Errorf("configuration %s (from %s): %s", key, l.from(key), fmt.Sprintf(format, args...))
}

// str reads a single value as text.
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

// duration reads a duration; a bare number is refused, since its unit is a guess.
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

// boolean reads true or false, from YAML or from the text of a variable.
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

// baseURL names LaunchDarkly's instances; anything else must be an http(s) URL.
// loopback reports a host name that stays on this machine.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
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

// decode reads every key out of viper, checked and typed, with the defaults already applied.
func (l *loader) decode(dir, file string, fm fileMaps) (*Config, error) {
	c := &Config{File: file, Prefixes: fm.prefixes, Sources: l.source}
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
		c.RelayConfigs = append(c.RelayConfigs, Abs(dir, l.home, rc))
	}
	base, err := l.str("launchdarkly.base_url")
	if err != nil {
		return nil, err
	}
	if c.LDBaseURL, err = baseURL(base); err != nil {
		return nil, l.fail("launchdarkly.base_url", "%v", err)
	}
	if c.LDInsecureHTTP, err = l.boolean("launchdarkly.allow_insecure_http"); err != nil {
		return nil, err
	}
	if u, _ := url.Parse(c.LDBaseURL); u.Scheme == "http" && !c.LDInsecureHTTP && !loopback(u.Hostname()) {
		return nil, l.fail("launchdarkly.base_url", "%s is plain http:// to %s, another machine: the API token would cross the network in clear. "+
			"Use https://, or accept it explicitly with launchdarkly.allow_insecure_http: true (%s=true)",
			c.LDBaseURL, u.Hostname(), EnvName("launchdarkly.allow_insecure_http"))
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
	c.JournalDir = Abs(dir, l.home, jd)
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
	c.LogFile = Abs(dir, l.home, lf)
	// Relay's localTtl may be negative (cache forever): the messages must say so, not refuse it.
	if c.LocalTTL, err = l.duration("relay.local_ttl", true); err != nil {
		return nil, err
	}
	if c.Relays, err = l.relays(); err != nil {
		return nil, err
	}
	if c.SDKKeys, c.SDKKeyFrom, err = l.sdkKeys(fm.sdkKeyEnv); err != nil {
		return nil, err
	}
	return c, nil
}
