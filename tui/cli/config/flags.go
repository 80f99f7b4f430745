package config

import (
	"strings"

	"github.com/spf13/pflag"
)

// AddFlags defines the global flags that name a configuration file or override a key.
func AddFlags(pf *pflag.FlagSet) {
	pf.String("config", "", "configuration file (default ./relaycommander.yaml, else $XDG_CONFIG_HOME/relaycommander/config.yaml)")
	pf.String("operator", "", "your name in the journal and in LaunchDarkly's comments (default: the OS user)")
	pf.StringSlice("redis", nil, "Redis hosts of the Relay, host[:port] or redis:// URLs, comma-separated (config redis.hosts)")
	pf.String("journal-dir", "", "journal directory (default $XDG_STATE_HOME/relaycommander)")
	pf.String("ld-base-url", "", "LaunchDarkly: commercial, federal, eu or a URL (config launchdarkly.base_url)")
	pf.Bool("read-only", false, "no command or screen writes anything: Redis, the journal or LaunchDarkly (config ui.read_only)")
	pf.Bool("no-alt-screen", false, "UI: draw in the normal screen instead of the alternate one")
	pf.String("log-file", "", "UI: log file (default beside the journal directory)")
}

// flagKeys maps global flags to configuration keys (--no-alt-screen is ui.alt_screen inverted).
var flagKeys = map[string]string{
	"operator": "operator", "redis": "redis.hosts", "journal-dir": "journal_dir",
	"ld-base-url": "launchdarkly.base_url", "read-only": "ui.read_only", "log-file": "ui.log_file",
}

// setFlags puts the flags given on the command line over every other layer.
func (l *loader) setFlags(global *pflag.FlagSet) {
	if global == nil {
		return
	}
	for name, key := range flagKeys {
		f := global.Lookup(name)
		if f == nil || !f.Changed {
			continue
		}
		switch f.Value.Type() {
		case "bool":
			b, _ := global.GetBool(name)
			l.v.Set(key, b)
		case "stringSlice":
			ss, _ := global.GetStringSlice(name)
			l.v.Set(key, strings.Join(ss, ","))
		default:
			l.v.Set(key, f.Value.String())
		}
		l.source[key] = "flag --" + name
	}
	if f := global.Lookup("no-alt-screen"); f != nil && f.Changed {
		b, _ := global.GetBool("no-alt-screen")
		l.v.Set("ui.alt_screen", !b)
		l.source["ui.alt_screen"] = "flag --no-alt-screen"
	}
}
