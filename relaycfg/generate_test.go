package relaycfg

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/gcfg.v1"

	"relaycommander/flags"
	"relaycommander/ldsync"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// awkward is a set of projects whose names have spaces, quotes, backslashes, tabs, unicode,
// a leading digit, and names that collide before and after reduction to variable names.
func awkward() []ProjectEnvironments {
	env := func(proj, key, name string) ldsync.Environment {
		return ldsync.Environment{Key: key, Name: name, SDKKey: "sdk-" + proj + "-" + key,
			MobileKey: "mob-" + proj + "-" + key, ClientSideID: "csid-" + proj + "-" + key}
	}
	return []ProjectEnvironments{
		{Project: ldsync.Project{Key: "web-store", Name: "Web Store"}, Environments: []ldsync.Environment{
			env("web-store", "staging", "Staging"), env("web-store", "production", "Production"),
		}},
		// Same readable name as web-store's production: the section needs the keys.
		{Project: ldsync.Project{Key: "web-store-2", Name: "Web Store"}, Environments: []ldsync.Environment{
			{Key: "production", Name: "Production", SDKKey: "sdk-ws2-prod"}, // no mobile key, no client-side id
		}},
		// Distinct section name, same variable name as web-store's production.
		{Project: ldsync.Project{Key: "web_store", Name: "Web-Store"}, Environments: []ldsync.Environment{
			env("web_store", "production", "Production"),
		}},
		{Project: ldsync.Project{Key: "quotes", Name: `Ops "Blue" \ Green`}, Environments: []ldsync.Environment{
			env("quotes", "prod", "Prod\tEU\n"),
			env("quotes", "cafe", "Café ☕ Préprod"),
		}},
		{Project: ldsync.Project{Key: "tokyo", Name: "東京"}, Environments: []ldsync.Environment{
			env("tokyo", "honban", "本番"),
		}},
		{Project: ldsync.Project{Key: "9lives", Name: "9 Lives"}, Environments: []ldsync.Environment{
			env("9lives", "test", ""), // no name: the key stands in
		}},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./relaycfg -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (rerun with -update if the change is intended):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestGoldenINI(t *testing.T) {
	out, notes, err := INI(awkward(), Options{RedisURL: "redis://redis-a.internal:6379", RedisTLS: true, RedisUsername: "relay"})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "awkward.ini.golden", out)
	if len(notes) != 2 {
		t.Errorf("want 2 notes (the two Web Store - Production sections), got %q", notes)
	}
	// Deterministic: the input order does not matter.
	rev := awkward()
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	again, _, err := INI(rev, Options{RedisURL: "redis://redis-a.internal:6379", RedisTLS: true, RedisUsername: "relay"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, again) {
		t.Error("output depends on the order of the projects")
	}
}

func TestGoldenEnv(t *testing.T) {
	out, notes, err := Env(awkward(), Options{RedisHost: "redis-a.internal", RedisPort: 6380, LocalTTL: TTL(5 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "awkward.env.golden", out)
	// web-store, web-store-2 and web_store production all reduce to Web_Store_Production.
	if len(notes) != 3 {
		t.Errorf("want 3 collision notes, got %q", notes)
	}
	for _, n := range notes {
		if !strings.Contains(n, "Web_Store_Production") {
			t.Errorf("note %q does not name the colliding variable name", n)
		}
	}
	vars, _, err := parseEnv(out)
	if err != nil {
		t.Fatal(err)
	}
	for name := range vars {
		if !validVarName(name) {
			t.Errorf("%q is not a valid variable name", name)
		}
	}
	for _, want := range []string{"LD_ENV_Ops_Blue_Green_Cafe_Preprod", "LD_ENV_tokyo_honban", "LD_ENV__9_Lives_test"} {
		if _, ok := vars[want]; !ok {
			t.Errorf("missing %s", want)
		}
	}
}

// relayShape mirrors the fields of Relay's own config struct that the generator writes, with
// Relay's types where gcfg can read them; strict parsing (no FatalOnly) fails on any key
// Relay would not know.
type relayShape struct {
	Main struct {
		Port int
	}
	Redis struct {
		Host     string
		Port     int
		URL      string
		LocalTTL string
		TLS      bool
		Username string
		Password string
	}
	Environment map[string]*struct {
		SDKKey    string
		MobileKey string
		EnvID     string
		ProjKey   string
		Prefix    string
	}
}

func TestINIParsesBackWithGcfg(t *testing.T) {
	projects := awkward()
	out, _, err := INI(projects, Options{Port: 8040, RedisURL: "rediss://r.internal:6380", RedisUsername: "we\"ird\\user\ttab", LocalTTL: TTL(0)})
	if err != nil {
		t.Fatal(err)
	}
	var got relayShape
	if err := gcfg.ReadStringInto(&got, string(out)); err != nil {
		t.Fatalf("gcfg rejects the generated file: %v\n%s", err, out)
	}
	if got.Main.Port != 8040 || got.Redis.URL != "rediss://r.internal:6380" || got.Redis.Username != "we\"ird\\user\ttab" ||
		got.Redis.LocalTTL != "0s" || got.Redis.Password != "" || got.Redis.Host != "" || got.Redis.Port != 0 {
		t.Errorf("main/redis read back as %+v %+v", got.Main, got.Redis)
	}
	if d, err := time.ParseDuration(got.Redis.LocalTTL); err != nil || d != 0 {
		t.Errorf("localTtl %q: %v", got.Redis.LocalTTL, err)
	}
	n := 0
	prefixes := map[string]bool{}
	for _, p := range projects {
		for _, e := range p.Environments {
			n++
			var sec *struct{ SDKKey, MobileKey, EnvID, ProjKey, Prefix string }
			for _, s := range got.Environment {
				if s.SDKKey == e.SDKKey {
					sec = (*struct{ SDKKey, MobileKey, EnvID, ProjKey, Prefix string })(s)
				}
			}
			if sec == nil {
				t.Errorf("%s/%s: no section with its SDK key", p.Project.Key, e.Key)
				continue
			}
			want := flags.ConventionPrefix(p.Project.Key, e.Key)
			if sec.MobileKey != e.MobileKey || sec.EnvID != e.ClientSideID || sec.ProjKey != p.Project.Key || sec.Prefix != want {
				t.Errorf("%s/%s: section %+v, want mobile %q id %q proj %q prefix %q", p.Project.Key, e.Key, *sec, e.MobileKey, e.ClientSideID, p.Project.Key, want)
			}
			prefixes[sec.Prefix] = true
		}
	}
	if len(got.Environment) != n || len(prefixes) != n {
		t.Errorf("%d sections, %d distinct prefixes for %d environments", len(got.Environment), len(prefixes), n)
	}
	for name := range got.Environment {
		if strings.ContainsAny(name, "\t\n") {
			t.Errorf("section name %q holds a control character", name)
		}
	}
	if _, ok := got.Environment[`Ops "Blue" \ Green - Prod EU`]; !ok {
		t.Errorf("quotes and backslash not preserved in the section names: %v", keys(got.Environment))
	}
	if _, ok := got.Environment["Web Store - Production (web-store-2/production)"]; !ok {
		t.Errorf("colliding section not disambiguated with keys: %v", keys(got.Environment))
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestINIHeaderAndPassword(t *testing.T) {
	out, _, err := INI(awkward(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{"contains SDK keys", "REDIS_PASSWORD", "--from-env", `url = "redis://localhost:6379"`, "localTtl = 30s", "port = 8030"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(strings.ToLower(s), "password =") {
		t.Error("a password key is written")
	}
	env, _, err := Env(awkward(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(env), "contains SDK keys") || strings.Contains(string(env), "REDIS_PASSWORD=") {
		t.Errorf("env header wrong or password written:\n%s", env)
	}
}

func TestOptionsRefused(t *testing.T) {
	neg := -time.Second
	cases := []struct {
		name string
		opts Options
		want []string
	}{
		{"negative ttl", Options{LocalTTL: &neg}, []string{"negative", "forever", "restarted"}},
		{"password in url", Options{RedisURL: "redis://u:secret@h:6379"}, []string{"password", "REDIS_PASSWORD"}},
		{"url and host", Options{RedisURL: "redis://h:6379", RedisHost: "h"}, []string{"not both"}},
		{"bad scheme", Options{RedisURL: "http://h"}, []string{"redis://"}},
		{"unparsable url with password", Options{RedisURL: "redis://u:secret@h:port"}, []string{"not a valid URL"}},
		{"bad port", Options{Port: 70000}, []string{"70000"}},
	}
	for _, c := range cases {
		for _, gen := range []func([]ProjectEnvironments, Options) ([]byte, []string, error){INI, Env} {
			_, _, err := gen(awkward(), c.opts)
			if err == nil {
				t.Errorf("%s: accepted", c.name)
				continue
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s: error %q lacks %q", c.name, err, w)
				}
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("%s: error shows the password: %v", c.name, err)
			}
		}
	}
	if _, _, err := INI(nil, Options{}); err == nil {
		t.Error("no projects accepted")
	}
	bad := []ProjectEnvironments{{Project: ldsync.Project{Key: "p"}, Environments: []ldsync.Environment{{Key: "e"}}}}
	if _, _, err := INI(bad, Options{}); err == nil || !strings.Contains(err.Error(), `"e"`) {
		t.Errorf("missing SDK key: %v", err)
	}
	cr := []ProjectEnvironments{{Project: ldsync.Project{Key: "p"}, Environments: []ldsync.Environment{{Key: "e", SDKKey: "sdk\r"}}}}
	if _, _, err := INI(cr, Options{}); err == nil {
		t.Error("carriage return in a value accepted")
	}
}

func TestHostPortAndZeroTTL(t *testing.T) {
	out, _, err := INI(awkward(), Options{RedisHost: "10.0.0.5", RedisPort: 6390, RedisTLS: true, LocalTTL: TTL(0)})
	if err != nil {
		t.Fatal(err)
	}
	var got relayShape
	if err := gcfg.ReadStringInto(&got, string(out)); err != nil {
		t.Fatal(err)
	}
	if got.Redis.Host != "10.0.0.5" || got.Redis.Port != 6390 || !got.Redis.TLS || got.Redis.URL != "" || got.Redis.LocalTTL != "0s" {
		t.Errorf("redis read back as %+v", got.Redis)
	}
}

func TestEnvVarName(t *testing.T) {
	for in, want := range map[string]string{
		"Web Store - Production": "Web_Store_Production",
		"  a--b  ":               "a_b",
		"Café":                   "Cafe",
		"本番":                     "",
		"2024 Q1":                "_2024_Q1",
		"snake_case":             "snake_case",
		`"quoted"\x`:             "quoted_x",
	} {
		if got := EnvVarName(in); got != want {
			t.Errorf("EnvVarName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHostWithPort(t *testing.T) {
	out, _, err := INI(awkward(), Options{RedisHost: "redis.internal:6390"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "host = \"redis.internal\"\nport = 6390\n") {
		t.Errorf("host:port not split:\n%s", out)
	}
	if _, _, err := INI(awkward(), Options{RedisHost: "h:x"}); err == nil {
		t.Error("bad port in host accepted")
	}
}

// Variable names that differ only in case collide too (Windows, some tools).
func TestEnvNamesFoldCase(t *testing.T) {
	projects := []ProjectEnvironments{{Project: ldsync.Project{Key: "p", Name: "P"}, Environments: []ldsync.Environment{
		{Key: "qa", Name: "QA", SDKKey: "sdk-1"}, {Key: "qa2", Name: "Qa", SDKKey: "sdk-2"},
	}}}
	out, notes, err := Env(projects, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 2 || !strings.Contains(string(out), "LD_ENV_P_QA_p_qa=sdk-1") || !strings.Contains(string(out), "LD_ENV_P_Qa_p_qa2=sdk-2") {
		t.Errorf("notes %q\n%s", notes, out)
	}
}

// Whatever LaunchDarkly calls a project or environment, the file parses in Relay's dialect and
// the section and variable names come back as written.
func FuzzNames(f *testing.F) {
	for _, s := range []string{"Web Store", `a "b" \c`, "tab\there", "new\nline", "\x00nul", "東京", "#;[]=", "\xff\xfe", " ", "9"} {
		f.Add(s, s+" env")
	}
	f.Fuzz(func(t *testing.T, pname, ename string) {
		projects := []ProjectEnvironments{{Project: ldsync.Project{Key: "p", Name: pname}, Environments: []ldsync.Environment{
			{Key: "e", Name: ename, SDKKey: "sdk-1"}, {Key: "e2", Name: ename, SDKKey: "sdk-2"},
		}}}
		out, _, err := INI(projects, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var got relayShape
		if err := gcfg.ReadStringInto(&got, string(out)); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if len(got.Environment) != 2 {
			t.Fatalf("%d sections:\n%s", len(got.Environment), out)
		}
		want := displayName(pname, "p") + " - " + displayName(ename, "e")
		if displayName(ename, "e") == displayName(ename, "e2") {
			want += " (p/e)" // both environments have the same name
		}
		if s, ok := got.Environment[want]; !ok || s.SDKKey != "sdk-1" {
			t.Errorf("section %q missing or wrong: %v", want, keys(got.Environment))
		}
		env, _, err := Env(projects, Options{})
		if err != nil {
			t.Fatal(err)
		}
		vars, _, err := parseEnv(env)
		if err != nil {
			t.Fatalf("%v\n%s", err, env)
		}
		n := 0
		for name := range vars {
			if strings.HasPrefix(name, "LD_ENV_") {
				n++
			}
		}
		if n != 2 {
			t.Errorf("%d LD_ENV_ variables:\n%s", n, env)
		}
	})
}
