package config

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"github.com/subosito/gotenv"

	"relaycommander/flags"
	"relaycommander/relaycfg"
)

// Input is what Load reads besides files: injected so that tests use no real environment.
type Input struct {
	Env      map[string]string // the process environment (./.env is added under it)
	Dir      string            // working directory: relative paths, ./relaycommander.yaml, ./.env
	Flags    *pflag.FlagSet    // the global flags (AddFlags); nil = none given
	Operator func() string     // the OS user when operator is not set; nil = os/user
}

// Load reads and validates the configuration. Warnings are returned even with an error.
func Load(in Input) (*Config, []string, error) {
	env, warnings, err := withDotEnv(in.Env, in.Dir)
	if err != nil {
		return nil, nil, err
	}
	l := &loader{v: viper.New(), source: map[string]string{}, env: env, home: env["HOME"]}
	for k, v := range defaults {
		l.v.SetDefault(k, v)
	}

	file, explicit := findFile(in, env)
	prefixes := map[string]flags.Target{}
	if file != "" {
		w, err := l.readFile(file, explicit, prefixes)
		warnings = append(warnings, w...)
		if err != nil {
			return nil, warnings, err
		}
	}
	l.setEnv()
	l.setFlags(in.Flags)

	cfg, err := l.decode(in.Dir, file, prefixes)
	if err != nil {
		return nil, warnings, err
	}
	w, err := l.addRelayConfigs(cfg)
	warnings = append(warnings, w...)
	if err != nil {
		return nil, warnings, err
	}
	if cfg.Operator == "" {
		if in.Operator != nil {
			cfg.Operator = in.Operator()
		} else {
			cfg.Operator = osUser(env)
		}
	}
	return cfg, warnings, nil
}

// withDotEnv adds ./.env, where relayCommander kept its settings, under the real environment.
func withDotEnv(real map[string]string, dir string) (map[string]string, []string, error) {
	env := maps.Clone(real)
	if env == nil {
		env = map[string]string{}
	}
	dotenv := filepath.Join(dir, ".env")
	data, err := os.ReadFile(dotenv)
	if errors.Is(err, os.ErrNotExist) {
		return env, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", dotenv, err)
	}
	parsed, err := gotenv.StrictParse(bytes.NewReader(data))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v (fix or remove the file; nothing was started)", dotenv, err)
	}
	for k, v := range parsed {
		if _, set := env[k]; !set {
			env[k] = v
		}
	}
	var warnings []string
	if w := worldReadableSecret(dotenv, parsed["LD_API_KEY"] != "" || parsed["RC_LAUNCHDARKLY_API_TOKEN"] != "",
		"an API token (LD_API_KEY)"); w != "" {
		warnings = append(warnings, w)
	}
	return env, warnings, nil
}

// findFile names the configuration file: --config, else RC_CONFIG, else the first of
// ./relaycommander.yaml and $XDG_CONFIG_HOME/relaycommander/config.yaml that exists.
func findFile(in Input, env map[string]string) (file string, explicit bool) {
	home := env["HOME"]
	if in.Flags != nil {
		if f, _ := in.Flags.GetString("config"); f != "" {
			return Abs(in.Dir, home, f), true
		}
	}
	if e := env["RC_CONFIG"]; e != "" {
		return Abs(in.Dir, home, e), true
	}
	candidates := []string{filepath.Join(in.Dir, "relaycommander.yaml")}
	xdg := env["XDG_CONFIG_HOME"]
	if xdg == "" && home != "" {
		xdg = filepath.Join(home, ".config")
	}
	if xdg != "" {
		candidates = append(candidates, filepath.Join(xdg, "relaycommander", "config.yaml"))
	}
	for _, cand := range candidates {
		if _, err := os.Stat(cand); err == nil {
			return cand, false
		}
	}
	return "", false
}

