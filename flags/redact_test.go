package flags

import (
	"strings"
	"testing"
)

// Defect 8: a password inside a redis:// URL never appears in an error, whatever is wrong
// with the URL.
func TestOpenNeverEchoesTheURLPassword(t *testing.T) {
	const pw = "hunter2-s3cret"
	for _, addr := range []string{
		"redis://:" + pw + "@[::1",                  // malformed host
		"redis://:" + pw + "@127.0.0.1:6390/notadb", // bad database path
		"redis://ops:" + pw + "@127.0.0.1:6390/notadb",
		"rediss://:" + pw + "@127.0.0.1:badport",
	} {
		_, err := Open([]HostConfig{{Addr: addr}}, Options{})
		if err == nil {
			t.Errorf("%s: no error", RedactURL(addr))
			continue
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("the password is in the error: %v", err)
		}
		if !strings.Contains(err.Error(), "xxxxx@") {
			t.Errorf("error %q does not show the redacted URL", err)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"redis://:pw@host:6379/0":     "redis://:xxxxx@host:6379/0",
		"rediss://ops:pw@host":        "rediss://ops:xxxxx@host",
		"redis://:p@ss@[::1":          "redis://:xxxxx@[::1",
		"redis://host:6379":           "redis://host:6379",
		"127.0.0.1:6379":              "127.0.0.1:6379",
		"redis://justuser@host:6379/": "redis://justuser@host:6379/",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// A redis:// URL given as a host's display name is shown redacted too.
func TestHostNameIsRedacted(t *testing.T) {
	s, err := Open([]HostConfig{{Name: "redis://:hunter2@relay-a:6379", Addr: "redis://:hunter2@127.0.0.1:1"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.HostNames()[0]; got != "redis://:xxxxx@relay-a:6379" {
		t.Errorf("host name %q, want it redacted", got)
	}
}
