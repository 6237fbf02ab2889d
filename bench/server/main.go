// Command server is the real Wartemarke service (server/app, as `go run
// ./server` wires it) plus one thing for the display benchmark: its own
// memory figures at /debug/mem on a second, loopback-only listener.
//
//	go run ./bench/server -data /tmp/bench-data
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata"

	"wartemarke/bench/internal/memstat"
	"wartemarke/server/app"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address of the service")
	debugAddr := flag.String("debug-addr", "127.0.0.1:0", "listen address of /debug/mem")
	data := flag.String("data", "", "data folder (required; use a fresh one)")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	flag.Parse()
	if *data == "" {
		log.Fatal("-data is required")
	}

	cfg := app.DefaultConfig()
	cfg.Addr = *addr
	cfg.Data = *data
	cfg.Printer = "none"
	cfg.LogLevel = *logLevel
	a, err := app.New(cfg, app.NewLogger(os.Stderr, cfg.LogLevel))
	if err != nil {
		log.Fatal(err)
	}
	if err := a.Start(); err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *debugAddr)
	if err != nil {
		log.Fatal(err)
	}
	go http.Serve(ln, memstat.Handler())
	// The load generator reads the addresses from these lines.
	fmt.Printf("listening on %s\n", a.URL())
	fmt.Printf("debug on http://%s/debug/mem\n", ln.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	<-ctx.Done()
	stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a.Close(ctx)
}
