package redistest

import (
	"context"
	"testing"
)

func TestStartLoadStopRestart(t *testing.T) {
	s := StartWithFixture(t)
	if s.Addr == "" || s.Addr == "127.0.0.1:6379" {
		t.Fatalf("unexpected address %q", s.Addr)
	}
	ctx := context.Background()
	c := s.Client()
	n, err := c.HLen(ctx, "ld:web-store:production:features").Result()
	if err != nil || n != 10 {
		t.Fatalf("HLEN features = %d, %v; want 10", n, err)
	}
	if exists, _ := c.Exists(ctx, "ld:internal-tools:production:$inited").Result(); exists != 0 {
		t.Fatalf("internal-tools must have no $inited")
	}
	s.Stop()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatalf("PING succeeded on a stopped server")
	}
	s.Restart()
	if err := s.Client().Ping(ctx).Err(); err != nil {
		t.Fatalf("PING after restart: %v", err)
	}
}

func TestPassword(t *testing.T) {
	s := Start(t, WithPassword("s3cret"))
	if err := s.Client().Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING with password: %v", err)
	}
}
