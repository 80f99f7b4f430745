package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"relaycommander/flags"
)

// schema is the shape of the configuration file, for the unknown-key check.
var schema = map[string]any{
	"operator": nil,
	"redis": map[string]any{
		"hosts":           []any{map[string]any{"name": nil, "addr": nil, "username": nil, "password_env": nil, "tls": nil}},
		"dial_timeout":    nil,
		"command_timeout": nil,
	},
	"prefixes":      "prefixes",
	"relay_configs": nil,
	"launchdarkly": map[string]any{
		"base_url": nil, "allow_insecure_http": nil, "api_token": nil, "timeout": nil,
	},
	"journal_dir":            nil,
	"protected_environments": nil,
	"ui": map[string]any{
		"refresh": nil, "read_only": nil, "alt_screen": nil, "log_file": nil,
	},
	"relay":  map[string]any{"local_ttl": nil, "sdk_keys": "sdk_keys"},
	"relays": []any{map[string]any{"name": nil, "url": nil}},
}

// fileMaps are the maps of the configuration file that checkYAML reads itself, keeping the
// case of their keys (store prefixes).
type fileMaps struct {
	prefixes  map[string]flags.Target // prefixes: prefix -> {project, environment}
	sdkKeyEnv map[string]string       // relay.sdk_keys: prefix -> environment variable
}

// checkYAML parses the configuration file to report unknown keys with their line, and reads
// the prefixes map itself: viper lowercases map keys, and store prefixes are case-sensitive.
func checkYAML(file string, data []byte, fm fileMaps) (tokenInFile bool, err error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return false, fmt.Errorf("configuration file %s: %v", file, err)
	}
	if len(doc.Content) == 0 {
		return false, nil // empty, or only comments
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return false, fmt.Errorf("configuration file %s line %d: expected keys such as redis: and launchdarkly:, found a %s", file, top.Line, kindName(top))
	}
	var walk func(n *yaml.Node, shape any, path string) error
	walk = func(n *yaml.Node, shape any, path string) error {
		switch sh := shape.(type) {
		case map[string]any:
			if n.Kind != yaml.MappingNode {
				if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
					return nil
				}
				return fmt.Errorf("configuration file %s line %d: %s must hold keys, found a %s", file, n.Line, path, kindName(n))
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, val := n.Content[i], n.Content[i+1]
				key := strings.ToLower(k.Value)
				full := key
				if path != "" {
					full = path + "." + key
				}
				sub, ok := sh[key]
				if !ok {
					known := slices.Sorted(maps.Keys(sh))
					return fmt.Errorf("configuration file %s line %d: unknown key %s (known here: %s)", file, k.Line, full, strings.Join(known, ", "))
				}
				if full == "launchdarkly.api_token" && val.Value != "" {
					tokenInFile = true
				}
				if err := walk(val, sub, full); err != nil {
					return err
				}
			}
		case []any:
			if n.Kind != yaml.SequenceNode {
				return nil // a comma-separated string is accepted too; decode checks it
			}
			for i, item := range n.Content {
				if item.Kind == yaml.ScalarNode {
					continue // a plain address
				}
				if err := walk(item, sh[0], fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
		case string: // a map read here: prefixes, or relay.sdk_keys
			if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
				return nil
			}
			if sh == "sdk_keys" {
				return sdkKeysYAML(file, n, fm.sdkKeyEnv)
			}
			prefixes := fm.prefixes
			if n.Kind != yaml.MappingNode {
				return fmt.Errorf("configuration file %s line %d: prefixes must map store prefixes to {project, environment}", file, n.Line)
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, val := n.Content[i], n.Content[i+1]
				var t struct {
					Project     string `yaml:"project"`
					Environment string `yaml:"environment"`
				}
				if val.Kind != yaml.MappingNode {
					return fmt.Errorf("configuration file %s line %d: prefixes.%q must hold project: and environment:", file, val.Line, k.Value)
				}
				for j := 0; j+1 < len(val.Content); j += 2 {
					switch strings.ToLower(val.Content[j].Value) {
					case "project":
						t.Project = val.Content[j+1].Value
					case "environment":
						t.Environment = val.Content[j+1].Value
					default:
						return fmt.Errorf("configuration file %s line %d: unknown key %q under prefixes.%q (known: project, environment)", file, val.Content[j].Line, val.Content[j].Value, k.Value)
					}
				}
				if k.Value == "" || t.Project == "" || t.Environment == "" {
					return fmt.Errorf("configuration file %s line %d: prefixes.%q needs a prefix, a project and an environment", file, k.Line, k.Value)
				}
				prefixes[k.Value] = flags.Target{Project: t.Project, Environment: t.Environment}
			}
		}
		return nil
	}
	return tokenInFile, walk(top, schema, "")
}

// sdkKeysYAML reads relay.sdk_keys: store prefix -> the name of the environment variable
// holding that environment's SDK key (never the key itself).
func sdkKeysYAML(file string, n *yaml.Node, out map[string]string) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("configuration file %s line %d: relay.sdk_keys must map store prefixes to environment variable names, like ld:web-store:production: LD_SDK_KEY_PRODUCTION", file, n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if val.Kind != yaml.ScalarNode || k.Value == "" || strings.TrimSpace(val.Value) == "" {
			return fmt.Errorf("configuration file %s line %d: relay.sdk_keys.%q must name the environment variable that holds the SDK key, like LD_SDK_KEY_PRODUCTION", file, k.Line, k.Value)
		}
		if strings.HasPrefix(val.Value, "sdk-") {
			return fmt.Errorf("configuration file %s line %d: relay.sdk_keys.%q holds an SDK key; write the key into an environment variable and name the variable here", file, k.Line, k.Value)
		}
		out[k.Value] = strings.TrimSpace(val.Value)
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "map"
	case yaml.SequenceNode:
		return "list"
	default:
		return fmt.Sprintf("value %q", n.Value)
	}
}
