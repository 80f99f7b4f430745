package cli

import (
	json "github.com/goccy/go-json"
	"io"
	"time"
)

// writeJSON is every command's --json output on standard output, one document: indented
// for a terminal, compact (one line) for a program, where it mostly goes and where the
// indenting cost more than the read it reports (issue 14).
func (a *app) writeJSON(v any) error { return writeJSONFor(a.sys.Stdout, a.sys.StdoutTTY, v) }

// ms is a latency in JSON: milliseconds with microsecond precision.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// writeJSONFor is JSON indented for a terminal, compact (one line) for a program.
func writeJSONFor(w io.Writer, tty bool, v any) error {
	enc := json.NewEncoder(w)
	if tty {
		enc.SetIndent("", "  ")
	}
	return enc.Encode(v)
}
