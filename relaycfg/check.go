package relaycfg

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"relaycommander/flags"
)

// Warnings lists what in a Relay config would defeat or slow emergency edits made in Redis.
func Warnings(cfg Config) []string {
	var out []string
	switch {
	case !cfg.Redis.Enabled:
		out = append(out, "no Redis configured (no [Redis] url or host, no USE_REDIS): Relay is not using Redis, so edits made in Redis will not reach it")
	case cfg.LocalTTLSet && cfg.LocalTTL < 0:
		out = append(out, fmt.Sprintf("localTtl is %v (negative): Relay caches flags forever and never sees an emergency edit made in Redis until it is restarted; set it to 30s or less", cfg.LocalTTL))
	case !cfg.LocalTTLSet:
		out = append(out, fmt.Sprintf("localTtl is not set: Relay's default %v applies, so an edit made in Redis reaches Relay within %v", DefaultLocalTTL, DefaultLocalTTL))
	}
	if len(cfg.Environments) == 0 {
		out = append(out, "no environments configured: Relay serves nothing")
	}

	byPrefix := map[string][]Environment{}
	for _, e := range cfg.Environments {
		byPrefix[e.EffectivePrefix()] = append(byPrefix[e.EffectivePrefix()], e)
	}
	prefixes := make([]string, 0, len(byPrefix))
	for p := range byPrefix {
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	for _, p := range prefixes {
		es := byPrefix[p]
		if len(es) < 2 {
			continue
		}
		var names, missing []string
		for _, e := range es {
			names = append(names, fmt.Sprintf("%q", e.Name))
			if e.Prefix == "" {
				missing = append(missing, fmt.Sprintf("%q", e.Name))
			}
		}
		if len(missing) > 0 {
			out = append(out, fmt.Sprintf("environments %s have no prefix, so they all use the default %q together with %s: their flags overwrite each other in Redis; give each its own prefix", strings.Join(missing, ", "), DefaultPrefix, strings.Join(names, ", ")))
			continue
		}
		out = append(out, fmt.Sprintf("environments %s share the prefix %q: their flags overwrite each other in Redis, and an edit there changes all of them", strings.Join(names, ", "), p))
	}

	for _, e := range cfg.Environments {
		if c, ok := flags.ParseConventionPrefix(e.EffectivePrefix()); ok && e.ProjKey != "" && c.Project != e.ProjKey {
			out = append(out, fmt.Sprintf("environment %q: prefix %q names project %q but projKey is %q", e.Name, e.EffectivePrefix(), c.Project, e.ProjKey))
		}
	}
	return out
}

// Mapping names the project and environment of each prefix the config uses, for
// flags.Options.Mapping. The project comes from projKey, else from the ld:{project}:{env}
// convention; the environment key only from the convention (a Target with an empty Environment
// shows the project but stays unmapped in flags). Prefixes several environments share with
// different targets keep only what they agree on, or are left out.
func Mapping(cfg Config) map[string]flags.Target {
	out := map[string]flags.Target{}
	conflict := map[string]bool{}
	for _, e := range cfg.Environments {
		p := e.EffectivePrefix()
		t, _ := flags.ParseConventionPrefix(p)
		if e.ProjKey != "" && e.ProjKey != t.Project {
			t = flags.Target{Project: e.ProjKey}
		}
		if t.Project == "" || conflict[p] {
			continue
		}
		prev, seen := out[p]
		switch {
		case !seen || prev == t:
			out[p] = t
		case prev.Project == t.Project:
			out[p] = flags.Target{Project: t.Project}
		default:
			delete(out, p)
			conflict[p] = true
		}
	}
	return out
}

// WriteFile writes a generated config with mode 0600 (it holds SDK keys). An existing file is
// kept unless overwrite is true. The file appears whole or not at all: it is written to a
// temporary file in the same directory first.
func WriteFile(path string, data []byte, overwrite bool) error {
	if !overwrite {
		if _, err := os.Lstat(path); err == nil {
			return existsError(path)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing Relay config %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("writing Relay config %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing Relay config %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing Relay config %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing Relay config %s: %w", path, err)
	}
	if overwrite {
		if err := os.Rename(tmp.Name(), path); err != nil {
			return fmt.Errorf("writing Relay config %s: %w", path, err)
		}
		return nil
	}
	// Link fails if the path appeared meanwhile: never replace a file we were told to keep.
	err = os.Link(tmp.Name(), path)
	if os.IsExist(err) {
		return existsError(path)
	}
	if err != nil {
		// No hard links on this file system: create the file exclusively instead.
		return writeExclusive(path, data)
	}
	return nil
}

func writeExclusive(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if os.IsExist(err) {
		return existsError(path)
	}
	if err != nil {
		return fmt.Errorf("writing Relay config %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path) // ours, half written
		return fmt.Errorf("writing Relay config %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("writing Relay config %s: %w", path, err)
	}
	return nil
}

func existsError(path string) error {
	return fmt.Errorf("%s already exists and was not overwritten (it may be a working Relay config): choose another path, or ask to overwrite it", path)
}
