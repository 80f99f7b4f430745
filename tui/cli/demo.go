package cli

import (
	"github.com/spf13/cobra"

	"relaycommander/tui/demo"
)

func newDemoCmd(a *app) *cobra.Command {
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
			d, err := demo.Start(cmd.Context())
			if err != nil {
				return err
			}
			defer d.Close()
			c := uiConfig(cfg)
			c.Store, c.Journal, c.LD, c.Demo, c.LogPath = d.Store, d.Journal, d.LD, d, d.LogPath()
			return a.sys.tui(cmd.Context(), c)
		},
	}
}
