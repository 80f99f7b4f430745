package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"relaycommander/tui"
)

func TestHelpAndUsageErrorsTouchNothing(t *testing.T) {
	h := newHarness(t)
	addr, dials := listener(t)
	h.env["REDIS_HOSTS"] = addr
	h.env["LD_API_KEY"] = "api-secret"
	h.env["RC_LAUNCHDARKLY_BASE_URL"] = "http://" + addr

	g := h.ok("--help")
	if !strings.Contains(g.stdout, "Usage:") || !strings.Contains(g.stdout, "update") {
		t.Errorf("--help output:\n%s", g.stdout)
	}
	h.ok("update", "--help")
	h.ok("replay", "--help")
	for _, args := range [][]string{
		{"bogus"},
		{"flags", "--bogus"},
		{"flags", "-e", "production"},
		{"update", "-p", "web-store", "-e", "staging", "-f", "beta-dashboard"},
		{"update", "-p", "web-store", "-e", "staging", "-f", "beta-dashboard", "-s", "maybe"},
		{"update", "-f", "x", "-s", "on"},
		{"import-relaycommander"},
		{"generate-relay-config"},
		{"generate-relay-config", "-p", "web-store", "--format", "yaml"},
		{"queue", "extra"},
		{"completion"},
		{"completion", "tcsh"},
		{"help", "flgs"},
	} {
		g := h.run("", false, args...)
		wantCode(t, g, ExitUsage, "Run 'relaycommander")
		if g.stdout != "" {
			t.Errorf("%v: usage error printed to stdout: %q", args, g.stdout)
		}
	}
	if g := h.run("", false, "completion", "tcsh"); !strings.Contains(g.stderr, "bash, fish, powershell or zsh") {
		t.Errorf("completion of an unknown shell does not name the shells:\n%s", g.stderr)
	}
	if g := h.run("", false, "help", "flgs"); !strings.Contains(g.stderr, "relaycommander: help: no command \"flgs\"; did you mean flags?\n") {
		t.Errorf("help for a mistyped command:\n%s", g.stderr)
	}
	if g := h.ok("help", "flags"); !strings.Contains(g.stdout, "relaycommander flags [-p PROJECT]") {
		t.Errorf("help flags:\n%s", g.stdout)
	}
	if g := h.run("", false, "udpate"); !strings.Contains(g.stderr, "did you mean update?") {
		t.Errorf("no suggestion for a typo:\n%s", g.stderr)
	}
	if g := h.ok("completion", "bash"); !strings.Contains(g.stdout, "relaycommander") {
		t.Errorf("completion bash:\n%.200s", g.stdout)
	}
	time.Sleep(50 * time.Millisecond)
	if n := dials.Load(); n != 0 {
		t.Errorf("--help and usage errors opened %d connections", n)
	}

	// Without any Redis host, the UI and the commands that read Redis say how to name them.
	delete(h.env, "REDIS_HOSTS")
	for _, args := range [][]string{{}, {"flags"}} {
		wantCode(t, h.run("", false, args...), ExitError, "no Redis hosts configured", "REDIS_HOSTS")
	}
}

func TestREADMEQuickStartAndCommands(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, quick, ok := strings.Cut(string(text), "## Quick start")
	if !ok {
		t.Fatal("README has no Quick start")
	}
	_, block, _ := strings.Cut(quick, "```\n")
	lines := strings.Split(block, "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "go run . demo") || !strings.HasPrefix(lines[1], "go test ./...") {
		t.Errorf("the Quick start's first two commands must be go run . demo and go test ./...: %q", lines[:min(2, len(lines))])
	}
	for _, c := range newRootCmd(&app{sys: &System{}}).Commands() {
		if c.Hidden || c.Name() == "help" {
			continue
		}
		if !strings.Contains(string(text), "relaycommander "+c.Name()) {
			t.Errorf("README does not document the command %s", c.Name())
		}
	}
	if !strings.Contains(string(text), "## Measurements") {
		t.Errorf("README lost its Measurements section")
	}
}

