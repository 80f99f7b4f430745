package cli

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"relaycommander/relaycfg"
	"relaycommander/tui/cli/config"
)

// generateOptions are the generate-relay-config command's flags.
type generateOptions struct {
	app            *app
	projects       []string
	format, output string
	force          bool
}

func newGenerateCmd(a *app) *cobra.Command {
	opts := &generateOptions{app: a}
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
		RunE: func(cmd *cobra.Command, _ []string) error { return runGenerate(cmd.Context(), opts) },
	}
	f := cmd.Flags()
	f.StringSliceVarP(&opts.projects, "project", "p", nil, "LaunchDarkly project key (repeatable)")
	f.StringVar(&opts.format, "format", "ini", "ini (Relay's configuration file) or env (its environment variables)")
	f.StringVarP(&opts.output, "output", "o", "", "write to this file (mode 0600) instead of standard output")
	f.BoolVar(&opts.force, "force", false, "replace an existing output file")
	return cmd
}

// runGenerate lists the projects' environments in LaunchDarkly and writes Relay's configuration.
func runGenerate(ctx context.Context, opts *generateOptions) error {
	a := opts.app
	if len(opts.projects) == 0 {
		return usageErr("generate-relay-config needs -p PROJECT (repeat it for several projects)")
	}
	if opts.format != "ini" && opts.format != "env" {
		return usageErr("--format %q: use ini or env", opts.format)
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	client, err := a.ldClient(true)
	if err != nil {
		return err
	}
	relayOpts, err := relayOptions(cfg)
	if err != nil {
		return err
	}
	envs, err := relaycfg.Fetch(ctx, client, opts.projects)
	if err != nil {
		return err
	}
	var data []byte
	var warnings []string
	if opts.format == "ini" {
		data, warnings, err = relaycfg.INI(envs, relayOpts)
	} else {
		data, warnings, err = relaycfg.Env(envs, relayOpts)
	}
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintf(a.sys.Stderr, "warning: %s\n", w)
	}
	if opts.output == "" || opts.output == "-" {
		_, err := a.sys.Stdout.Write(data)
		return err
	}
	path := a.abs(opts.output)
	if err := relaycfg.WriteFile(path, data, opts.force); err != nil {
		return err
	}
	n := 0
	for _, p := range envs {
		n += len(p.Environments)
	}
	fmt.Fprintf(a.sys.Stderr, "Wrote %s (mode 0600: it contains SDK keys) for %s of %s.\n", path, count(n, "environment", "environments"), strings.Join(opts.projects, ", "))
	return nil
}

// relayOptions takes Relay's Redis settings from the first configured host.
func relayOptions(cfg *config.Config) (relaycfg.Options, error) {
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
