package relaycfg

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/gcfg.v1"
	"gopkg.in/gcfg.v1/scanner"
	"gopkg.in/gcfg.v1/token"

	"relaycommander/flags"
)

// Config is what this tool needs from a Relay Proxy configuration.
type Config struct {
	Source       string // the file it was read from
	Port         int    // [Main] port / PORT; 0 when not set
	Redis        Redis
	LocalTTL     time.Duration // [Redis] localTtl / CACHE_TTL
	LocalTTLSet  bool          // false: Relay's default (DefaultLocalTTL) applies
	Environments []Environment // sorted by name
}

// Redis is Relay's Redis section.
type Redis struct {
	Enabled  bool // Relay uses Redis: url or host set (file), or USE_REDIS / REDIS_URL / REDIS_HOST (environment)
	URL      string
	Host     string
	Port     int // 0 when not set
	TLS      bool
	Username string
	Password string // as found in the file; never display it
}

// String describes the settings with any password hidden, so that logging a Config leaks none.
func (r Redis) String() string {
	u := r.URL
	if p, err := url.Parse(u); err == nil {
		u = redactURL(p)
	}
	pw := ""
	if r.Password != "" {
		pw = " password=set"
	}
	return fmt.Sprintf("{enabled=%v url=%q host=%q port=%d tls=%v username=%q%s}", r.Enabled, u, r.Host, r.Port, r.TLS, r.Username, pw)
}

// HostConfig is the Redis host Relay connects to, with Relay's defaults filled in (URL, else
// host and port, localhost:6379 for what is missing), for flags.Open. ok is false when Relay
// does not use Redis. A password Relay takes from its REDIS_PASSWORD variable is not in a
// file: the caller supplies it.
func (r Redis) HostConfig() (h flags.HostConfig, ok bool) {
	if !r.Enabled {
		return flags.HostConfig{}, false
	}
	h = flags.HostConfig{Addr: r.URL, Username: r.Username, Password: r.Password, TLS: r.TLS}
	if h.Addr == "" {
		host, port := r.Host, r.Port
		if host == "" {
			host = "localhost"
		}
		if port == 0 {
			port = 6379
		}
		h.Addr = net.JoinHostPort(host, strconv.Itoa(port))
	}
	return h, true
}

// Environment is one environment Relay serves.
type Environment struct {
	Name      string // section name ([Environment "Name"]) or variable suffix (LD_ENV_Name)
	SDKKey    string
	MobileKey string
	EnvID     string // client-side id
	ProjKey   string
	Prefix    string // as configured; "" means DefaultPrefix
}

// EffectivePrefix is the store prefix Relay uses for the environment.
func (e Environment) EffectivePrefix() string {
	if e.Prefix == "" {
		return DefaultPrefix
	}
	return e.Prefix
}

// relayFile is shaped like Relay's own config struct for the parts this tool reads. Numbers
// and durations are read as strings so that a bad one is reported with its line.
type relayFile struct {
	Main struct {
		Port string
	}
	Redis struct {
		Host     string
		Port     string
		URL      string
		Username string
		Password string
		TLS      bool
		LocalTTL string
	}
	Environment map[string]*struct {
		SDKKey    string
		MobileKey string
		EnvID     string
		ProjKey   string
		Prefix    string
	}
}

// Read reads a Relay configuration in either form: an INI file (it has a [section] line) or an
// environment file (NAME=VALUE lines).
func Read(path string) (Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("reading Relay config: %w", err)
	}
	for _, line := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(line, "\ufeff")), "[") {
			return ReadFile(path)
		}
	}
	return ReadEnvFile(path)
}

