package config

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"relaycommander/flags"
)

// withDefaultPort gives a bare host relayCommander's default port 6379.
func withDefaultPort(addr string) string {
	if strings.Contains(addr, "://") || strings.Contains(addr, ":") {
		return addr
	}
	return addr + ":6379"
}

// hosts reads redis.hosts: a comma-separated string, or a list of addresses and {name, addr, ...}.
func (l *loader) hosts() ([]flags.HostConfig, error) {
	const key = "redis.hosts"
	var out []flags.HostConfig
	addOne := func(i int, addr string) {
		addr = withDefaultPort(strings.TrimSpace(addr))
		out = append(out, flags.HostConfig{Name: HostName(addr), Addr: addr})
	}
	switch x := l.v.Get(key).(type) {
	case nil:
	case string:
		for i, p := range strings.Split(x, ",") {
			if p = strings.TrimSpace(p); p == "" {
				return nil, l.fail(key, "entry %d of %q is empty", i+1, x)
			}
			addOne(i, p)
		}
	case []any:
		for i, e := range x {
			where := fmt.Sprintf("%s[%d]", key, i)
			switch h := e.(type) {
			case string:
				addOne(i, h)
			case map[string]any:
				hc := flags.HostConfig{}
				get := func(k string) string {
					if v, ok := h[k]; ok && v != nil {
						return strings.TrimSpace(fmt.Sprint(v))
					}
					return ""
				}
				hc.Addr = get("addr")
				if hc.Addr == "" {
					return nil, l.fail(where, "host has no addr: give host:port or a redis:// or rediss:// URL")
				}
				hc.Addr = withDefaultPort(hc.Addr)
				hc.Name = get("name")
				if hc.Name == "" {
					hc.Name = HostName(hc.Addr)
				}
				hc.Username = get("username")
				if tls := get("tls"); tls != "" {
					b, err := strconv.ParseBool(tls)
					if err != nil {
						return nil, l.fail(where+".tls", "%q is not true or false", tls)
					}
					hc.TLS = b
				}
				if pe := get("password_env"); pe != "" {
					pw, ok := l.env[pe]
					if !ok || pw == "" {
						return nil, l.fail(where+".password_env", "environment variable %s is not set; export it (or put it in ./.env) with the password of %s", pe, hc.Name)
					}
					hc.Password = pw
				}
				out = append(out, hc)
			default:
				return nil, l.fail(where, "expected an address or {name, addr, ...}, found %v", e)
			}
		}
	default:
		return nil, l.fail(key, "expected a list of hosts, found %v", x)
	}
	seen := map[string]bool{}
	for i, h := range out {
		where := fmt.Sprintf("%s[%d]", key, i)
		if err := checkAddr(h.Addr); err != nil {
			return nil, l.fail(where, "%s: %v", flags.RedactURL(h.Addr), err)
		}
		if seen[h.Name] {
			return nil, l.fail(where, "two hosts are named %q; give each a distinct name", h.Name)
		}
		seen[h.Name] = true
	}
	return out, nil
}

// HostName is a host's display name: its address without credentials (a URL that does not
// parse keeps its shape, its password redacted).
func HostName(addr string) string {
	if u, err := url.Parse(addr); err == nil && u.Host != "" && strings.Contains(addr, "://") {
		return u.Host
	}
	return flags.RedactURL(addr)
}

// checkAddr accepts host:port, [ipv6]:port and redis:// or rediss:// URLs.
func checkAddr(addr string) error {
	if strings.Contains(addr, "://") {
		u, err := url.Parse(addr)
		if err != nil {
			return fmt.Errorf("not a valid URL")
		}
		if u.Scheme != "redis" && u.Scheme != "rediss" {
			return fmt.Errorf("unknown scheme %q: use redis:// or rediss://", u.Scheme)
		}
		if u.Host == "" {
			return fmt.Errorf("the URL names no host")
		}
		if db := strings.TrimPrefix(u.Path, "/"); db != "" {
			if n, err := strconv.Atoi(db); err != nil || n < 0 {
				return fmt.Errorf("database %q is not a number: write redis://host:port/0 (or leave the path out)", db)
			}
		}
		return nil
	}
	host, port, ok := strings.Cut(addr, ":")
	if strings.HasPrefix(addr, "[") { // [ipv6]:port
		i := strings.LastIndex(addr, "]:")
		if i < 0 {
			return fmt.Errorf("write an IPv6 address as [addr]:port")
		}
		host, port, ok = addr[1:i], addr[i+2:], true
	}
	if !ok || host == "" {
		return fmt.Errorf("no host name")
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 1 to 65535", port)
	}
	return nil
}
