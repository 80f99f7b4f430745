// Package cli is Relay Commander's command line (cobra): one file per command, each with its
// options, its cobra command, its run function and its JSON output. The root command, the
// injected System, the exit codes and the confirmation prompt are in this file; configuration
// loading is package config, the embedded outage of `relaycommander demo` is package tui/demo,
// and the terminal UI the root command starts is package tui.
package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strconv"
	"strings"
	"text/template"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"relaycommander/tui"
	"relaycommander/tui/cli/config"
	"relaycommander/tui/termsafe"
)

// Exit codes, documented in the README.
const (
	ExitOK        = 0
	ExitError     = 1
	ExitUsage     = 2
	ExitPartial   = 3 // some hosts or some changes failed
	ExitConflicts = 4 // conflicts await the operator's decision
)

// System is everything the commands take from the outside world, so that tests inject it.
type System struct {
	Stdin     io.Reader
	Stdout    io.Writer
	Stderr    io.Writer
	Env       map[string]string                       // the process environment (a .env file is added on load)
	Dir       string                                  // working directory: relative paths, ./relaycommander.yaml, ./.env
	StdinTTY  bool                                    // confirmations may be asked
	StdoutTTY bool                                    // progress bars instead of plain lines
	Operator  func() string                           // the OS user; nil = os/user
	RunTUI    func(context.Context, tui.Config) error // nil = tui.Run; tests see what the UI would get
}

func (s *System) tui(ctx context.Context, cfg tui.Config) error {
	if s.RunTUI != nil {
		return s.RunTUI(ctx, cfg)
	}
	return tui.Run(ctx, cfg)
}

// exitErr carries an exit code; an empty message prints nothing (the command already reported).
type exitErr struct {
	code int
	msg  string
}

func (e *exitErr) Error() string { return e.msg }

func usageErr(format string, args ...any) error {
	return &exitErr{code: ExitUsage, msg: fmt.Sprintf(format, args...)}
}

// Run executes one command line and returns the process exit code.
func Run(ctx context.Context, s *System, args []string) int {
	out := &stdout{w: s.Stdout}
	sys := *s
	sys.Stdout = out
	a := &app{sys: &sys}
	root := newRootCmd(a)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	a.close()
	// A failed write to standard output is the command's outcome unless the command
	// failed for a reason of its own.
	if werr := out.failed(); werr != nil && (err == nil || errors.Is(err, werr)) {
		err = stdoutFailed(werr)
	}
	if err == nil {
		return ExitOK
	}
	code := ExitError
	var ee *exitErr
	if errors.As(err, &ee) {
		code = ee.code
	} else if isCobraUsage(err) {
		code = ExitUsage
	}
	if msg := err.Error(); msg != "" {
		// Error texts echo data (flag keys, hosts' replies, journal lines): escaped line by line.
		fmt.Fprintf(s.Stderr, "relaycommander: %s\n", strings.Join(termsafe.Lines(msg), "\n"))
	}
	if code == ExitUsage && cmd != nil {
		fmt.Fprintf(s.Stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return code
}

// isCobraUsage recognises the one argument error cobra produces itself: flag errors go through
// the FlagErrorFunc and argument checks are ours (completion's too), but cobra may still
// reject an unknown subcommand on its own.
func isCobraUsage(err error) bool {
	return strings.HasPrefix(err.Error(), "unknown command")
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "relaycommander",
		Short: "Flip LaunchDarkly flags in the Relay Proxy's Redis during an outage, then replay them",
		Long: `Relay Commander lists and toggles feature flags directly in the Redis store that the
LaunchDarkly Relay Proxy serves from (on every Redis host at once, after a confirmation),
records every change in a journal, and replays the journal to LaunchDarkly's API when
LaunchDarkly is reachable again.

Without a command it starts the terminal UI. Try it with nothing installed: relaycommander demo`,
		Version:                    version(),
		SuggestionsMinimumDistance: 2,
		SilenceUsage:               true,
		SilenceErrors:              true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			if sug := cmd.SuggestionsFor(args[0]); len(sug) > 0 {
				return usageErr("unknown command %q; did you mean %s?", args[0], strings.Join(sug, " or "))
			}
			return usageErr("unknown command %q", args[0])
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return runUI(cmd.Context(), a) },
	}
	root.SetFlagErrorFunc(flagErr)
	root.SetHelpTemplate(helpTemplate)
	root.SetUsageTemplate(usageTemplate)
	templated := root.HelpFunc()
	root.SetHelpFunc(func(c *cobra.Command, args []string) {
		// Rendered first, then written: cobra prints a template's failed write on stderr
		// ("write /dev/stdout: broken pipe" for --help | head), which is Run's to judge.
		var b bytes.Buffer
		out := c.OutOrStdout()
		c.SetOut(&b)
		templated(c, args)
		c.SetOut(out)
		_, _ = out.Write(b.Bytes())
	})
	config.AddFlags(root.PersistentFlags())
	a.global = root.PersistentFlags()

	root.AddCommand(newDemoCmd(a), newFlagsCmd(a), newUpdateCmd(a), newQueueCmd(a), newDiscardCmd(a), newReplayCmd(a),
		newGenerateCmd(a), newImportCmd(a), newConfigCmd(a), newStatusCmd(a))
	root.SetIn(a.sys.Stdin)
	root.SetOut(a.sys.Stdout)
	root.SetErr(a.sys.Stderr)
	root.InitDefaultCompletionCmd() // after SetOut: its scripts go where SetOut said then
	root.InitDefaultHelpCmd()
	for _, c := range root.Commands() {
		c.SilenceUsage, c.SilenceErrors = true, true
		if c.Name() == "help" {
			c.Args = helpTopicArgs // cobra's shows the root's help for a command it does not know
		}
		if c.Name() == "completion" {
			// cobra's prints its help and exits 0 for a missing or unknown shell
			c.Args = cobra.ArbitraryArgs
			c.RunE = completionShellErr
		}
	}
	return root
}

