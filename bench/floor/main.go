// Command floor is the floor of the display benchmark: the barest
// gorilla/websocket broadcaster that still keeps gorilla's rules. It accepts
// websocket connections at /ws and, on POST /broadcast, writes one message
// of the size of a Wartemarke call event to every connection. Nothing else:
// no store, no snapshot, no ring, no pings.
//
// Per connection it holds what any gorilla server must: the *websocket.Conn
// with a 1 KiB read buffer (writes borrow a buffer from a sync.Pool) and one
// reader goroutine, which processes control frames and notices a closed
// connection. A broadcast is written by a few writer goroutines that share
// the connections between them, each write under a deadline, so that at
// most one goroutine writes to a connection at a time.
//
// The figures of the hub in BENCHMARKS.md are ratios to this program's,
// measured in the same run with the same load generator (bench/displays).
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"wartemarke/bench/internal/memstat"
)

const (
	// writeWait bounds one write, as in gorilla's examples.
	writeWait = 10 * time.Second
	// batch is how many connections a writer takes at a time.
	batch = 32
)

// event is a Wartemarke ticket.called event of typical size; %d is the seq.
const event = `{"seq":%d,"type":"ticket.called","at":"2026-11-25T09:12:03.123Z","ticket":{"id":"k3j9x2m4qz","number":"M-012",` +
	`"line":"mbe","issued_line":"mbe","lang":"ar","status":"called","day":"2026-11-25","issued_at":"2026-11-25T08:58:41.512Z",` +
	`"called_at":"2026-11-25T09:12:03.123Z","desk":"Raum 2.14","recalls":0,"place":%d,"print":"printed"}}`

type floor struct {
	up      websocket.Upgrader
	writers int

	mu    sync.Mutex
	conns map[*websocket.Conn]struct{}
	seq   int64

	queue chan []*websocket.Conn
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	writers := flag.Int("writers", runtime.GOMAXPROCS(0), "writer goroutines per broadcast")
	flag.Parse()

	f := &floor{
		up: websocket.Upgrader{
			ReadBufferSize:  1024,
			WriteBufferSize: 1024,
			WriteBufferPool: &sync.Pool{},
		},
		writers: max(1, *writers),
		conns:   make(map[*websocket.Conn]struct{}),
		queue:   make(chan []*websocket.Conn, 64),
	}
	go f.broadcaster()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws", f.serveWS)
	mux.HandleFunc("POST /broadcast", f.serveBroadcast)
	mux.Handle("/debug/mem", memstat.Handler())

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	// The load generator reads the address from this line.
	fmt.Printf("listening on http://%s\n", ln.Addr())
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		os.Exit(0)
	}()
	log.Fatal(http.Serve(ln, mux))
}

func (f *floor) serveWS(w http.ResponseWriter, r *http.Request) {
	c, err := f.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	f.mu.Lock()
	f.conns[c] = struct{}{}
	f.mu.Unlock()
	go func() {
		c.SetReadLimit(512)
		for {
			if _, _, err := c.NextReader(); err != nil {
				break
			}
		}
		f.mu.Lock()
		delete(f.conns, c)
		f.mu.Unlock()
		c.Close()
	}()
}

// serveBroadcast queues one broadcast to every connection and answers 202
// at once, as the API answers Next before the hub has written the call.
func (f *floor) serveBroadcast(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	list := make([]*websocket.Conn, 0, len(f.conns))
	for c := range f.conns {
		list = append(list, c)
	}
	f.mu.Unlock()
	f.queue <- list
	w.WriteHeader(http.StatusAccepted)
}

func (f *floor) broadcaster() {
	for list := range f.queue {
		f.seq++
		pm, err := websocket.NewPreparedMessage(websocket.TextMessage, fmt.Appendf(nil, event, f.seq, f.seq))
		if err != nil {
			log.Fatal(err)
		}
		var next atomic.Int64
		var wg sync.WaitGroup
		for range f.writers {
			wg.Go(func() {
				for {
					end := int(next.Add(batch))
					start := end - batch
					if start >= len(list) {
						return
					}
					for _, c := range list[start:min(end, len(list))] {
						c.SetWriteDeadline(time.Now().Add(writeWait))
						if err := c.WritePreparedMessage(pm); err != nil {
							c.Close()
						}
					}
				}
			})
		}
		wg.Wait()
	}
}
