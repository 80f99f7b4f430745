package flags

import (
	"context"
	"errors"
	"strings"
	"testing"

	"relaycommander/flags/redistest"
)

// A *:features key that is not a hash answers WRONGTYPE: that is what is reported, not that
// no host answered.
func TestFlagsReportsWrongType(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	srv.Client().Set(ctx, "ld:p:e:features", "not a hash", 0)
	s := openStore(t, Options{}, srv)
	_, err := s.Flags(ctx, "ld:p:e")
	if err == nil || !errors.Is(err, ErrWrongType) || !strings.Contains(err.Error(), "WRONGTYPE") ||
		!strings.Contains(err.Error(), "relay-a") || strings.Contains(err.Error(), "no Redis host answered") {
		t.Fatalf("Flags on a string key = %v, want the WRONGTYPE reply named with its host", err)
	}
	if _, err := s.Flag(ctx, "ld:p:e", "f"); !errors.Is(err, ErrWrongType) {
		t.Errorf("Flag on a string key = %v, want ErrWrongType", err)
	}
	if r := s.Toggle(ctx, "ld:p:e", "f", false).Hosts[0]; r.Outcome != Failed || !errors.Is(r.Err, ErrWrongType) {
		t.Errorf("Toggle on a string key = %+v, want failed with ErrWrongType", r)
	}
	if _, err := s.ReadFields(ctx, map[string][]string{"ld:p:e": {"f"}}); !errors.Is(err, ErrWrongType) ||
		strings.Contains(err.Error(), "no Redis host answered") {
		t.Errorf("ReadFields on a string key = %v, want ErrWrongType, not 'no Redis host answered'", err)
	}
	p := s.PrepareToggle(ctx, "ld:p:e", "f", false)
	if r := p.Abort().Hosts[0]; !errors.Is(r.Err, ErrWrongType) {
		t.Errorf("PrepareToggle on a string key: host result %+v, want ErrWrongType", r)
	}
}

// A flag whose JSON no host can read says why (the parser's reason, per host).
func TestUnreadableSaysWhy(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	srv.Client().HSet(ctx, "ld:p:e:features", "broken", `{"key":"broken","on":"off","variations":[],"version":3}`)
	s := openStore(t, Options{}, srv)
	f, err := s.Flag(ctx, "ld:p:e", "broken")
	if err != nil {
		t.Fatal(err)
	}
	err = f.Unreadable()
	if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), `"on" is "off", not a JSON boolean`) ||
		!strings.Contains(err.Error(), "relay-a") || !strings.Contains(err.Error(), `"broken"`) {
		t.Errorf("Unreadable() = %v, want the parser's reason for host relay-a", err)
	}
	srv.Client().HSet(ctx, "ld:p:e:features", "fine", relayFlag("fine", "1"))
	if f, _ := s.Flag(ctx, "ld:p:e", "fine"); f.Unreadable() != nil {
		t.Errorf("a readable flag: Unreadable() = %v", f.Unreadable())
	}
}
