package journal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeQueue writes relayCommander queue files in order, a little apart so their ctimes differ.
func writeQueue(t *testing.T, root string, contents ...string) string {
	t.Helper()
	todo := filepath.Join(root, "replay", "toDo")
	if err := os.MkdirAll(todo, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, c := range contents {
		// Names in reverse order: the order must come from the file time, not the name.
		name := filepath.Join(todo, string(rune('z'-i))+"-uuid.txt")
		if err := os.WriteFile(name, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return filepath.Join(root, "replay")
}

func TestReadRelayCommanderQueue(t *testing.T) {
	root := t.TempDir()
	dir := writeQueue(t, root,
		"rc update-ld-api -p shop -e prod -f checkout -s off", // host 1
		"rc update-ld-api -p shop -e prod -f checkout -s off", // host 2: same change
		"rc update-ld-api -p shop -e prod -f checkout -s on\n",
		"rc update-ld-api -p shop -e prod -f checkout -s on; rm -rf /",
		"rc update-ld-api -p shop -e prod -f $(reboot) -s on",
		"rc update-ld-api -p shop -e prod -f banner -s on\r\n",
		"rc update-ld-api -p shop -e prod -f banner -s on\nrc update-ld-api -p shop -e prod -f banner -s off",
		"",
		"rc update-ld-api -p shop -e staging -f banner -s on",
	)
	if err := os.Symlink("/etc/hostname", filepath.Join(dir, "toDo", "link.txt")); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, root} { // the replay directory or its parent
		changes, problems, err := ReadRelayCommanderQueue(d)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range changes {
			got = append(got, c.Prefix+" "+c.Flag+" "+map[bool]string{true: "on", false: "off"}[c.After])
			if c.BaseVersion != nil || c.Source != SourceRelayCommander || c.Before == c.After || c.Project != "shop" {
				t.Errorf("change %+v", c)
			}
		}
		want := "[ld:shop:prod checkout off ld:shop:prod checkout on ld:shop:staging banner on]"
		if s := "[" + strings.Join(got, " ") + "]"; s != want {
			t.Errorf("changes %s, want %s", s, want)
		}
		if len(problems) != 6 {
			t.Fatalf("%d problems, want 6: %+v", len(problems), problems)
		}
		for _, p := range problems {
			if p.File == "" || p.Reason == "" {
				t.Errorf("problem without file or reason: %+v", p)
			}
		}
	}
}

func TestReadRelayCommanderQueueMissing(t *testing.T) {
	if _, _, err := ReadRelayCommanderQueue(t.TempDir()); err == nil || !strings.Contains(err.Error(), "toDo") {
		t.Fatalf("err %v, want one naming toDo", err)
	}
}

func TestImport(t *testing.T) {
	root := t.TempDir()
	writeQueue(t, root,
		"rc update-ld-api -p shop -e prod -f checkout -s off",
		"rc update-ld-api -p shop -e prod -f checkout -s off",
		"rc update-ld-api -p shop -e prod -f banner -s on")
	changes, _, err := ReadRelayCommanderQueue(root)
	if err != nil {
		t.Fatal(err)
	}
	j := openTemp(t)
	rec, err := j.Import(changes)
	if err != nil || len(rec) != 2 || rec[0].ID == "" || rec[0].Operator == "" {
		t.Fatalf("import: %+v %v", rec, err)
	}
	again, err := j.Import(changes)
	if err != nil || len(again) != 0 {
		t.Fatalf("second import recorded %+v %v, want nothing", again, err)
	}
	p, err := j.Pending()
	if err != nil || len(p) != 2 {
		t.Fatalf("pending %+v %v", p, err)
	}
	for _, x := range p {
		if x.BaseVersion != nil || x.Project != "shop" || x.Environment != "prod" || !x.Entries[0].OutcomeKnown || x.NoNetEffect() {
			t.Errorf("imported pending %+v", x)
		}
	}
	if p[0].Flag != "checkout" || p[0].Desired || !p[0].BaseOn {
		t.Errorf("first pending %+v", p[0])
	}
}
