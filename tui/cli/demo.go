package cli

import (
	"context"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"relaycommander/tui/demo"
)

// demoQuitGrace is how long the demo's UI has to end after SIGHUP or SIGTERM before the
// signal ends the process (its directory is removed first).
const demoQuitGrace = 3 * time.Second

func newDemoCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "The terminal UI on two embedded Redis servers and an embedded LaunchDarkly: nothing to install",
		Long: `Starts two in-process Redis servers loaded with a real Relay store, an in-process LaunchDarkly
that starts unreachable (as in an outage), and a journal in a temporary directory, then opens
the terminal UI on them. Play the runbook: kill a flag, bring LaunchDarkly back, watch Relay's
re-sync undo the edit, replay. Everything is removed on exit, also when the terminal goes
away (SIGHUP) or on SIGTERM; what a demo killed outright leaves, the next demo removes. Your
configuration's hosts, journal and token are not used.`,
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
			// A dropped SSH session (SIGHUP) or a kill (SIGTERM) removes the demo's directory
			// too: the UI is asked to quit, and given a few seconds.
			ctx, quit := context.WithCancel(cmd.Context())
			defer quit()
			defer d.CloseOnSignal(quit, demoQuitGrace, syscall.SIGHUP, syscall.SIGTERM)()
			c := uiConfig(cfg)
			c.Store, c.Journal, c.LD, c.Demo, c.LogPath = d.Store, d.Journal, d.LD, d, d.LogPath()
			return a.sys.tui(ctx, c)
		},
	}
}
