package relaycfg

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"relaycommander/flags"
)

func writeTemp(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// expected lists what ReadFile/ReadEnvFile should give back for the generated projects,
// keyed by SDK key (names differ between the two forms).
func expected(projects []ProjectEnvironments) map[string]Environment {
	out := map[string]Environment{}
	for _, p := range projects {
		for _, e := range p.Environments {
			out[e.SDKKey] = Environment{SDKKey: e.SDKKey, MobileKey: e.MobileKey, EnvID: e.ClientSideID,
				ProjKey: p.Project.Key, Prefix: flags.ConventionPrefix(p.Project.Key, e.Key)}
		}
	}
	return out
}

func TestRoundTripINI(t *testing.T) {
	projects := awkward()
	out, _, err := INI(projects, Options{Port: 9000, RedisURL: "redis://r:6379", RedisTLS: true, RedisUsername: "relay", LocalTTL: TTL(10 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ld-relay.conf")
	if err := WriteFile(path, out, false); err != nil {
		t.Fatal(err)
	}
	cfg, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 9000 || !cfg.Redis.Enabled || cfg.Redis.URL != "redis://r:6379" || !cfg.Redis.TLS ||
		cfg.Redis.Username != "relay" || cfg.Redis.Password != "" || !cfg.LocalTTLSet || cfg.LocalTTL != 10*time.Second {
		t.Errorf("read back %+v", cfg)
	}
	checkEnvs(t, cfg, projects)
	// Names are the section names, readable.
	var names []string
	for _, e := range cfg.Environments {
		names = append(names, e.Name)
	}
	for _, want := range []string{"Web Store - Staging", `Ops "Blue" \ Green - Prod EU`, "東京 - 本番", "Web Store - Production (web-store-2/production)"} {
		if !contains(names, want) {
			t.Errorf("no environment named %q in %q", want, names)
		}
	}
	if !sort.StringsAreSorted(names) {
		t.Errorf("environments not sorted: %q", names)
	}
	if w := Warnings(cfg); len(w) != 0 {
		t.Errorf("a generated config draws warnings: %q", w)
	}
	checkMapping(t, cfg, projects)
}

func TestRoundTripEnv(t *testing.T) {
	projects := awkward()
	out, _, err := Env(projects, Options{RedisHost: "r", RedisPort: 6390, LocalTTL: TTL(0)})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "relay.env")
	if err := WriteFile(path, out, false); err != nil {
		t.Fatal(err)
	}
	cfg, err := ReadEnvFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != DefaultPort || !cfg.Redis.Enabled || cfg.Redis.Host != "r" || cfg.Redis.Port != 6390 ||
		!cfg.LocalTTLSet || cfg.LocalTTL != 0 {
		t.Errorf("read back %+v", cfg)
	}
	checkEnvs(t, cfg, projects)
	if w := Warnings(cfg); len(w) != 0 {
		t.Errorf("a generated config draws warnings: %q", w)
	}
	checkMapping(t, cfg, projects)
}

func checkEnvs(t *testing.T, cfg Config, projects []ProjectEnvironments) {
	t.Helper()
	want := expected(projects)
	if len(cfg.Environments) != len(want) {
		t.Errorf("%d environments read back, want %d", len(cfg.Environments), len(want))
	}
	for _, e := range cfg.Environments {
		w, ok := want[e.SDKKey]
		if !ok {
			t.Errorf("unexpected environment %+v", e)
			continue
		}
		w.Name = e.Name
		if e != w {
			t.Errorf("read back %+v, want %+v", e, w)
		}
		if e.Name == "" {
			t.Errorf("environment %q has no name", e.SDKKey)
		}
	}
}

func checkMapping(t *testing.T, cfg Config, projects []ProjectEnvironments) {
	t.Helper()
	m := Mapping(cfg)
	want := map[string]flags.Target{}
	for _, p := range projects {
		for _, e := range p.Environments {
			want[flags.ConventionPrefix(p.Project.Key, e.Key)] = flags.Target{Project: p.Project.Key, Environment: e.Key}
		}
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("Mapping = %v, want %v", m, want)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestReadFileDialect(t *testing.T) {
	// Relay's dialect: case-insensitive names, comments, escapes, repeated sections, and
	// sections and keys this tool does not read.
	path := writeTemp(t, "relay.conf", "\ufeff; a comment\n"+
		"[main]\nPORT = 8031\nexitOnError = true\n\n"+
		"[Events]\nsendEvents = true\n\n"+
		"[REDIS]\nHost = redis.local\nport = 6381\ntls\nPassword = \"s3cr\\\"et\" # inline comment\nlocalTTL = 2s\n\n"+
		"[environment \"A \\\"quoted\\\" env\"]\nSDKKEY = sdk-a\nprefix = ld:proj:a\nsecureMode = true\n\n"+
		"[Environment \"b\"]\nsdkKey = \"sdk-b\"\n"+
		"[Environment \"A \\\"quoted\\\" env\"]\nprojKey = proj\n")
	cfg, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 8031 || cfg.Redis.Host != "redis.local" || cfg.Redis.Port != 6381 || !cfg.Redis.TLS ||
		cfg.Redis.Password != `s3cr"et` || cfg.LocalTTL != 2*time.Second || !cfg.Redis.Enabled {
		t.Errorf("read %+v", cfg)
	}
	want := []Environment{
		{Name: `A "quoted" env`, SDKKey: "sdk-a", ProjKey: "proj", Prefix: "ld:proj:a"},
		{Name: "b", SDKKey: "sdk-b"},
	}
	if !reflect.DeepEqual(cfg.Environments, want) {
		t.Errorf("environments %+v, want %+v", cfg.Environments, want)
	}
}

func TestReadFileErrors(t *testing.T) {
	cases := []struct {
		name, text string
		want       []string // substrings, the first with the line
	}{
		{"unclosed section", "[Main]\nport = 8030\n\n[Redis\nurl = redis://x\n", []string{":4:"}},
		{"no equals", "[Main]\nport 8030\n", []string{":2:", "illegal character"}},
		{"unterminated string", "[Redis]\nhost = x\n[Environment \"a\"]\nsdkKey = \"abc\n", []string{":4:", "not terminated"}},
		{"bad escape", "[Environment \"a\\n\"]\nsdkKey = x\n", []string{":1:", "escape"}},
		{"key before section", "port = 8030\n", []string{":1:", "section"}},
		{"bad port", "[Main]\n\nport = eighty\n", []string{":3:", "eighty", "port"}},
		{"bad redis port", "[Redis]\nhost = h\nport = 0\n", []string{":3:", "port"}},
		{"bad ttl", "[Redis]\nurl = redis://h\n; c\nlocalTtl = soon\n", []string{":4:", "soon", "localTtl"}},
		{"bad bool", "[Redis]\nurl = redis://h\ntls = maybe\n", []string{":3:", "tls"}},
	}
	for _, c := range cases {
		path := writeTemp(t, "relay.conf", c.text)
		_, err := ReadFile(path)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if !strings.Contains(err.Error(), path+c.want[0]) {
			t.Errorf("%s: error %q does not name %s%s", c.name, err, path, c.want[0])
		}
		for _, w := range c.want[1:] {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", c.name, err, w)
			}
		}
	}
}

func TestReadUnreadable(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.conf")
	for _, path := range []string{missing, dir} {
		if _, err := ReadFile(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("ReadFile(%s): %v", path, err)
		}
		if _, err := ReadEnvFile(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("ReadEnvFile(%s): %v", path, err)
		}
	}
}

func TestReadEnvFile(t *testing.T) {
	path := writeTemp(t, "relay.env", "# Relay\n"+
		"export USE_REDIS=true\n"+
		"REDIS_URL='redis://h:6379/0?x=1'\n"+
		"CACHE_TTL=\"-1s\" # forever\n"+
		"LD_ENV_Prod=sdk-p # comment\n"+
		"LD_PREFIX_Prod=ld:shop:prod\n"+
		"LD_PROJ_KEY_Prod = shop\n"+
		"LD_MOBILE_KEY_Prod=\"mob \\\"x\\\"\"\n"+
		"LD_ENV_Dev=sdk-d\n"+
		"LD_PREFIX_Orphan=ld:x:y\n"+
		"UNRELATED=1\n")
	cfg, err := ReadEnvFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Redis.Enabled || cfg.Redis.URL != "redis://h:6379/0?x=1" || !cfg.LocalTTLSet || cfg.LocalTTL != -time.Second {
		t.Errorf("read %+v", cfg)
	}
	want := []Environment{
		{Name: "Dev", SDKKey: "sdk-d"},
		{Name: "Prod", SDKKey: "sdk-p", MobileKey: `mob "x"`, ProjKey: "shop", Prefix: "ld:shop:prod"},
	}
	if !reflect.DeepEqual(cfg.Environments, want) {
		t.Errorf("environments %+v, want %+v", cfg.Environments, want)
	}

	for text, line := range map[string]string{
		"A=1\nnot a line\n":           ":2:",
		"A=1\nB=2\n9X=3\n":            ":3:",
		"A='open\n":                   ":1:",
		"PORT=80\nPORT=x\n":           ":2:",
		"USE_REDIS=1\nCACHE_TTL=x\n":  ":2:",
		"A=\"x\" y\n":                 ":1:",
		"USE_REDIS=perhaps\n":         ":1:",
		"REDIS_HOST=h\nREDIS_TLS=2\n": ":2:",
	} {
		path := writeTemp(t, "bad.env", text)
		if _, err := ReadEnvFile(path); err == nil || !strings.Contains(err.Error(), path+line) {
			t.Errorf("%q: error %v, want %s%s", text, err, path, line)
		}
	}
}

func TestReadEnvFileKeepsSecretsOutOfErrors(t *testing.T) {
	for _, text := range []string{"REDIS_PASSWORD='hunter2\n", "REDIS_PASSWORD hunter2\n", "REDIS_PASSWORD=\"hunter2\" x\n"} {
		_, err := ReadEnvFile(writeTemp(t, "s.env", text))
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: %v", text, err)
		}
	}
}

func TestWarnings(t *testing.T) {
	redis := Redis{Enabled: true, URL: "redis://h"}
	env := func(name, prefix string) Environment {
		return Environment{Name: name, SDKKey: "sdk-" + name, Prefix: prefix}
	}
	cases := []struct {
		name string
		cfg  Config
		want []string // each must appear in one warning
	}{
		{"negative ttl", Config{Redis: redis, LocalTTL: -time.Second, LocalTTLSet: true, Environments: []Environment{env("a", "p")}},
			[]string{"never sees", "restart"}},
		{"missing ttl", Config{Redis: redis, Environments: []Environment{env("a", "p")}},
			[]string{"not set", "30s"}},
		{"no redis", Config{LocalTTLSet: true, Environments: []Environment{env("a", "p")}},
			[]string{"not using Redis", "will not reach"}},
		{"shared prefix", Config{Redis: redis, LocalTTLSet: true, Environments: []Environment{env("a", "p"), env("b", "p"), env("c", "q")}},
			[]string{`"a", "b" share the prefix "p"`}},
		{"missing prefixes", Config{Redis: redis, LocalTTLSet: true, Environments: []Environment{env("a", ""), env("b", "")}},
			[]string{`"a", "b" have no prefix`, `"launchdarkly"`}},
		{"missing and explicit default", Config{Redis: redis, LocalTTLSet: true, Environments: []Environment{env("a", ""), env("b", "launchdarkly")}},
			[]string{`"a" have no prefix`, `"launchdarkly"`}},
		{"projKey disagrees", Config{Redis: redis, LocalTTLSet: true, Environments: []Environment{{Name: "a", Prefix: "ld:x:y", ProjKey: "z"}}},
			[]string{`names project "x" but projKey is "z"`}},
	}
	for _, c := range cases {
		ws := Warnings(c.cfg)
		for _, want := range c.want {
			found := false
			for _, w := range ws {
				found = found || strings.Contains(w, want)
			}
			if !found {
				t.Errorf("%s: no warning contains %q: %q", c.name, want, ws)
			}
		}
	}
	ok := Config{Redis: redis, LocalTTLSet: true, LocalTTL: 0, Environments: []Environment{env("a", ""), env("b", "ld:p:b")}}
	if ws := Warnings(ok); len(ws) != 0 {
		t.Errorf("a sound config draws warnings: %q", ws)
	}
}

func TestMapping(t *testing.T) {
	cfg := Config{Environments: []Environment{
		{Name: "conv", Prefix: "ld:shop:prod"},
		{Name: "conv+proj", Prefix: "ld:shop:dev", ProjKey: "shop"},
		{Name: "custom", Prefix: "shop-staging", ProjKey: "shop"},
		{Name: "default", ProjKey: "legacy"},
		{Name: "unknown", Prefix: "whatever"},
		{Name: "disagree", Prefix: "ld:a:b", ProjKey: "c"},
		{Name: "shared1", Prefix: "both", ProjKey: "p1"},
		{Name: "shared2", Prefix: "both", ProjKey: "p2"},
		{Name: "same1", Prefix: "ld:q:e1"},
		{Name: "same2", Prefix: "ld:q:e1", ProjKey: "q"},
		{Name: "mixed1", Prefix: "mix", ProjKey: "m"},
		{Name: "mixed2", Prefix: "ld:m:x:y", ProjKey: "m"},
	}}
	want := map[string]flags.Target{
		"ld:shop:prod": {Project: "shop", Environment: "prod"},
		"ld:shop:dev":  {Project: "shop", Environment: "dev"},
		"shop-staging": {Project: "shop"},
		"launchdarkly": {Project: "legacy"},
		"ld:a:b":       {Project: "c"},
		"ld:q:e1":      {Project: "q", Environment: "e1"},
		"mix":          {Project: "m"},
		"ld:m:x:y":     {Project: "m"},
	}
	if got := Mapping(cfg); !reflect.DeepEqual(got, want) {
		t.Errorf("Mapping =\n%v\nwant\n%v", got, want)
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "relay.conf")
	if err := WriteFile(path, []byte("one"), false); err != nil {
		t.Fatal(err)
	}
	mode := func() os.FileMode {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return st.Mode().Perm()
	}
	if m := mode(); m != 0o600 {
		t.Errorf("mode %v, want 0600", m)
	}
	err := WriteFile(path, []byte("two"), false)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second write: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "one" {
		t.Errorf("existing file changed to %q", b)
	}
	// A file left world-readable by someone else becomes private when overwritten.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("three"), true); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "three" {
		t.Errorf("overwrite gave %q", b)
	}
	if m := mode(); m != 0o600 {
		t.Errorf("mode after overwrite %v, want 0600", m)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if err := WriteFile(filepath.Join(dir, "no", "such", "dir.conf"), []byte("x"), false); err == nil {
		t.Error("write into a missing directory succeeded")
	}
}

func TestHostConfig(t *testing.T) {
	cases := []struct {
		r    Redis
		want flags.HostConfig
		ok   bool
	}{
		{Redis{}, flags.HostConfig{}, false},
		{Redis{Enabled: true}, flags.HostConfig{Addr: "localhost:6379"}, true},
		{Redis{Enabled: true, Port: 6390}, flags.HostConfig{Addr: "localhost:6390"}, true},
		{Redis{Enabled: true, Host: "::1", TLS: true, Username: "u"}, flags.HostConfig{Addr: "[::1]:6379", TLS: true, Username: "u"}, true},
		{Redis{Enabled: true, URL: "rediss://h:1", Password: "p"}, flags.HostConfig{Addr: "rediss://h:1", Password: "p"}, true},
	}
	for _, c := range cases {
		got, ok := c.r.HostConfig()
		if got != c.want || ok != c.ok {
			t.Errorf("%+v.HostConfig() = %+v, %v; want %+v, %v", c.r, got, ok, c.want, c.ok)
		}
	}
}

func TestEnvQuotedValuesRoundTrip(t *testing.T) {
	url := "redis://h:6379/0?a=1&b=$x`y`"
	user := `o'brien "the" \admin`
	out, _, err := Env(awkward(), Options{RedisURL: url, RedisUsername: user})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ReadEnvFile(writeTemp(t, "q.env", string(out)))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Redis.URL != url || cfg.Redis.Username != user {
		t.Errorf("read back %q %q\n%s", cfg.Redis.URL, cfg.Redis.Username, out)
	}
	// A POSIX shell sourcing the file sees the same values.
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	path := writeTemp(t, "q.env", string(out))
	got, err := exec.Command(sh, "-c", `. "$1" && printf '%s\n%s' "$REDIS_URL" "$REDIS_USERNAME"`, "sh", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != url+"\n"+user {
		t.Errorf("sh reads %q", got)
	}
}

func TestReadEitherForm(t *testing.T) {
	ini, _, err := INI(awkward(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	env, _, err := Env(awkward(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string][]byte{"ini": ini, "env": env} {
		cfg, err := Read(writeTemp(t, "relay."+name, string(text)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkEnvs(t, cfg, awkward())
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing file read")
	}
}

func TestRedisStringHidesPasswords(t *testing.T) {
	cfg := Config{Redis: Redis{Enabled: true, URL: "redis://u:hunter2@h:6379", Password: "hunter3"}}
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprint(cfg.Redis)} {
		if strings.Contains(s, "hunter2") || strings.Contains(s, "hunter3") || !strings.Contains(s, "password=set") {
			t.Errorf("%s", s)
		}
	}
}