// ReadFile reads a Relay Proxy INI configuration file with gcfg, the parser Relay uses, tolerating
// sections and keys this tool does not need. Errors name the file and, where there is one, the line.
func ReadFile(path string) (Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("reading Relay config: %w", err)
	}
	src = bytes.TrimPrefix(src, []byte("\ufeff")) // as gcfg.ReadFileInto does
	var f relayFile
	if err := gcfg.FatalOnly(gcfg.ReadStringInto(&f, string(src))); err != nil {
		return Config{}, fileError(path, src, err)
	}
	lines := lineIndex(src)
	at := func(sect, sub, name string) string {
		if l, ok := lines[locKey(sect, sub, name)]; ok {
			return fmt.Sprintf("%s:%d", path, l)
		}
		return path
	}
	cfg := Config{Source: path}
	if f.Main.Port != "" {
		p, err := parsePort(f.Main.Port)
		if err != nil {
			return Config{}, fmt.Errorf("%s: [Main] port: %w", at("main", "", "port"), err)
		}
		cfg.Port = p
	}
	r := f.Redis
	cfg.Redis = Redis{URL: r.URL, Host: r.Host, TLS: r.TLS, Username: r.Username, Password: r.Password}
	if r.Port != "" {
		p, err := parsePort(r.Port)
		if err != nil {
			return Config{}, fmt.Errorf("%s: [Redis] port: %w", at("redis", "", "port"), err)
		}
		cfg.Redis.Port = p
	}
	// Relay uses Redis when url or host is set, or a port (host then defaults to localhost).
	cfg.Redis.Enabled = r.URL != "" || r.Host != "" || cfg.Redis.Port != 0
	if r.LocalTTL != "" {
		d, err := time.ParseDuration(r.LocalTTL)
		if err != nil {
			return Config{}, fmt.Errorf("%s: [Redis] localTtl %q: not a duration (like 30s, 500ms or 1m)", at("redis", "", "localttl"), r.LocalTTL)
		}
		cfg.LocalTTL, cfg.LocalTTLSet = d, true
	}
	for name, e := range f.Environment {
		cfg.Environments = append(cfg.Environments, Environment{
			Name: name, SDKKey: e.SDKKey, MobileKey: e.MobileKey, EnvID: e.EnvID, ProjKey: e.ProjKey, Prefix: e.Prefix,
		})
	}
	sortEnvs(cfg.Environments)
	return cfg, nil
}

func sortEnvs(es []Environment) {
	sort.Slice(es, func(i, j int) bool { return es[i].Name < es[j].Name })
}

func parsePort(s string) (int, error) {
	p, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Errorf("%q is not a port number (1-65535)", s)
	}
	return p, nil
}

// gcfg reports syntax errors as "line:col: message" (it was given no file name) and value
// errors as "... at section "s", subsection "u", variable "v"" without a line.
var (
	posErr = regexp.MustCompile(`^(\d+):(\d+): `)
	locErr = regexp.MustCompile(`at section "([^"]*)"(?:, subsection "((?:[^"\\]|\\.)*?)")?(?:, variable "([^"]*)")?$`)
)

func fileError(path string, src []byte, err error) error {
	msg := err.Error()
	if m := posErr.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s:%s: %s (column %s)", path, m[1], strings.TrimPrefix(msg, m[0]), m[2])
	}
	if m := locErr.FindStringSubmatch(msg); m != nil {
		if l, ok := lineIndex(src)[locKey(m[1], m[2], m[3])]; ok {
			return fmt.Errorf("%s:%d: %s", path, l, msg)
		}
	}
	return fmt.Errorf("%s: %s", path, msg)
}

func locKey(sect, sub, name string) string {
	return strings.ToLower(sect) + "\x00" + sub + "\x00" + strings.ToLower(name)
}

// lineIndex maps each section/subsection/variable of a gcfg file to the line of its last
// definition (and each section header to its first line), using gcfg's own scanner so that
// positions match what gcfg parsed. It is only called on text gcfg has read or rejected.
func lineIndex(src []byte) map[string]int {
	out := map[string]int{}
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(src))
	var s scanner.Scanner
	s.Init(file, src, nil, 0)
	sect, sub := "", ""
	var prev []struct {
		tok token.Token
		lit string
	}
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			return out
		}
		line := fset.Position(pos).Line
		switch {
		case tok == token.LBRACK:
			prev = prev[:0]
		case tok == token.IDENT && len(prev) == 1 && prev[0].tok == token.LBRACK:
			sect, sub = lit, ""
			if _, ok := out[locKey(sect, sub, "")]; !ok {
				out[locKey(sect, sub, "")] = line
			}
		case tok == token.STRING && len(prev) == 2 && prev[0].tok == token.LBRACK:
			sub = unquoteSection(lit)
			if _, ok := out[locKey(sect, sub, "")]; !ok {
				out[locKey(sect, sub, "")] = line
			}
		case tok == token.IDENT && len(prev) == 0:
			out[locKey(sect, sub, lit)] = line
		}
		if tok == token.EOL {
			prev = prev[:0]
			continue
		}
		prev = append(prev, struct {
			tok token.Token
			lit string
		}{tok, lit})
	}
}

func unquoteSection(lit string) string {
	lit = strings.TrimPrefix(strings.TrimSuffix(lit, `"`), `"`)
	return strings.NewReplacer(`\\`, `\`, `\"`, `"`).Replace(lit)
}
