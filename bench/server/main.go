// Command server is the real Wartemarke service (server/app, as `go run
// ./server` wires it) set up for the display benchmark: a paired kiosk, a
// paired display and a signed-in counsellor, whose tokens it prints, no
// draw-rate limit, and its own memory figures at /debug/mem on a second,
// loopback-only listener.
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
	"wartemarke/server/auth"
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
	// The generator draws a ticket per call, faster than a kiosk may.
	cfg.DrawRatePerMinute = 1e6
	a, err := app.New(cfg, app.NewLogger(os.Stderr, cfg.LogLevel))
	if err != nil {
		log.Fatal(err)
	}
	if err := a.Start(); err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	pair := func(kind auth.DeviceKind) string {
		_, code, err := a.Auth.AddDevice(ctx, kind, "Bench "+string(kind))
		if err != nil {
			log.Fatal(err)
		}
		_, token, err := a.Auth.Pair(ctx, code)
		if err != nil {
			log.Fatal(err)
		}
		return token
	}
	kiosk, display := pair(auth.Kiosk), pair(auth.Display)
	const password = "bench password, loopback only"
	if _, err := a.Auth.AddUser(ctx, "bench", auth.RoleCounsellor, password); err != nil {
		log.Fatal(err)
	}
	staff, _, err := a.Auth.SignIn(ctx, "bench", password)
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *debugAddr)
	if err != nil {
		log.Fatal(err)
	}
	go http.Serve(ln, memstat.Handler())
	// The load generator reads the addresses from these lines.
	fmt.Printf("kiosk token %s\n", kiosk)
	fmt.Printf("display token %s\n", display)
	fmt.Printf("staff token %s\n", staff)
	fmt.Printf("debug on http://%s/debug/mem\n", ln.Addr())
	fmt.Printf("listening on %s\n", a.URL())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	<-ctx.Done()
	stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a.Close(ctx)
}
