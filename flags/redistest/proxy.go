package redistest

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy is a loopback TCP proxy between a client and a Redis server that makes the network
// misbehave on purpose: it delays everything the client sends by a fixed latency (each
// request/response round trip costs that much more, like a host far away), and it can hold
// back the reply to a chosen command, so that the client times out after the server acted.
// Pipelined requests share one delay: it adds latency, not a bandwidth limit.
type Proxy struct {
	// Addr is the proxy's host:port; clients connect here instead of the server.
	Addr   string
	target string
	delay  time.Duration
	ln     net.Listener
	mu     sync.Mutex
	conns  []net.Conn
	hold   map[string]time.Duration // command (RESP bulk string, lower case) -> how long its reply is held
	gates  []*replyGate             // one-shot holds not yet met (HoldNextReply)
	closed chan struct{}            // closed by Close: every gate opens
	close1 sync.Once
	wg     sync.WaitGroup
}

// replyGate holds one reply until the test releases it (HoldNextReply).
type replyGate struct {
	bulk    []byte        // the command as a RESP bulk string, lower case
	held    chan struct{} // closed when the reply has come from the server
	release chan struct{} // closed by the release func
	once    sync.Once
}

// StartProxy forwards a new loopback port to target with the given delay per round trip,
// and stops when the test ends.
func StartProxy(tb testing.TB, target string, delay time.Duration) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("redistest: proxy listen: %v", err)
	}
	p := &Proxy{Addr: ln.Addr().String(), target: target, delay: delay, ln: ln, hold: map[string]time.Duration{},
		closed: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	tb.Cleanup(p.Close)
	return p
}

// HoldReply makes the proxy hold the server's reply to every later command named cmd (for
// example "exec") for d before passing it on; d = 0 stops holding. The server has executed
// the command by then: a client whose timeout is shorter than d sees an error for a command
// that took effect.
func (p *Proxy) HoldReply(cmd string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cmd = strings.ToLower(cmd)
	if d <= 0 {
		delete(p.hold, cmd)
		return
	}
	p.hold[cmd] = d
}

// HoldNextReply holds the server's reply to the next request that contains cmd (for example
// "hget") until release is called or the proxy closes. held is closed when that reply has
// come from the server: the server has acted on the request and the client has not seen the
// answer yet, the window in which a test lets another writer in before releasing it. Only
// that one reply (and what the same connection sends after it) waits; release may be called
// more than once.
func (p *Proxy) HoldNextReply(cmd string) (held <-chan struct{}, release func()) {
	cmd = strings.ToLower(cmd)
	g := &replyGate{bulk: []byte("$" + strconv.Itoa(len(cmd)) + "\r\n" + cmd + "\r\n"),
		held: make(chan struct{}), release: make(chan struct{})}
	p.mu.Lock()
	p.gates = append(p.gates, g)
	p.mu.Unlock()
	return g.held, func() { g.once.Do(func() { close(g.release) }) }
}

// gateFor takes the first waiting one-shot hold whose command a chunk of requests contains.
func (p *Proxy) gateFor(chunk []byte) *replyGate {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.gates) == 0 {
		return nil
	}
	lower := bytes.ToLower(chunk)
	for i, g := range p.gates {
		if bytes.Contains(lower, g.bulk) {
			p.gates = append(p.gates[:i], p.gates[i+1:]...)
			return g
		}
	}
	return nil
}

// holdFor is how long the reply to a chunk of requests is held: the longest hold of a
// command it contains, matched on the command's RESP bulk string ("$4\r\nexec\r\n").
func (p *Proxy) holdFor(chunk []byte) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.hold) == 0 {
		return 0
	}
	lower := bytes.ToLower(chunk)
	var d time.Duration
	for cmd, h := range p.hold {
		bulk := "$" + strconv.Itoa(len(cmd)) + "\r\n" + cmd + "\r\n"
		if h > d && bytes.Contains(lower, []byte(bulk)) {
			d = h
		}
	}
	return d
}

// Close stops accepting and cuts every proxied connection.
func (p *Proxy) Close() {
	p.close1.Do(func() { close(p.closed) })
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, client, server)
		p.mu.Unlock()
		// held is the hold the next reply gets, and gate the one-shot hold it waits for,
		// set when a request with a held command is passed to the server.
		var held atomic.Int64
		var gate atomic.Pointer[replyGate]
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			p.forwardDelayed(client, server, &held, &gate)
		}()
		go func() {
			defer p.wg.Done()
			p.forwardReplies(server, client, &held, &gate)
		}()
	}
}

// forwardDelayed copies requests from src to dst, each chunk sent delay after it arrived,
// in order, noting in held how long the reply to a chunk must be held, and in gate the
// one-shot hold it waits for.
func (p *Proxy) forwardDelayed(src, dst net.Conn, held *atomic.Int64, gate *atomic.Pointer[replyGate]) {
	type chunk struct {
		data []byte
		due  time.Time
		hold time.Duration
		gate *replyGate
	}
	queue := make(chan chunk, 1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for c := range queue {
			time.Sleep(time.Until(c.due))
			if c.hold > 0 {
				held.Store(int64(c.hold))
			}
			if c.gate != nil {
				gate.Store(c.gate)
			}
			if _, err := dst.Write(c.data); err != nil {
				for range queue { // drain so the reader never blocks
				}
				return
			}
		}
	}()
	buf := make([]byte, 64*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			data := append([]byte(nil), buf[:n]...)
			queue <- chunk{data, time.Now().Add(p.delay), p.holdFor(data), p.gateFor(data)}
		}
		if err != nil {
			break
		}
	}
	close(queue)
	<-done
	src.Close()
	dst.Close()
}

// forwardReplies copies replies from src to dst, holding the first chunk that follows a
// request with a held command (for its duration, or until its gate is released). Replies
// come in order, so everything after it waits too.
func (p *Proxy) forwardReplies(src, dst net.Conn, held *atomic.Int64, gate *atomic.Pointer[replyGate]) {
	defer src.Close()
	defer dst.Close()
	buf := make([]byte, 64*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if d := time.Duration(held.Swap(0)); d > 0 {
				time.Sleep(d)
			}
			if g := gate.Swap(nil); g != nil {
				close(g.held)
				select {
				case <-g.release:
				case <-p.closed:
				}
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				_, _ = io.Copy(io.Discard, src)
				return
			}
		}
		if err != nil {
			return
		}
	}
}
