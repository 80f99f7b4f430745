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
	wg     sync.WaitGroup
}

// StartProxy forwards a new loopback port to target with the given delay per round trip,
// and stops when the test ends.
func StartProxy(tb testing.TB, target string, delay time.Duration) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("redistest: proxy listen: %v", err)
	}
	p := &Proxy{Addr: ln.Addr().String(), target: target, delay: delay, ln: ln, hold: map[string]time.Duration{}}
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
		// held is the hold the next reply gets, set when a request with a held command
		// is passed to the server.
		var held atomic.Int64
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			p.forwardDelayed(client, server, &held)
		}()
		go func() {
			defer p.wg.Done()
			p.forwardReplies(server, client, &held)
		}()
	}
}

// forwardDelayed copies requests from src to dst, each chunk sent delay after it arrived,
// in order, noting in held how long the reply to a chunk must be held.
func (p *Proxy) forwardDelayed(src, dst net.Conn, held *atomic.Int64) {
	type chunk struct {
		data []byte
		due  time.Time
		hold time.Duration
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
			queue <- chunk{data, time.Now().Add(p.delay), p.holdFor(data)}
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
// request with a held command. Replies come in order, so everything after it waits too.
func (p *Proxy) forwardReplies(src, dst net.Conn, held *atomic.Int64) {
	defer src.Close()
	defer dst.Close()
	buf := make([]byte, 64*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if d := time.Duration(held.Swap(0)); d > 0 {
				time.Sleep(d)
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
