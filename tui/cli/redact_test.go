package cli

import (
	"strings"
	"testing"
)

// No command prints a password given inside a redis:// URL: not in configuration errors
// (a URL that does not parse, a database that is not a number), not when the host is
// unreachable, not in config's listing (issue 11, item 8).
func TestRedisPasswordNeverPrinted(t *testing.T) {
	addrs := []string{"redis://:hunter2@[::1", "redis://:hunter2@127.0.0.1:6379/notadb", "redis://u:hunter2@127.0.0.1:1/0"}
	commands := [][]string{
		{"flags"}, {"flags", "--json"}, {"status"}, {"status", "--json"}, {"config"}, {"config", "--json"}, {"queue"},
		{"update", "-p", "web-store", "-e", "production", "-f", "x", "-s", "on", "--yes"},
		{"update", "-p", "web-store", "-e", "production", "-f", "x", "-s", "on", "--yes", "--json"},
	}
	for _, addr := range addrs {
		for _, inFile := range []bool{false, true} {
			for _, args := range commands {
				h := newHarness(t)
				if inFile {
					h.write("relaycommander.yaml", "redis:\n  hosts:\n    - name: main\n      addr: \""+addr+"\"\n", 0o600)
				} else {
					h.env["RC_REDIS_HOSTS"] = addr
				}
				g := h.run("", false, args...)
				if strings.Contains(g.stdout+g.stderr, "hunter2") {
					t.Errorf("%s (in file %v): relaycommander %s prints the password:\nstdout:\n%s\nstderr:\n%s",
						addr, inFile, strings.Join(args, " "), g.stdout, g.stderr)
				}
			}
		}
	}
}
