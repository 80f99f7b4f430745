package redistest

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
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

func TestProxyAddsLatency(t *testing.T) {
	srv := Start(t)
	direct := srv.Client()
	px := StartProxy(t, srv.Addr, 30*time.Millisecond)
	c := redis.NewClient(&redis.Options{Addr: px.Addr})
	defer c.Close()
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil { // also dials
		t.Fatal(err)
	}
	start := time.Now()
	if got := c.Get(ctx, "k").Val(); got != "v" {
		t.Fatalf("GET through the proxy = %q", got)
	}
	if rt := time.Since(start); rt < 30*time.Millisecond {
		t.Errorf("round trip through the proxy took %v, want at least 30ms", rt)
	}
	start = time.Now()
	direct.Get(ctx, "k")
	if rt := time.Since(start); rt > 30*time.Millisecond {
		t.Logf("direct round trip slow (%v): busy machine", rt)
	}
	px.Close()
	if err := c.Get(ctx, "k").Err(); err == nil {
		t.Error("GET succeeded through a closed proxy")
	}
}

// A held reply: the server executes the command, the client gives up waiting.
func TestProxyHoldsReply(t *testing.T) {
	srv := Start(t)
	px := StartProxy(t, srv.Addr, 0)
	px.HoldReply("set", 400*time.Millisecond)
	c := redis.NewClient(&redis.Options{Addr: px.Addr, ReadTimeout: 150 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	ctx := context.Background()
	if err := c.Ping(ctx).Err(); err != nil { // not held
		t.Fatalf("PING through the proxy: %v", err)
	}
	if err := c.Set(ctx, "k", "v", 0).Err(); err == nil {
		t.Fatal("SET answered although its reply was held past the read timeout")
	}
	if got := srv.Client().Get(ctx, "k").Val(); got != "v" {
		t.Fatalf("server holds %q after the held SET, want v: the command must reach the server", got)
	}
	px.HoldReply("set", 0)
	if err := c.Set(ctx, "k", "w", 0).Err(); err != nil {
		t.Fatalf("SET after the hold was lifted: %v", err)
	}
}

// A reply held until released: the server has acted when held is closed, the client sees the
// answer only after release, and only that one reply waits.
func TestProxyHoldsNextReplyUntilReleased(t *testing.T) {
	srv := Start(t)
	px := StartProxy(t, srv.Addr, 0)
	c := redis.NewClient(&redis.Options{Addr: px.Addr})
	defer c.Close()
	ctx := context.Background()
	if err := c.Ping(ctx).Err(); err != nil { // dials before the hold
		t.Fatalf("PING through the proxy: %v", err)
	}
	held, release := px.HoldNextReply("SET")
	defer release()
	answered := make(chan error, 1)
	go func() { answered <- c.Set(ctx, "k", "v", 0).Err() }()
	select {
	case <-held:
	case err := <-answered:
		t.Fatalf("SET answered (%v) although its reply is held", err)
	case <-time.After(5 * time.Second):
		t.Fatal("the SET's reply was not held within 5s")
	}
	if got := srv.Client().Get(ctx, "k").Val(); got != "v" {
		t.Fatalf("server holds %q while the SET's reply is held, want v: held means the server acted", got)
	}
	select {
	case err := <-answered:
		t.Fatalf("SET answered (%v) before the release", err)
	default:
	}
	release()
	select {
	case err := <-answered:
		if err != nil {
			t.Fatalf("SET after the release: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no answer to the SET within 5s of the release")
	}
	if err := c.Set(ctx, "k", "w", 0).Err(); err != nil { // the hold was for one reply
		t.Fatalf("a second SET: %v", err)
	}
}
