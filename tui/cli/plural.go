package cli

import "fmt"

// count is n with the words that agree with it: count(1, "host", "hosts") is "1 host",
// count(2, "change was", "changes were") is "2 changes were". Every count of something in
// the command line's text output goes through it: no "1 hosts", no "change(s)".
func count(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// allHosts is what a write covers: "all 2 Redis hosts", or "the only Redis host".
func allHosts(n int) string {
	if n == 1 {
		return "the only Redis host"
	}
	return "all " + count(n, "Redis host", "Redis hosts")
}
