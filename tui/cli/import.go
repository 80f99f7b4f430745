package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"relaycommander/flags"
	"relaycommander/journal"
)

// importOptions are the import-relaycommander command's argument and flags.
type importOptions struct {
	app  *app
	dir  string // relayCommander's replay/ directory, or its parent
	json bool
}

// importJSON is import-relaycommander --json.
type importJSON struct {
	Journal  string                  `json:"journal"`
	Read     int                     `json:"read"`
	Recorded []journal.Change        `json:"recorded"`
	Skipped  []journal.ImportProblem `json:"skipped"`
}

func newImportCmd(a *app) *cobra.Command {
	opts := &importOptions{app: a}
	cmd := &cobra.Command{
		Use:   "import-relaycommander DIR",
		Short: "Bring an original relayCommander replay/ queue into the journal",
		Long: `Reads relayCommander's queue (DIR/toDo/*.txt, or DIR/replay/toDo/*.txt) in file-time order,
collapses the per-host duplicates, and records each change in the journal with an unknown base
version, so that 'relaycommander replay' sends it. Nothing read is executed; lines that are not
exactly "rc update-ld-api -p P -e E -f F -s on|off" are reported and skipped. The files are left
in place; importing the same queue twice records it once.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErr("import-relaycommander needs exactly one directory: the replay/ directory of relayCommander (or its parent)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.dir = args[0]
			return runImport(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.json, "json", false, "print JSON")
	return cmd
}

// runImport records relayCommander's queued changes in the journal.
func runImport(opts *importOptions) error {
	a := opts.app
	cfg, err := a.config()
	if err != nil {
		return err
	}
	if err := a.refuseWrites("import-relaycommander"); err != nil {
		return err
	}
	dir := a.abs(opts.dir)
	changes, problems, err := journal.ReadRelayCommanderQueue(dir)
	if err != nil {
		return err
	}
	j, err := a.openJournal()
	if err != nil {
		return err
	}
	for i, c := range changes {
		if c.Operator == "" {
			changes[i].Operator = cfg.Operator
		}
		// relayCommander assumed ld:{project}:{env}; a configured mapping knows better.
		if ps := cfg.PrefixesOf(flags.Target{Project: c.Project, Environment: c.Environment}); len(ps) == 1 {
			changes[i].Prefix = ps[0]
		}
	}
	recorded, err := j.Import(changes)
	if err != nil {
		return err
	}
	if opts.json {
		out := importJSON{j.Dir(), len(changes), recorded, problems}
		if out.Recorded == nil {
			out.Recorded = []journal.Change{}
		}
		if out.Skipped == nil {
			out.Skipped = []journal.ImportProblem{}
		}
		if err := a.writeJSON(out); err != nil {
			return err
		}
	} else {
		out := a.sys.Stdout
		for _, c := range recorded {
			tprintf(out, "imported %s/%s %s -> %s (change %s)\n", c.Project, c.Environment, c.Flag, flags.OnOff(c.After), c.ID)
		}
		if already := len(changes) - len(recorded); already > 0 {
			tprintf(out, "%s imported before and not recorded again.\n", count(already, "change was", "changes were"))
		}
		tprintf(out, "Imported %s from %s into the journal %s.\n", count(len(recorded), "change", "changes"), dir, j.Dir())
		if len(recorded) > 0 {
			fmt.Fprintln(out, "Their base version is unknown, so replay cannot detect conflicts for them: check with relaycommander replay --dry-run.")
		}
	}
	for _, p := range problems {
		tprintf(a.sys.Stderr, "skipped %s: %s (%q)\n", p.File, p.Reason, p.Line)
	}
	if len(problems) > 0 {
		return &exitErr{code: ExitPartial, msg: count(len(problems),
			"queue file was skipped, listed above; nothing in it was executed. Redo it by hand with relaycommander update if it matters",
			"queue files were skipped, listed above; nothing in them was executed. Redo them by hand with relaycommander update if they matter")}
	}
	return nil
}
