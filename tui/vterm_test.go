package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// vterm is a small terminal emulator for the flows: it applies the program's output stream
// (what teatest's Output gives) to a grid of cells, so that a flow reads the whole screen as
// the operator sees it, not the renderer's partial updates. It knows the sequences Bubble
// Tea's renderer writes: text, cursor movement, erasing, inserting and deleting characters
// and lines, scroll regions and scrolling. Styles are ignored.
type vterm struct {
	w, h     int
	rows     [][]string // a cell is a grapheme, " " when blank, "" behind a wide one
	x, y     int
	top, bot int // scroll region, inclusive
	sx, sy   int // saved cursor
	last     string
	state    byte
	p        *ansi.Parser
	pending  []byte // an incomplete sequence at the end of the stream so far
	pendWrap bool   // the cursor is past the last column: the next grapheme wraps
	noWrap   bool   // autowrap (DECAWM) is off: text stops at the last column
}

func newVterm(w, h int) *vterm {
	t := &vterm{w: w, h: h, p: ansi.NewParser()}
	t.rows = make([][]string, h)
	for i := range t.rows {
		t.rows[i] = t.blankRow()
	}
	t.bot = h - 1
	return t
}

func (t *vterm) blankRow() []string {
	r := make([]string, t.w)
	for i := range r {
		r[i] = " "
	}
	return r
}

// screen is the grid as text, one line a row, trailing blanks trimmed.
func (t *vterm) screen() string {
	lines := make([]string, t.h)
	for i, r := range t.rows {
		lines[i] = strings.TrimRight(strings.Join(r, ""), " ")
	}
	return strings.Join(lines, "\n")
}

// write applies output bytes.
func (t *vterm) write(b []byte) {
	data := append(t.pending, b...)
	t.pending = nil
	for len(data) > 0 {
		seq, width, n, st := ansi.DecodeSequence(data, t.state, t.p)
		if n == len(data) && st != ansi.NormalState {
			t.pending = append([]byte(nil), data...) // wait for the rest of the sequence
			return
		}
		t.state = st
		data = data[n:]
		if st != ansi.NormalState {
			continue
		}
		t.apply(seq, width)
	}
}

func (t *vterm) apply(seq []byte, width int) {
	switch {
	case width > 0:
		t.print(string(seq), width)
	case len(seq) == 1:
		switch seq[0] {
		case '\r':
			t.x, t.pendWrap = 0, false
		case '\n', '\v', '\f':
			// without a tty (teatest) the renderer expects the terminal to map a newline
			// to carriage return and newline, as a cooked tty does
			t.x, t.pendWrap = 0, false
			t.lineFeed()
		case '\b':
			t.x, t.pendWrap = max(0, t.x-1), false
		case '\t':
			t.x = min(t.w-1, (t.x/8+1)*8)
		}
	case ansi.HasCsiPrefix(seq):
		t.csi()
	case ansi.HasEscPrefix(seq) && len(seq) == 2:
		switch seq[1] {
		case 'M': // reverse index
			if t.y == t.top {
				t.scrollDown(1)
			} else {
				t.y = max(0, t.y-1)
			}
		case 'D':
			t.lineFeed()
		case 'E':
			t.x = 0
			t.lineFeed()
		case '7':
			t.sx, t.sy = t.x, t.y
		case '8':
			t.x, t.y = t.sx, t.sy
		}
	}
}

func (t *vterm) print(g string, width int) {
	if t.pendWrap && !t.noWrap {
		t.x, t.pendWrap = 0, false
		t.lineFeed()
	}
	t.pendWrap = false
	if t.x+width > t.w {
		if t.noWrap {
			return
		}
		t.x = 0
		t.lineFeed()
	}
	row := t.rows[t.y]
	row[t.x] = g
	for i := 1; i < width && t.x+i < t.w; i++ {
		row[t.x+i] = ""
	}
	t.last = g
	t.x += width
	if t.x >= t.w {
		t.x, t.pendWrap = t.w-1, true
	}
}

func (t *vterm) lineFeed() {
	if t.y == t.bot {
		t.scrollUp(1)
		return
	}
	t.y = min(t.h-1, t.y+1)
}

func (t *vterm) scrollUp(n int) {
	for range n {
		copy(t.rows[t.top:t.bot+1], t.rows[t.top+1:t.bot+1])
		t.rows[t.bot] = t.blankRow()
	}
}

