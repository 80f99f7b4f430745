package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"relaycommander/flags"
	"relaycommander/flags/fixture"
	"relaycommander/flags/redistest"
)

// The commands' costs against their floors, each floor run beside the product in the same
// iteration so that both meet the same load on a shared machine; the ratio is x-floor.
// RC_TEST_REQUIRE_REDIS=1 go test ./tui/cli/ -run '^$' -bench . -count 5

const benchPrefix = "ld:bench:test"

// loadBenchFlags fills benchPrefix with n flags of the fixture's shapes, plus extra flags
// (key -> JSON).
func loadBenchFlags(tb testing.TB, srv *redistest.Server, n int, extra map[string]string) {
	tb.Helper()
	fx := fixture.Load()["ld:web-store:production"].Features
	var shapes []string
	for _, k := range sortedMapKeys(fx) {
		shapes = append(shapes, fx[k])
	}
	args := make([]any, 0, 2*(n+len(extra)))
	for i := 0; i < n; i++ {
		key := fmt.Sprintf("flag-%05d", i)
		args = append(args, key, strings.Replace(shapes[i%len(shapes)], `"key":"`, `"key":"`+key+`-`, 1))
	}
	for k, v := range extra {
		args = append(args, k, v)
	}
	c := srv.Client()
	ctx := context.Background()
	if err := c.HSet(ctx, benchPrefix+":features", args...).Err(); err != nil {
		tb.Fatal(err)
	}
	c.Set(ctx, benchPrefix+":$inited", "", 0)
}

func sortedMapKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// benchSystem is a System for commands run as function calls, output discarded.
func benchSystem(b *testing.B, hosts []string, stdout io.Writer) *System {
	return &System{
		Stdin: strings.NewReader(""), Stdout: stdout, Stderr: io.Discard,
		Env: map[string]string{"RC_REDIS_HOSTS": strings.Join(hosts, ","), "RC_JOURNAL_DIR": b.TempDir()},
		Dir: b.TempDir(), Operator: func() string { return "bench" },
	}
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// BenchmarkUpdateVsFloor is update --yes (journal, WATCH+HGET, MULTI/HSET/EXEC on every
// host, the report) against its floor: go-redis doing WATCH+HGET then MULTI/HSET/EXEC on
// every host at once over warm connections, each host behind a proxy adding 20 ms per round
// trip. Goal: x-floor <= 1.3 at 500 and 20,000 flags per prefix, on 1 and 10 hosts.
func BenchmarkUpdateVsFloor(b *testing.B) {
	for _, flagsPerPrefix := range []int{500, 20000} {
		for _, hosts := range []int{1, 10} {
			b.Run(fmt.Sprintf("flags=%d/hosts=%d", flagsPerPrefix, hosts), func(b *testing.B) {
				benchUpdate(b, flagsPerPrefix, hosts)
			})
		}
	}
}

func benchUpdate(b *testing.B, flagsPerPrefix, nHosts int) {
	kill := fixture.Load()["ld:web-store:production"].Features["kill-switch-checkout"]
	shape := func(key string) string {
		return strings.Replace(kill, `"key":"kill-switch-checkout"`, `"key":"`+key+`"`, 1)
	}
	const productKey, floorKey = "bench-product", "bench-floor"
	var addrs []string
	var floor []*redis.Client
	for i := 0; i < nHosts; i++ {
		srv := redistest.Start(b)
		loadBenchFlags(b, srv, flagsPerPrefix, map[string]string{productKey: shape(productKey), floorKey: shape(floorKey)})
		px := redistest.StartProxy(b, srv.Addr, 20*time.Millisecond)
		addrs = append(addrs, px.Addr)
		c := redis.NewClient(&redis.Options{Addr: px.Addr, Protocol: 2})
		b.Cleanup(func() { c.Close() })
		if err := c.Ping(context.Background()).Err(); err != nil { // warm
			b.Fatal(err)
		}
		floor = append(floor, c)
	}
	sys := benchSystem(b, addrs, io.Discard)
	ctx := context.Background()
	hash := benchPrefix + ":features"
	version := 1000
	floorToggle := func(on bool) {
		version++
		var wg sync.WaitGroup
		for _, c := range floor {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := c.Watch(ctx, func(tx *redis.Tx) error {
					watch := redis.NewStatusCmd(ctx, "watch", hash)
					var get *redis.StringCmd
					if _, err := tx.Pipelined(ctx, func(p redis.Pipeliner) error {
						_ = p.Process(ctx, watch)
						get = p.HGet(ctx, hash, floorKey)
						return nil
					}); err != nil {
						return err
					}
					updated, err := flags.SetOnAndVersion(get.Val(), on, version)
					if err != nil {
						return err
					}
					_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
						p.HSet(ctx, hash, floorKey, updated)
						return nil
					})
					return err
				})
				if err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	on := false
	var tProduct, tFloor time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		floorToggle(on)
		tFloor += time.Since(start)

		start = time.Now()
		if code := Run(ctx, sys, []string{"update", "--prefix", benchPrefix, "-f", productKey, "-s", onOff(on), "--yes"}); code != 0 {
			b.Fatalf("update: exit %d", code)
		}
		tProduct += time.Since(start)
		on = !on
	}
	b.ReportMetric(float64(tProduct)/float64(tFloor), "x-floor")
	b.ReportMetric(float64(tProduct.Microseconds())/1000/float64(b.N), "update-ms/op")
	b.ReportMetric(float64(tFloor.Microseconds())/1000/float64(b.N), "floor-ms/op")
}

