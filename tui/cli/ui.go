package cli

import (
	"context"

	"relaycommander/tui"
	"relaycommander/tui/cli/config"
)

// runUI is the root command without a subcommand: the terminal UI on the configured hosts,
// journal and LaunchDarkly.
func runUI(ctx context.Context, a *app) error {
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
	c := uiConfig(cfg)
	c.Store, c.Journal, c.LD, c.LogPath = st, j, ld, cfg.LogFileOrDefault(j.Dir())
	return a.sys.tui(ctx, c)
}

// uiConfig is the UI's share of the configuration, every value resolved.
func uiConfig(cfg *config.Config) tui.Config {
	return tui.Config{
		Operator: cfg.Operator, Protected: cfg.Protected, ReadOnly: cfg.ReadOnly, ReadOnlyFrom: readOnlySource(cfg),
		Refresh: cfg.Refresh, AltScreen: cfg.AltScreen, RelayTTL: cfg.LocalTTL,
		Relays: cfg.Relays, SDKKeys: cfg.SDKKeys,
	}
}
