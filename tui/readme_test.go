package tui

import (
	"reflect"

	"charm.land/bubbles/v2/key"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
)

// README.md shows the main screens as text captures. Each is a golden file of TestGolden,
// kept equal to it here so that the README never shows a stale screen: after changing a
// screen, `go test ./tui/ -run 'TestGolden|TestReadmeScreens' -update` rewrites both.

const readmePath = "../README.md"

// readmeScreen is a capture in the README: a marker naming the golden file, then a fenced
// block holding it.
var readmeScreen = regexp.MustCompile("(?s)<!-- screen: ([a-z0-9-]+x[0-9]+) -->\n```text\n(.*?)\n```")

// readmeScreens are the screens the README must show (issue 13, item 14).
var readmeScreens = []string{"flags-120x40", "confirm-protected-120x40", "results-120x40", "queue-120x40", "sync-plan-120x40"}

func TestReadmeScreensAreTheGoldens(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatalf("read %s: %v", readmePath, err)
	}
	readme := string(raw)
	update := flag.Lookup("update") != nil && flag.Lookup("update").Value.String() == "true"

	found := map[string]bool{}
	var problems []string
	out := readmeScreen.ReplaceAllStringFunc(readme, func(block string) string {
		m := readmeScreen.FindStringSubmatch(block)
		name, shown := m[1], m[2]
		found[name] = true
		want, err := os.ReadFile("testdata/TestGolden/" + name + ".golden")
		if err != nil {
			problems = append(problems, "README shows "+name+", which is no golden file: "+err.Error())
			return block
		}
		if shown == string(want) {
			return block
		}
		if !update {
			problems = append(problems, "README's "+name+" differs from testdata/TestGolden/"+name+".golden")
		}
		return "<!-- screen: " + name + " -->\n```text\n" + string(want) + "\n```"
	})
	for _, name := range readmeScreens {
		if !found[name] {
			problems = append(problems, "README lacks the screen "+name+" (a line <!-- screen: "+name+" --> before a ```text block)")
		}
	}
	if update && out != readme {
		if err := os.WriteFile(readmePath, []byte(out), 0o644); err != nil {
			t.Fatalf("write %s: %v", readmePath, err)
		}
	}
	if len(problems) > 0 {
		t.Fatalf("%s\nrun: go test ./tui/ -run 'TestGolden|TestReadmeScreens' -update", strings.Join(problems, "\n"))
	}
}

// TestReadmeKeyTableHasEveryKey checks that README's "Keys of the UI" names every key the
// footer and ? can show, so that the table a responder reads beforehand matches the screen.
func TestReadmeKeyTableHasEveryKey(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatalf("read %s: %v", readmePath, err)
	}
	section := string(raw)
	start := strings.Index(section, "## Keys of the UI")
	if start < 0 {
		t.Fatal(`README has no "## Keys of the UI" section`)
	}
	section = section[start+1:]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	lacks := map[string]string{} // key -> where it was offered
	check := func(b key.Binding, where string) {
		h := b.Help()
		keys := strings.Split(h.Key, "/") // "space/t": either key
		if h.Key == "/" {
			keys = []string{"/"}
		}
		for _, k := range keys {
			if !strings.Contains(section, "`"+k+"`") {
				lacks[k] = where + ": " + h.Desc
			}
		}
	}
	km := defaultKeyMap(false)
	v := reflect.ValueOf(km)
	for i := range v.NumField() {
		if !v.Type().Field(i).IsExported() {
			continue
		}
		if b, ok := v.Field(i).Interface().(key.Binding); ok {
			check(b, v.Type().Field(i).Name)
		}
	}
	// and the keys every screen and dialog of the golden files offers (some are made on
	// the spot, such as A disarm)
	for _, sc := range goldenScreens {
		u := newUnit(t, 120, 40, sc.mod)
		sc.setup(u)
		for _, group := range u.m.screenKeys().full {
			for _, b := range group {
				check(b, sc.name)
			}
		}
	}
	for k, where := range lacks {
		t.Errorf("README's key table lacks `%s` (%s)", k, where)
	}
}
