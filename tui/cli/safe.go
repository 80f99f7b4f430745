package cli

import (
	"fmt"
	"io"

	"relaycommander/tui/termsafe"
)

// Text output prints data read from Redis, the journal, LaunchDarkly or a Relay (flag keys,
// prefixes, reasons, operator names, host names, error texts that echo them). Anyone who
// can write the store or the journal could put terminal control sequences there, so that
// data enters the text through these helpers: every string, error and Stringer argument is
// passed through termsafe.Escape, the format (ours) is not. --json output does not use them:
// JSON escapes control characters itself.

// tprintf is fmt.Fprintf with every data argument escaped for the terminal.
func tprintf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, format, safeArgs(args)...)
}

// tsprintf is fmt.Sprintf with every data argument escaped for the terminal.
func tsprintf(format string, args ...any) string {
	return fmt.Sprintf(format, safeArgs(args)...)
}

// safeArgs escapes the arguments that may hold data: strings, errors, Stringers, string lists.
func safeArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			out[i] = termsafe.Escape(v)
		case error:
			out[i] = termsafe.Escape(v.Error())
		case fmt.Stringer:
			out[i] = termsafe.Escape(v.String())
		case []string:
			s := make([]string, len(v))
			for j, x := range v {
				s[j] = termsafe.Escape(x)
			}
			out[i] = s
		default:
			out[i] = a
		}
	}
	return out
}