// helpTopicArgs refuses help for a command that does not exist, suggesting the one meant.
func helpTopicArgs(cmd *cobra.Command, args []string) error {
	found, rest, err := cmd.Root().Find(args)
	if err == nil && len(rest) == 0 {
		return nil
	}
	if len(rest) == 0 {
		return usageErr("help: %v", err)
	}
	if sug := found.SuggestionsFor(rest[0]); len(sug) > 0 {
		return usageErr("help: no command %q; did you mean %s?", rest[0], strings.Join(sug, " or "))
	}
	return usageErr("help: no command %q; %s --help lists the commands", rest[0], found.CommandPath())
}

// completionShellErr is completion without one of the shells it has a subcommand for.
func completionShellErr(cmd *cobra.Command, args []string) error {
	var shells []string
	for _, c := range cmd.Commands() {
		shells = append(shells, c.Name())
	}
	list := strings.Join(shells[:len(shells)-1], ", ") + " or " + shells[len(shells)-1]
	if len(args) == 0 {
		return usageErr("completion needs the shell to complete for: %s, as in: relaycommander completion bash", list)
	}
	return usageErr("completion: no shell %q; use %s", args[0], list)
}

// flagErr is a flag mistake as one line with its fix: the flag meant for an unknown one, the
// form of a duration, instead of pflag's Go parse errors.
func flagErr(cmd *cobra.Command, err error) error {
	var unknown *pflag.NotExistError
	var invalid *pflag.InvalidValueError
	switch {
	case errors.As(err, &unknown) && unknown.GetSpecifiedShortnames() == "":
		var names []string
		cmd.Flags().VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
		cmd.InheritedFlags().VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
		if n, ok := nearest(unknown.GetSpecifiedName(), names); ok {
			return usageErr("unknown flag --%s; did you mean --%s?", unknown.GetSpecifiedName(), n)
		}
	case errors.As(err, &invalid):
		name, value := invalid.GetFlag().Name, invalid.GetValue()
		switch invalid.GetFlag().Value.Type() {
		case "duration":
			return usageErr("--%s %s: not a duration; write it like 30s, 5m or 1h30m", name, quoteBlank(value))
		case "bool":
			return usageErr("--%s=%s: write --%s alone (or --%s=false)", name, quoteBlank(value), name, name)
		}
	}
	return usageErr("%v", err)
}

