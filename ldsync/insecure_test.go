package ldsync

import (
	"strings"
	"testing"
)

// Plain HTTP to another machine would send the API token in clear: refused unless the
// configuration allows it explicitly. Loopback (test servers, a local proxy) is fine.
func TestNewClientRefusesPlainHTTPOffThisMachine(t *testing.T) {
	_, err := NewClient(ClientConfig{BaseURL: "http://ld.example.com", Token: "api-x"})
	if err == nil || !strings.Contains(err.Error(), "http://ld.example.com") || !strings.Contains(err.Error(), "https://") ||
		!strings.Contains(err.Error(), "allow insecure HTTP") {
		t.Errorf("http:// to another host: err = %v, want a refusal naming the URL and the fix", err)
	}
	if _, err := NewClient(ClientConfig{BaseURL: "http://ld.example.com", Token: "api-x", AllowInsecureHTTP: true}); err != nil {
		t.Errorf("explicitly allowed: %v", err)
	}
	for _, base := range []string{"http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:2"} {
		if _, err := NewClient(ClientConfig{BaseURL: base, Token: "api-x"}); err != nil {
			t.Errorf("%s: %v, want loopback accepted", base, err)
		}
	}
}