func (t *vterm) scrollDown(n int) {
	for range n {
		copy(t.rows[t.top+1:t.bot+1], t.rows[t.top:t.bot])
		t.rows[t.top] = t.blankRow()
	}
}

func (t *vterm) csi() {
	cmd := ansi.Cmd(t.p.Command())
	params := t.p.Params()
	if cmd.Prefix() == '?' && (cmd.Final() == 'h' || cmd.Final() == 'l') {
		params.ForEach(0, func(_, p int, _ bool) {
			if p == 7 {
				t.noWrap = cmd.Final() == 'l'
			}
		})
		return
	}
	if cmd.Prefix() != 0 || cmd.Intermediate() != 0 {
		return // other modes and private sequences draw nothing
	}
	arg := func(i, def int) int {
		v, _, ok := params.Param(i, def)
		if !ok {
			return def
		}
		return v
	}
	n := max(arg(0, 1), 1)
	t.pendWrap = false
	switch cmd.Final() {
	case 'A':
		t.y = max(0, t.y-n)
	case 'B':
		t.y = min(t.h-1, t.y+n)
	case 'C':
		t.x = min(t.w-1, t.x+n)
	case 'D':
		t.x = max(0, t.x-n)
	case 'E':
		t.x, t.y = 0, min(t.h-1, t.y+n)
	case 'F':
		t.x, t.y = 0, max(0, t.y-n)
	case 'G', '`':
		t.x = min(t.w-1, n-1)
	case 'd':
		t.y = min(t.h-1, n-1)
	case 'H', 'f':
		t.y = min(t.h-1, max(arg(0, 1), 1)-1)
		t.x = min(t.w-1, max(arg(1, 1), 1)-1)
	case 'I':
		for range n {
			t.x = min(t.w-1, (t.x/8+1)*8)
		}
	case 'Z':
		for range n {
			t.x = max(0, (t.x-1)/8*8)
		}
	case 'K':
		row := t.rows[t.y]
		from, to := t.x, t.w
		switch arg(0, 0) {
		case 1:
			from, to = 0, t.x+1
		case 2:
			from, to = 0, t.w
		}
		for i := from; i < to && i < t.w; i++ {
			row[i] = " "
		}
	case 'J':
		switch arg(0, 0) {
		case 0:
			for i := t.x; i < t.w; i++ {
				t.rows[t.y][i] = " "
			}
			for y := t.y + 1; y < t.h; y++ {
				t.rows[y] = t.blankRow()
			}
		case 1:
			for y := 0; y < t.y; y++ {
				t.rows[y] = t.blankRow()
			}
			for i := 0; i <= t.x && i < t.w; i++ {
				t.rows[t.y][i] = " "
			}
		default:
			for y := range t.rows {
				t.rows[y] = t.blankRow()
			}
		}
	case 'X':
		for i := t.x; i < t.x+n && i < t.w; i++ {
			t.rows[t.y][i] = " "
		}
	case '@':
		row := t.rows[t.y]
		n = min(n, t.w-t.x)
		copy(row[t.x+n:], row[t.x:t.w-n])
		for i := t.x; i < t.x+n; i++ {
			row[i] = " "
		}
	case 'P':
		row := t.rows[t.y]
		n = min(n, t.w-t.x)
		copy(row[t.x:], row[t.x+n:])
		for i := t.w - n; i < t.w; i++ {
			row[i] = " "
		}
	case 'b':
		for range n {
			t.print(t.last, max(ansi.StringWidth(t.last), 1))
		}
	case 'L', 'M':
		if t.y < t.top || t.y > t.bot {
			return
		}
		top := t.top
		t.top = t.y
		if cmd.Final() == 'L' {
			t.scrollDown(n)
		} else {
			t.scrollUp(n)
		}
		t.top = top
		t.x = 0
	case 'S':
		t.scrollUp(n)
	case 'T':
		t.scrollDown(n)
	case 'r':
		t.top = max(arg(0, 1), 1) - 1
		t.bot = min(t.h, arg(1, t.h)) - 1
		if t.bot <= t.top {
			t.top, t.bot = 0, t.h-1
		}
		t.x, t.y = 0, 0
	case 's':
		t.sx, t.sy = t.x, t.y
	case 'u':
		t.x, t.y = t.sx, t.sy
	}
}