// quoteBlank quotes a value that is empty or holds a space, so that it reads as one.
func quoteBlank(v string) string {
	if v == "" || strings.ContainsAny(v, " \t") {
		return strconv.Quote(v)
	}
	return v
}

// noArgs is the Args check of every command without positional arguments.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErr("%s takes no arguments, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}

var errAborted = &exitErr{code: ExitError, msg: "not confirmed: nothing was changed"}

// confirm asks on the terminal. want is the answer that confirms ("" means y or yes).
func (a *app) confirm(question, want string, yes bool) error {
	if yes {
		return nil
	}
	if !a.sys.StdinTTY {
		return usageErr("standard input is not a terminal, so nothing can be confirmed and nothing was changed; add --yes to confirm from a script")
	}
	if want == "" {
		fmt.Fprintf(a.sys.Stderr, "%s [y/N] ", question)
	} else {
		fmt.Fprintf(a.sys.Stderr, "%s\nType %s to confirm: ", question, termsafe.Escape(want)) // a flag key, from Redis
	}
	line, err := bufio.NewReader(a.sys.Stdin).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(a.sys.Stderr)
		return errAborted
	}
	ans := strings.TrimSpace(line)
	if want == "" {
		if a := strings.ToLower(ans); a == "y" || a == "yes" {
			return nil
		}
		return errAborted
	}
	if ans == want {
		return nil
	}
	return errAborted
}

// helpWidth is the width --help is wrapped at: a terminal's at its smallest.
const helpWidth = 80

func init() {
	cobra.AddTemplateFuncs(template.FuncMap{"reflow": reflow, "commandLine": commandLine, "hang": hang})
}

// helpTemplate and usageTemplate are cobra's, with the texts wrapped at helpWidth (the
// examples are left whole, to be copied). No command uses groups.
const helpTemplate = `{{with (or .Long .Short)}}{{reflow . | trimTrailingWhitespaces}}

{{end}}{{if or .Runnable .HasSubCommands}}{{.UsageString}}{{end}}`

const usageTemplate = `Usage:{{if .Runnable}}
{{hang .UseLine 2 6}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} [command]{{end}}{{if gt (len .Aliases) 0}}

Aliases:
  {{.NameAndAliases}}{{end}}{{if .HasExample}}

Examples:
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}

Available Commands:{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
{{commandLine .Name .NamePadding .Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

Flags:
{{.LocalFlags.FlagUsagesWrapped 80 | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableInheritedFlags}}

Global Flags:
{{.InheritedFlags.FlagUsagesWrapped 80 | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableSubCommands}}

{{hang (printf "Use \"%s [command] --help\" for more information about a command." .CommandPath) 0 0}}{{end}}
`

// reflow wraps each paragraph of a command's description at helpWidth; a paragraph with an
// indented line is laid out by hand and stays as it is.
func reflow(text string) string {
	paras := strings.Split(strings.TrimSpace(text), "\n\n")
	for i, p := range paras {
		if strings.Contains(p, "\n ") || strings.Contains(p, "\n\t") {
			continue
		}
		paras[i] = strings.Join(wrap(p, helpWidth), "\n")
	}
	return strings.Join(paras, "\n\n")
}

// hang is text wrapped at helpWidth, its first line indented by first, the others by rest.
func hang(text string, first, rest int) string {
	lines := wrap(text, helpWidth-rest)
	if len(lines) > 1 && first+len(lines[0]) > helpWidth {
		lines = wrap(text, helpWidth-max(first, rest))
	}
	for i := range lines {
		if i == 0 {
			lines[i] = strings.Repeat(" ", first) + lines[i]
		} else {
			lines[i] = strings.Repeat(" ", rest) + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}

// commandLine is a command in its parent's list: its name, padded, and its summary wrapped
// under itself.
func commandLine(name string, padding int, short string) string {
	indent := 2 + padding + 1
	text := hang(short, indent, indent)
	return "  " + fmt.Sprintf("%-*s", padding, name) + " " + text[indent:]
}
