package flags

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"relaycommander/flags/redistest"
)

// TestConnectionSetupCommands proves what a fresh Store sends to toggle one flag: WATCH+HGET,
// MULTI/HSET/EXEC and nothing else (no HELLO, no CLIENT SETINFO, no PING); AUTH only with a
// password, SELECT only with a db.
func TestConnectionSetupCommands(t *testing.T) {
	const prefix, key = "ld:web-store:production", "kill-switch-checkout"
	for _, tc := range []struct {
		name     string
		password string
		url      string // %s: the address
		extra    map[string]int
	}{
		{name: "plain"},
		{name: "password", password: "s3cret", extra: map[string]int{"auth": 1}},
		{name: "db", url: "redis://%s/2", extra: map[string]int{"select": 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opts []redistest.Option
			if tc.password != "" {
				opts = append(opts, redistest.WithPassword(tc.password))
			}
			srv := redistest.StartWithFixture(t, opts...)
			if !srv.Real() {
				t.Skip("INFO commandstats needs a real redis-server")
			}
			addr := srv.Addr
			if tc.url != "" {
				addr = strings.Replace(tc.url, "%s", srv.Addr, 1)
			}
			counter := srv.Client()
			if tc.url != "" { // the flag in db 2 too
				raw := counter.HGet(context.Background(), prefix+featuresSuffix, key).Val()
				db2 := redis.NewClient(&redis.Options{Addr: srv.Addr, DB: 2})
				defer db2.Close()
				if err := db2.HSet(context.Background(), prefix+featuresSuffix, key, raw).Err(); err != nil {
					t.Fatal(err)
				}
			}
			if err := counter.ConfigResetStat(context.Background()).Err(); err != nil {
				t.Fatal(err)
			}
			s, err := Open([]HostConfig{{Addr: addr, Password: tc.password}}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			res := s.Toggle(context.Background(), prefix, key, false)
			if res.Hosts[0].Outcome != Written {
				t.Fatalf("toggle: %+v", res.Hosts[0])
			}
			got := redistest.CommandCalls(t, counter)
			want := map[string]int{"watch": 1, "hget": 1, "multi": 1, "hset": 1, "exec": 1}
			for k, v := range tc.extra {
				want[k] = v
			}
			if len(got) != len(want) {
				t.Errorf("commands sent: %v, want %v", got, want)
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("commands sent: %v, want %v", got, want)
					break
				}
			}
		})
	}
}
