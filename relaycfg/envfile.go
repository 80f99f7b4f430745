package relaycfg

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// ReadEnvFile reads Relay's environment-variable form from a file of KEY=VALUE lines (optional
// `export `, single or double quotes, # comments), as a .env file, docker --env-file or systemd
// EnvironmentFile holds it. Variables Relay does not use here are ignored.
func ReadEnvFile(path string) (Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("reading Relay environment file: %w", err)
	}
	vars, lines, err := parseEnv(src)
	if err != nil {
		return Config{}, fmt.Errorf("%s:%w", path, err)
	}
	at := func(name string) string { return fmt.Sprintf("%s:%d", path, lines[name]) }
	cfg := Config{Source: path}
	if v, ok := vars["PORT"]; ok && v != "" {
		if cfg.Port, err = parsePort(v); err != nil {
			return Config{}, fmt.Errorf("%s: PORT: %w", at("PORT"), err)
		}
	}
	useRedis := false
	if v, ok := vars["USE_REDIS"]; ok && v != "" {
		b, err := parseBool(v)
		if err != nil {
			return Config{}, fmt.Errorf("%s: USE_REDIS: %w", at("USE_REDIS"), err)
		}
		useRedis = b
	}
	r := &cfg.Redis
	r.URL, r.Host, r.Username, r.Password = vars["REDIS_URL"], vars["REDIS_HOST"], vars["REDIS_USERNAME"], vars["REDIS_PASSWORD"]
	if v := vars["REDIS_PORT"]; v != "" {
		// Docker links set REDIS_PORT=tcp://host:port.
		if hp, ok := strings.CutPrefix(v, "tcp://"); ok {
			h, p, found := strings.Cut(hp, ":")
			r.Host = h
			if found {
				v = p
			}
		}
		if r.Port, err = parsePort(v); err != nil {
			return Config{}, fmt.Errorf("%s: REDIS_PORT: %w", at("REDIS_PORT"), err)
		}
	}
	if v := vars["REDIS_TLS"]; v != "" {
		if r.TLS, err = parseBool(v); err != nil {
			return Config{}, fmt.Errorf("%s: REDIS_TLS: %w", at("REDIS_TLS"), err)
		}
	}
	r.Enabled = useRedis || r.URL != "" || r.Host != ""
	if v := vars["CACHE_TTL"]; v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return Config{}, fmt.Errorf("%s: CACHE_TTL %q: not a duration (like 30s, 500ms or 1m)", at("CACHE_TTL"), v)
		}
		cfg.LocalTTL, cfg.LocalTTLSet = d, true
	}
	for name, sdk := range vars {
		env, ok := strings.CutPrefix(name, "LD_ENV_")
		if !ok || env == "" {
			continue
		}
		cfg.Environments = append(cfg.Environments, Environment{
			Name:      env,
			SDKKey:    sdk,
			MobileKey: vars["LD_MOBILE_KEY_"+env],
			EnvID:     vars["LD_CLIENT_SIDE_ID_"+env],
			ProjKey:   vars["LD_PROJ_KEY_"+env],
			Prefix:    vars["LD_PREFIX_"+env],
		})
	}
	sortEnvs(cfg.Environments)
	return cfg, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", s)
}

// parseEnv returns the variables (the last definition wins, as in a shell) and the line of each.
// Errors start with the line number.
func parseEnv(src []byte) (map[string]string, map[string]int, error) {
	vars, lines := map[string]string{}, map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(bytes.TrimPrefix(src, []byte("\ufeff"))))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(strings.TrimSuffix(sc.Text(), "\r"))
		if line == "" || line[0] == '#' {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "export"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
			line = strings.TrimSpace(rest)
		}
		name, raw, ok := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		if !ok {
			// The line is not echoed: it may hold a secret.
			return nil, nil, fmt.Errorf("%d: not a NAME=VALUE line", n)
		}
		if !validVarName(name) {
			return nil, nil, fmt.Errorf("%d: %q is not a variable name", n, name)
		}
		v, err := envUnquote(strings.TrimSpace(raw))
		if err != nil {
			return nil, nil, fmt.Errorf("%d: %s: %w", n, name, err)
		}
		vars[name], lines[name] = v, n
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("%d: %w", n+1, err)
	}
	return vars, lines, nil
}

func validVarName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// envUnquote reads one value (errors never echo it: it may be a secret): 'single' is literal, "double" takes backslash escapes, an
// unquoted value ends at " #" (a comment).
func envUnquote(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	switch v[0] {
	case '\'':
		end := strings.IndexByte(v[1:], '\'')
		if end < 0 {
			return "", errors.New("missing closing '")
		}
		if err := trailing(v[end+2:]); err != nil {
			return "", err
		}
		return v[1 : end+1], nil
	case '"':
		var b strings.Builder
		for i := 1; i < len(v); i++ {
			c := v[i]
			switch {
			case c == '"':
				if err := trailing(v[i+1:]); err != nil {
					return "", err
				}
				return b.String(), nil
			case c == '\\' && i+1 < len(v):
				i++
				switch v[i] {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				default:
					b.WriteByte(v[i])
				}
			default:
				b.WriteByte(c)
			}
		}
		return "", errors.New(`missing closing "`)
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	if i := strings.Index(v, "\t#"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v), nil
}

func trailing(rest string) error {
	rest = strings.TrimSpace(rest)
	if rest == "" || rest[0] == '#' {
		return nil
	}
	return errors.New("unexpected text after the closing quote")
}
