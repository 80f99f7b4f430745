package cli

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"relaycommander/tui/cli/config"
)

// configOptions are the config command's flags.
type configOptions struct {
	app  *app
	json bool
}

// configJSON is config --json.
type configJSON struct {
	File   string                     `json:"file"`
	Values map[string]configEntryJSON `json:"values"`
}

type configEntryJSON struct {
	Value string `json:"value"`
	From  string `json:"from"`
}

func newConfigCmd(a *app) *cobra.Command {
	opts := &configOptions{app: a}
	cmd := &cobra.Command{
		Use:   "config [--json]",
		Short: "Show the effective configuration and where each value comes from (the token is never shown)",
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runConfig(opts) },
	}
	cmd.Flags().BoolVar(&opts.json, "json", false, "print JSON")
	return cmd
}

// runConfig prints every key's effective value and where it came from; never the token.
func runConfig(opts *configOptions) error {
	a := opts.app
	cfg, err := a.config()
	if err != nil {
		return err
	}
	jd, err := cfg.JournalDirOrDefault()
	if err != nil {
		jd = ""
	}
	var hosts []string
	for _, h := range cfg.Hosts {
		desc := h.Name
		if h.Name != config.HostName(h.Addr) {
			desc += "=" + config.HostName(h.Addr)
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
		"launchdarkly.base_url": cfg.LDBaseURL, "launchdarkly.allow_insecure_http": strconv.FormatBool(cfg.LDInsecureHTTP), "launchdarkly.api_token": token,
		"launchdarkly.timeout": cfg.LDTimeout.String(), "journal_dir": jd,
		"protected_environments": strings.Join(cfg.Protected, ", "), "ui.refresh": cfg.Refresh.String(),
		"ui.read_only": strconv.FormatBool(cfg.ReadOnly), "ui.alt_screen": strconv.FormatBool(cfg.AltScreen),
		"ui.log_file": cfg.LogFile, "relay.local_ttl": cfg.LocalTTL.String(),
		"relays": relaysValue(cfg), "relay.sdk_keys": sdkKeysValue(cfg),
	}
	if opts.json {
		out := configJSON{cfg.File, map[string]configEntryJSON{}}
		for _, k := range config.Keys {
			out.Values[k] = configEntryJSON{values[k], cfg.From(k)}
		}
		return writeJSON(a.sys.Stdout, out)
	}
	file := cfg.File
	if file == "" {
		file = "none (looked for ./relaycommander.yaml and $XDG_CONFIG_HOME/relaycommander/config.yaml)"
	}
	fmt.Fprintf(a.sys.Stdout, "configuration file: %s\n\n", file)
	w := tabwriter.NewWriter(a.sys.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "KEY\tVALUE\tFROM")
	for _, k := range config.Keys {
		fmt.Fprintf(w, "%s\t%s\t%s\n", k, values[k], cfg.From(k))
	}
	return w.Flush()
}

// relaysValue lists the Relays as name=URL, any password in a URL hidden.
func relaysValue(cfg *config.Config) string {
	var rs []string
	for _, r := range cfg.Relays {
		rs = append(rs, r.String())
	}
	return strings.Join(rs, ", ")
}

// sdkKeysValue says for which prefixes an SDK key is set and where it comes from; never a key.
func sdkKeysValue(cfg *config.Config) string {
	var ks []string
	for _, p := range slices.Sorted(maps.Keys(cfg.SDKKeys)) {
		ks = append(ks, fmt.Sprintf("%s set (%s)", p, cfg.SDKKeyFrom[p]))
	}
	return strings.Join(ks, ", ")
}
