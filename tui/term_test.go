package tui

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// renderedOutput runs the model under teatest with a terminal environment and returns what
// the program wrote to the terminal.
func renderedOutput(t *testing.T, env []string) []byte {
	t.Helper()
	u := newUnit(t, 80, 24, nil)
	// the test's output is no terminal: detect the profile as a terminal with this
	// environment would, as the program does at start
	tm := teatest.NewTestModel(t, u.m, teatest.WithInitialTermSize(80, 24),
		teatest.WithProgramOptions(tea.WithEnvironment(env), tea.WithColorProfile(colorprofile.Env(env))))
	var out bytes.Buffer
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		out.Write(b)
		return bytes.Contains(out.Bytes(), []byte("beta-dashboard"))
	}, teatest.WithDuration(5*time.Second))
	tm.Send(keyMsg("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	rest, _ := io.ReadAll(tm.FinalOutput(t))
	return append(out.Bytes(), rest...)
}

var (
	sgrColour   = regexp.MustCompile(`\x1b\[[0-9;]*(3[0-9]|4[0-9]|9[0-7]|10[0-7])(;[0-9;]*)?m`)
	sgrTrueCol  = regexp.MustCompile(`[34]8;2;`)
	sgr256      = regexp.MustCompile(`[34]8;5;`)
	sgrReverse  = regexp.MustCompile(`\x1b\[([0-9;]*;)?7(;[0-9;]*)?m`)
	sgrAnyColor = regexp.MustCompile(`[34]8;[25];`)
)

func TestNoColorKeepsStateReadable(t *testing.T) {
	out := renderedOutput(t, []string{"TERM=xterm-256color", "NO_COLOR=1"})
	if sgrAnyColor.Match(out) || sgrColour.Match(out) {
		t.Fatalf("NO_COLOR output has colour: %q", firstMatch(sgrColour, out))
	}
	if !sgrReverse.Match(out) {
		t.Fatal("the cursor row is not in reverse video under NO_COLOR")
	}
	for _, s := range []string{"> beta-dashboard", "OFF", "ON ", "DOWN"} {
		if !bytes.Contains(out, []byte(s)) {
			t.Fatalf("NO_COLOR output lacks %q", s)
		}
	}
}

func TestSSH256Colours(t *testing.T) {
	// SSH forwards TERM but not COLORTERM: 256 colours, never true colour
	out := renderedOutput(t, []string{"TERM=xterm-256color"})
	if !sgr256.Match(out) {
		t.Fatal("no 256-colour sequences with TERM=xterm-256color")
	}
	if sgrTrueCol.Match(out) {
		t.Fatal("true colour sent to a 256-colour terminal")
	}
	if bytes.Contains(out, []byte("\x1b[?1000h")) || bytes.Contains(out, []byte("\x1b[?1002h")) || bytes.Contains(out, []byte("\x1b[?1003h")) {
		t.Fatal("mouse reporting was turned on")
	}
}

func firstMatch(re *regexp.Regexp, b []byte) string {
	return string(re.Find(b))
}

func TestLogsGoToTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ui.log")
	l, closeLog, err := openLog(path)
	if err != nil {
		t.Fatal(err)
	}
	u := newUnit(t, 80, 24, func(c *Config) { c.Protected = []string{"none"} })
	u.m.withLogger(l)
	u.gotoFlag("beta-dashboard")
	u.key("space", "tab", "y")
	u.apply(u.key("enter"))
	closeLog()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "flag=beta-dashboard") {
		t.Fatalf("log lacks the toggle:\n%s", b)
	}
	if _, _, err := openLog(filepath.Join(t.TempDir(), "no", "such", "dir", "ui.log")); err == nil || !strings.Contains(err.Error(), "ui.log") {
		t.Fatalf("bad log path error: %v", err)
	}
	l2, c2, err := openLog("")
	if err != nil {
		t.Fatal(err)
	}
	defer c2()
	if _, ok := l2.Handler().(*slog.TextHandler); !ok {
		t.Fatal("empty log path should discard through a handler")
	}
}

func TestResizeKeepsCursorVisible(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	u.key("G")
	for _, size := range [][2]int{{80, 24}, {200, 60}, {81, 25}, {79, 23}, {120, 40}, {80, 24}} {
		u.m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		v := u.view()
		checkFrame(t, v, size[0], size[1])
		if size[0] >= minWidth && size[1] >= minHeight && !strings.Contains(v, "> use-fallback-cdn") {
			t.Fatalf("cursor row not visible at %dx%d:\n%s", size[0], size[1], v)
		}
	}
}