func TestRootCommandStartsTheUIWithTheConfiguration(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	fake := withLaunchDarkly(t, h)
	h.env["RC_UI_READ_ONLY"] = "true"
	h.env["RC_RELAY_LOCAL_TTL"] = "10s"
	h.env["RC_PROTECTED_ENVIRONMENTS"] = "staging,production"
	h.write("relaycommander.yaml", "ui:\n  refresh: 3s\n", 0o600)
	var got *tui.Config
	h.ui = func(ctx context.Context, cfg tui.Config) error {
		got = &cfg
		// What the UI gets works: Redis, the journal, LaunchDarkly.
		if names := cfg.Store.HostNames(); len(names) != 2 || names[0] != a.Addr || names[1] != b.Addr {
			t.Errorf("hosts: %v", names)
		}
		if fs, err := cfg.Store.Flags(ctx, "ld:web-store:staging"); err != nil || len(fs.Flags) == 0 {
			t.Errorf("store: %v", err)
		}
		if cfg.LD == nil || cfg.LD.Check(ctx) != nil {
			t.Errorf("LaunchDarkly client: %v", cfg.LD)
		}
		if cfg.Journal == nil || cfg.Journal.Dir() != h.journal {
			t.Errorf("journal: %v", cfg.Journal)
		}
		return nil
	}
	h.ok("--no-alt-screen", "--operator", "carol")
	if got == nil {
		t.Fatal("the UI did not start")
	}
	if got.Operator != "carol" || !got.ReadOnly || got.AltScreen || got.Refresh != 3*time.Second || got.RelayTTL != 10*time.Second ||
		strings.Join(got.Protected, ",") != "staging,production" || got.Demo != nil ||
		got.LogPath != filepath.Join(filepath.Dir(h.journal), "relaycommander-ui.log") {
		t.Errorf("UI configuration: %+v", *got)
	}
	if fake.PatchCount() != 0 {
		t.Errorf("starting the UI patched LaunchDarkly")
	}

	// Without a token the UI still starts, without LaunchDarkly.
	delete(h.env, "RC_LAUNCHDARKLY_API_TOKEN")
	h.ui = func(ctx context.Context, cfg tui.Config) error {
		if cfg.LD != nil {
			t.Errorf("a LaunchDarkly client without a token")
		}
		return nil
	}
	h.ok()
}

// Every command's --help fits 80 columns, but for its examples (commands to copy whole).
func TestHelpFits80Columns(t *testing.T) {
	h := newHarness(t)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		args := append(strings.Fields(strings.TrimPrefix(c.CommandPath(), "relaycommander")), "--help")
		g := h.ok(args...)
		examples := false
		for _, l := range strings.Split(g.stdout, "\n") {
			switch {
			case l == "Examples:":
				examples = true
			case l == "":
				examples = false
			case !examples && len(l) > 80:
				t.Errorf("relaycommander %s: a line of %d columns:\n%s", strings.Join(args, " "), len(l), l)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(&app{sys: &System{}}))
}

// A mistyped flag or a value of the wrong kind is one line that says the fix.
func TestFlagMistakesSayTheFix(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"flags", "--prefx", "x"}, "relaycommander: unknown flag --prefx; did you mean --prefix?\n"},
		{[]string{"replay", "--wiat"}, "relaycommander: unknown flag --wiat; did you mean --wait?\n"},
		{[]string{"update", "--dry-run"}, "relaycommander: unknown flag: --dry-run\n"},
		{[]string{"replay", "--wait", "--timeout", "10"}, "relaycommander: --timeout 10: not a duration; write it like 30s, 5m or 1h30m\n"},
		{[]string{"update", "--served-timeout=1 minute"}, "relaycommander: --served-timeout \"1 minute\": not a duration; write it like 30s, 5m or 1h30m\n"},
		{[]string{"queue", "--json=maybe"}, "relaycommander: --json=maybe: write --json alone (or --json=false)\n"},
	} {
		g := h.run("", false, tc.args...)
		wantCode(t, g, ExitUsage)
		if first, _, _ := strings.Cut(g.stderr, "Run '"); first != tc.want {
			t.Errorf("relaycommander %s:\n%s\nwant:\n%s", strings.Join(tc.args, " "), g.stderr, tc.want)
		}
	}
}