// countingWriter counts what a command prints.
type countingWriter struct{ n int }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// BenchmarkFlagsJSONVsRawFetch is flags --prefix P --json on 1,000 flags stored on 2 hosts
// (no added latency) against the raw fetch: HGETALL on both hosts at once over warm
// connections, unparsed. Goal: x-floor <= 1.3 with standard output not a terminal (compact
// JSON); tty=true is the indented form a terminal gets. x-dial-floor is the same against the
// fetch a command cannot avoid: new connections to both hosts (RESP2, as the product
// speaks), then HGETALL on both at once.
func BenchmarkFlagsJSONVsRawFetch(b *testing.B) {
	b.Run("tty=false", func(b *testing.B) { benchFlagsJSON(b, false) })
	b.Run("tty=true", func(b *testing.B) { benchFlagsJSON(b, true) })
}

func benchFlagsJSON(b *testing.B, tty bool) {
	var addrs []string
	var raw []*redis.Client
	for i := 0; i < 2; i++ {
		srv := redistest.Start(b)
		loadBenchFlags(b, srv, 1000, nil)
		addrs = append(addrs, srv.Addr)
		c := redis.NewClient(&redis.Options{Addr: srv.Addr})
		b.Cleanup(func() { c.Close() })
		raw = append(raw, c)
	}
	out := &countingWriter{}
	sys := benchSystem(b, addrs, out)
	sys.StdoutTTY = tty
	ctx := context.Background()
	fetch := func() {
		var wg sync.WaitGroup
		for _, c := range raw {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if n := len(c.HGetAll(ctx, benchPrefix+":features").Val()); n != 1000 {
					b.Errorf("HGETALL: %d fields", n)
				}
			}()
		}
		wg.Wait()
	}
	dialFetch := func() {
		var wg sync.WaitGroup
		for _, addr := range addrs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
				defer c.Close()
				if n := len(c.HGetAll(ctx, benchPrefix+":features").Val()); n != 1000 {
					b.Errorf("HGETALL on a new connection: %d fields", n)
				}
			}()
		}
		wg.Wait()
	}
	fetch()
	var tProduct, tFloor, tDialFloor time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		fetch()
		tFloor += time.Since(start)

		start = time.Now()
		dialFetch()
		tDialFloor += time.Since(start)

		out.n = 0
		start = time.Now()
		if code := Run(ctx, sys, []string{"flags", "--prefix", benchPrefix, "--json"}); code != 0 {
			b.Fatalf("flags: exit %d", code)
		}
		tProduct += time.Since(start)
	}
	b.ReportMetric(float64(tProduct)/float64(tFloor), "x-floor")
	b.ReportMetric(float64(tProduct)/float64(tDialFloor), "x-dial-floor")
	b.ReportMetric(float64(tProduct.Microseconds())/1000/float64(b.N), "flags-ms/op")
	b.ReportMetric(float64(tFloor.Microseconds())/1000/float64(b.N), "raw-ms/op")
	b.ReportMetric(float64(tDialFloor.Microseconds())/1000/float64(b.N), "dial-raw-ms/op")
	b.ReportMetric(float64(out.n), "json-bytes")
}
