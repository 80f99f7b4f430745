package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	json "github.com/goccy/go-json"
)

// writeJSON is every command's --json output on standard output, one document: indented
// for a terminal, compact (one line) for a program, where it mostly goes and where the
// indenting cost more than the read it reports (issue 14).
func (a *app) writeJSON(v any) error { return writeJSONFor(a.sys.Stdout, a.sys.StdoutTTY, v) }

// stdout is standard output as the commands see it. After the first failed write it writes
// nothing more, so that a command stops producing output no one reads, and Run reports
// that failure whatever the command did with the error (a table's writer drops it).
type stdout struct {
	w   io.Writer
	mu  sync.Mutex
	err error
}

func (s *stdout) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	s.err = err
	return n, err
}

func (s *stdout) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// readerGone says a write failed because the reader closed its end (| head): the command
// then ends quietly, as other Unix tools do.
func readerGone(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrClosedPipe)
}

// stdoutFailed is the error of a command whose output could not be written: exit 1 either
// way (the output is incomplete), without a word when the reader went away.
func stdoutFailed(err error) error {
	if readerGone(err) {
		return &exitErr{code: ExitError}
	}
	return &exitErr{code: ExitError, msg: fmt.Sprintf("cannot write standard output (%v): the output is incomplete; "+
		"make room where it goes, or send it elsewhere, and run the command again", err)}
}

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

// writeStreamedJSON writes one compact JSON document that write builds with the append
// functions below, in pieces as it goes, or indented as a whole for a terminal, as
// writeJSON would.
func (a *app) writeStreamedJSON(write func(o *jsonOut)) error {
	if !a.sys.StdoutTTY {
		o := newJSONOut(a.sys.Stdout, jsonPiece)
		write(o)
		o.b = append(o.b, '\n')
		o.flush()
		return o.err
	}
	var doc, ind bytes.Buffer
	o := newJSONOut(&doc, jsonPiece)
	write(o)
	o.flush()
	if err := json.Indent(&ind, doc.Bytes(), "", "  "); err != nil {
		return err
	}
	ind.WriteByte('\n')
	_, err := a.sys.Stdout.Write(ind.Bytes())
	return err
}

// jsonPiece is how much JSON jsonOut gathers before writing it: a whole prefix is
// megabytes, and holding all of it only to copy it out costs time and memory.
const jsonPiece = 32 << 10

// jsonOut is a JSON document on its way to w: the append functions add to b, and piece
// writes b out once it holds at least piece bytes. The first write error stays in err.
type jsonOut struct {
	w     io.Writer
	b     []byte
	piece int
	err   error

	flagsEncoded int // by writeFlagsJSON: the tests' measure of the work done after a failed write
}

func newJSONOut(w io.Writer, piece int) *jsonOut {
	return &jsonOut{w: w, b: make([]byte, 0, piece+piece/2), piece: piece}
}

// maybeFlush writes b out when it holds a piece.
func (o *jsonOut) maybeFlush() {
	if len(o.b) >= o.piece {
		o.flush()
	}
}

func (o *jsonOut) flush() {
	if o.err == nil && len(o.b) > 0 {
		_, o.err = o.w.Write(o.b)
	}
	o.b = o.b[:0]
}

// The append functions write JSON values byte for byte as encoding/json does (HTML
// characters, U+2028 and U+2029 escaped, invalid UTF-8 as U+FFFD), for output too big to
// go through reflection (flags --json of a whole prefix, issue 14).

const hexDigits = "0123456789abcdef"

// jsonPlain marks the ASCII bytes a JSON string holds as they are.
var jsonPlain = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonPlain[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default: // other control characters and <, >, &
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendJSONFloat is a float64 as encoding/json spells it: the shortest form, with an
// exponent only below 1e-6 or from 1e21.
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

func appendJSONBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}
