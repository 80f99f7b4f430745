package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"relaycommander/flags"
	"relaycommander/flags/redistest"
)

// --json is one compact line for a program, indented on a terminal.
func TestJSONCompactUnlessTerminal(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	args := []string{"flags", "-p", "web-store", "-e", "staging", "--json"}
	g := h.ok(args...)
	if strings.Count(g.stdout, "\n") != 1 || !strings.HasSuffix(g.stdout, "}\n") {
		t.Errorf("not one compact line when stdout is not a terminal:\n%.300s", g.stdout)
	}
	compact := decode[prefixFlagsJSON](t, g.stdout)
	// The same bytes as encoding/json writes (the output uses github.com/goccy/go-json).
	if std, err := json.Marshal(compact); err != nil || string(std)+"\n" != g.stdout {
		t.Errorf("the output differs from encoding/json's: %v\n%.300s\n%.300s", err, std, g.stdout)
	}
	h.tty = true
	g = h.ok(args...)
	if !strings.Contains(g.stdout, "\n  \"prefix\": ") {
		t.Errorf("not indented on a terminal:\n%.300s", g.stdout)
	}
	if indented := decode[prefixFlagsJSON](t, g.stdout); len(indented.Flags) != len(compact.Flags) || len(compact.Flags) == 0 {
		t.Errorf("compact %d flags, indented %d", len(compact.Flags), len(indented.Flags))
	}
}

// failingWriter takes limit bytes, then fails every write with err; offered is every byte it
// was asked to write, taken or not.
type failingWriter struct {
	limit       int
	err         error
	taken       int
	offered     bytes.Buffer
	failed      bool
	afterFailed int // writes asked for after the first failed one
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.failed {
		w.afterFailed++
	}
	w.offered.Write(p)
	if w.taken+len(p) > w.limit {
		n := w.limit - w.taken
		w.taken, w.failed = w.limit, true
		return n, w.err
	}
	w.taken += len(p)
	return len(p), nil
}

// manyFlags is a prefix of n flags on two hosts.
func manyFlags(n int) flags.FlagSet {
	one := 1
	set := flags.FlagSet{Prefix: "ld:big:prod", Hosts: []flags.HostStatus{{Host: "a", Up: true}, {Host: "b", Up: true}}}
	for i := range n {
		key := fmt.Sprintf("flag-%05d", i)
		hf := flags.HostFlag{Present: true, On: i%2 == 0, Version: i, Variations: 2, OffVariation: &one, Raw: key}
		a, b := hf, hf
		a.Host, b.Host = "a", "b"
		set.Flags = append(set.Flags, flags.Flag{Key: key, Hosts: []flags.HostFlag{a, b}})
	}
	return set
}

// Once a write fails, the JSON writer stops encoding: what it encodes beyond the flags it
// offered the writer is bounded by the parts its workers may hold ahead of the writer, on
// one CPU or several, whether the first write fails or one in the middle.
func TestFlagsJSONStopsEncodingAtAFailedWrite(t *testing.T) {
	const n = 20000
	set := manyFlags(n)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 4} {
		runtime.GOMAXPROCS(procs)
		for _, limit := range []int{0, 100, 1 << 20} {
			w := &failingWriter{limit: limit, err: errors.New("disk full")}
			o := newJSONOut(w, jsonPiece)
			writePrefixFlagsJSON(o, set, flags.Target{}, false)
			o.flush()
			if o.err != w.err {
				t.Fatalf("GOMAXPROCS %d, failing after %d bytes: error %v, want the writer's", procs, limit, o.err)
			}
			offered := strings.Count(w.offered.String(), `{"key":`)
			ahead := 0
			if procs > 1 {
				ahead = (2*procs + 1) * jsonFlagsPerPart
			}
			if o.flagsEncoded > offered+ahead || offered == n {
				t.Errorf("GOMAXPROCS %d, failing after %d bytes: %d of %d flags encoded, %d of them offered to the writer; want at most %d more than offered",
					procs, limit, o.flagsEncoded, n, offered, ahead)
			}
			if w.afterFailed > 0 {
				t.Errorf("GOMAXPROCS %d, failing after %d bytes: %d writes after the failed one", procs, limit, w.afterFailed)
			}
		}
	}
}

// flags --json into a reader that went away (| head) ends quietly with exit 1; any other
// failed write is reported naming standard output; either way nothing more is written.
func TestFlagsJSONIntoAClosedOrFullStdout(t *testing.T) {
	h := newHarness(t)
	srv := redistest.Start(t)
	loadBenchFlags(t, srv, 3000, nil)
	h.env["RC_REDIS_HOSTS"] = srv.Addr
	enospc := &fs.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.ENOSPC}
	for _, tc := range []struct {
		name   string
		err    error
		stderr string
	}{
		{"io.Pipe closed by its reader", io.ErrClosedPipe, ""},
		{"EPIPE", &fs.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.EPIPE}, ""},
		{"disk full", enospc, "relaycommander: cannot write standard output (write /dev/stdout: no space left on device): " +
			"the output is incomplete; make room where it goes, or send it elsewhere, and run the command again\n"},
	} {
		for _, args := range [][]string{
			{"flags", "--prefix", benchPrefix, "--json"},
			{"flags", "--prefix", benchPrefix},
			{"flags", "--json"},
		} {
			w := &failingWriter{limit: 20, err: tc.err}
			h.stdout = w
			g := h.run("", false, args...)
			if g.code != ExitError || g.stderr != tc.stderr {
				t.Errorf("%s: relaycommander %s: exit %d, stderr %q; want exit %d, stderr %q", tc.name, strings.Join(args, " "), g.code, g.stderr, ExitError, tc.stderr)
			}
			if w.afterFailed > 0 {
				t.Errorf("%s: relaycommander %s: %d writes after the failed one", tc.name, strings.Join(args, " "), w.afterFailed)
			}
		}
	}
}