// readFile checks the configuration file against the schema and gives it to viper.
func (l *loader) readFile(file string, explicit bool, prefixes map[string]flags.Target) ([]string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		if explicit && errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("configuration file %s does not exist (given by --config or RC_CONFIG)", file)
		}
		return nil, fmt.Errorf("configuration file %s: %v", file, err)
	}
	tokenInFile, err := checkYAML(file, data, prefixes)
	if err != nil {
		return nil, err
	}
	l.v.SetConfigType("yaml")
	if err := l.v.ReadConfig(bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("configuration file %s: %v", file, err)
	}
	for _, k := range Keys {
		if l.v.InConfig(k) {
			l.source[k] = file
		}
	}
	if len(prefixes) > 0 {
		l.source["prefixes"] = file
	}
	if w := worldReadableSecret(file, tokenInFile, "launchdarkly.api_token"); w != "" {
		return []string{w}, nil
	}
	return nil, nil
}

// setEnv puts the environment over the file: relayCommander's names, then ours (more specific,
// so they win).
func (l *loader) setEnv() {
	if h := l.env["REDIS_HOSTS"]; h != "" {
		l.v.Set("redis.hosts", h)
		l.source["redis.hosts"] = "environment REDIS_HOSTS"
	}
	if t := l.env["LD_API_KEY"]; t != "" {
		l.v.Set("launchdarkly.api_token", t)
		l.source["launchdarkly.api_token"] = "environment LD_API_KEY"
	}
	for _, k := range Keys {
		if k == "prefixes" {
			continue
		}
		if val, ok := l.env[EnvName(k)]; ok && val != "" {
			l.v.Set(k, val)
			l.source[k] = "environment " + EnvName(k)
		}
	}
}

// addRelayConfigs reads the Relay configuration files: they name prefixes that do not follow
// ld:{project}:{environment}, and, unless configured here, the Redis hosts and the localTtl the
// Relays use.
func (l *loader) addRelayConfigs(cfg *Config) ([]string, error) {
	var warnings []string
	cfg.Mapping = map[string]flags.Target{}
	var relayHosts []flags.HostConfig
	var relayTTL *time.Duration
	for _, path := range cfg.RelayConfigs {
		rc, err := relaycfg.Read(path)
		if err != nil {
			return warnings, fmt.Errorf("configuration relay_configs (from %s): %w", l.from("relay_configs"), err)
		}
		for _, w := range relaycfg.Warnings(rc) {
			warnings = append(warnings, path+": "+w)
		}
		maps.Copy(cfg.Mapping, relaycfg.Mapping(rc))
		if h, ok := rc.Redis.HostConfig(); ok && !slices.ContainsFunc(relayHosts, func(o flags.HostConfig) bool { return o.Addr == h.Addr }) {
			h.Name = HostName(h.Addr)
			relayHosts = append(relayHosts, h)
		}
		if rc.LocalTTLSet && relayTTL == nil {
			relayTTL = &rc.LocalTTL
		}
	}
	if !cfg.Set("redis.hosts") && len(relayHosts) > 0 {
		cfg.Hosts = relayHosts
		cfg.Sources["redis.hosts"] = "relay_configs"
	}
	if !cfg.Set("relay.local_ttl") && relayTTL != nil {
		cfg.LocalTTL = *relayTTL
		cfg.Sources["relay.local_ttl"] = "relay_configs"
	}
	maps.Copy(cfg.Mapping, cfg.Prefixes)
	return warnings, nil
}

func osUser(env map[string]string) string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := env["USER"]; u != "" {
		return u
	}
	return "unknown"
}

// worldReadableSecret warns when a file holding a secret can be read by every user.
func worldReadableSecret(path string, holds bool, what string) string {
	if !holds {
		return ""
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o004 == 0 {
		return ""
	}
	return fmt.Sprintf("%s holds %s and is readable by every user (mode %04o): run chmod 600 %s, "+
		"or better keep the token out of files and set RC_LAUNCHDARKLY_API_TOKEN in the environment",
		path, what, fi.Mode().Perm(), path)
}

// Abs resolves a path against the working directory dir, expanding a leading ~/ to home.
func Abs(dir, home, p string) string {
	if p == "" {
		return ""
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home != "" {
			p = filepath.Join(home, strings.TrimPrefix(p, "~"))
		}
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}
