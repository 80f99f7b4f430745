package config

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"relaycommander/relaycfg/relayapi"
)

// relays reads relays: a list of {name, url} or URLs, or a comma-separated string of
// name=url (a URL without name= is named by its host), as RC_RELAYS gives it.
func (l *loader) relays() ([]relayapi.Relay, error) {
	const key = "relays"
	var out []relayapi.Relay
	switch x := l.v.Get(key).(type) {
	case nil:
	case string:
		for i, p := range strings.Split(x, ",") {
			where := fmt.Sprintf("%s[%d]", key, i)
			if p = strings.TrimSpace(p); p == "" {
				return nil, l.fail(where, "entry %d is empty; write name=http://host:port,name=http://host:port", i+1)
			}
			r, err := l.relayEntry(where, p)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	case []any:
		for i, e := range x {
			where := fmt.Sprintf("%s[%d]", key, i)
			var r relayapi.Relay
			var err error
			switch v := e.(type) {
			case string:
				r, err = l.relayEntry(where, v)
			case map[string]any:
				r, err = l.relayURL(where, text(v["name"]), text(v["url"]))
			default:
				err = l.fail(where, "expected a URL or {name, url}, found %v", e)
			}
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	default:
		return nil, l.fail(key, "expected a list of {name, url}, found %v", x)
	}
	seen := map[string]bool{}
	for i, r := range out {
		if seen[r.Name] {
			return nil, l.fail(fmt.Sprintf("%s[%d]", key, i), "two Relays are named %q; give each a distinct name", r.Name)
		}
		seen[r.Name] = true
	}
	return out, nil
}

func text(v any) string {
	if v == nil {
		return ""
	}
	return strings.TrimSpace(fmt.Sprint(v))
}

// relayEntry reads name=url or a plain URL.
func (l *loader) relayEntry(where, s string) (relayapi.Relay, error) {
	s = strings.TrimSpace(s)
	name, u, ok := strings.Cut(s, "=")
	if !ok || strings.Contains(name, "://") {
		name, u = "", s
	}
	return l.relayURL(where, strings.TrimSpace(name), strings.TrimSpace(u))
}

// relayURL checks a Relay's base URL (http or https, a host, no path beyond /) and names it
// by its host when it has no name. The URL in an error has any password hidden.
func (l *loader) relayURL(where, name, raw string) (relayapi.Relay, error) {
	if raw == "" {
		return relayapi.Relay{}, l.fail(where, "Relay %q has no url: give its base URL, like http://relay-a.internal:8030", name)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return relayapi.Relay{}, l.fail(where, "%q is not a URL; give the Relay's base URL, like http://relay-a.internal:8030", redactedURL(raw))
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return relayapi.Relay{}, l.fail(where, "%s is not an http:// or https:// URL with a host; give the Relay's base URL, like http://relay-a.internal:8030", u.Redacted())
	}
	if name == "" {
		name = u.Host
	}
	return relayapi.Relay{Name: name, URL: strings.TrimRight(raw, "/")}, nil
}

func redactedURL(raw string) string {
	if i := strings.Index(raw, "@"); i >= 0 {
		if j := strings.Index(raw, "://"); j >= 0 && j < i {
			return raw[:j+3] + "xxxxx" + raw[i:]
		}
	}
	return raw
}

// sdkKeys reads relay.sdk_keys, store prefix -> the environment variable holding that
// environment's SDK key: from the file (fileMap, read by checkYAML so that the prefixes keep
// their case) or from RC_RELAY_SDK_KEYS as prefix=VARIABLE,prefix=VARIABLE. A variable named
// but not set is an error; the key itself never appears in one.
func (l *loader) sdkKeys(fileMap map[string]string) (keys map[string]relayapi.SDKKey, from map[string]string, err error) {
	const key = "relay.sdk_keys"
	vars := fileMap
	if strings.HasPrefix(l.from(key), "environment ") {
		s, err := l.str(key)
		if err != nil {
			return nil, nil, err
		}
		vars = map[string]string{}
		for i, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			j := strings.LastIndex(p, "=")
			if j <= 0 || j == len(p)-1 {
				return nil, nil, l.fail(key, "entry %d (%q) is not prefix=VARIABLE; write ld:web-store:production=LD_SDK_KEY_PRODUCTION", i+1, p)
			}
			vars[strings.TrimSpace(p[:j])] = strings.TrimSpace(p[j+1:])
		}
	}
	keys, from = map[string]relayapi.SDKKey{}, map[string]string{}
	prefixes := make([]string, 0, len(vars))
	for p := range vars {
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	for _, p := range prefixes {
		name := vars[p]
		val, ok := l.env[name]
		if !ok || strings.TrimSpace(val) == "" {
			return nil, nil, l.fail(key, "prefix %s names the environment variable %s, which is not set; export it (or put it in ./.env) with that environment's SDK key", p, name)
		}
		keys[p] = relayapi.SDKKey(strings.TrimSpace(val))
		from[p] = "environment " + name
	}
	return keys, from, nil
}
