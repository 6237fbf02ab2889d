// Command server runs Wartemarke, the queue-ticket service of the
// Bürgerbüro's migration counselling walk-in consultation.
//
//	go run ./server [--addr :8080] [--data ./data] [--config wartemarke.json]
//	go run ./server --version
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
	_ "time/tzdata" // the office's time zone works on boxes without zoneinfo

	"wartemarke/server/app"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	app.Version = versionString()
	if isVersionArg(args) {
		fmt.Printf("wartemarke %s %s/%s %s\n", app.Version, runtime.GOOS, runtime.GOARCH, runtime.Version())
		return 0
	}
	if len(args) > 0 && app.Commands[args[0]] {
		return app.RunCommand(args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	}
	cfg, err := app.Parse(args, os.Getenv, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wartemarke:", err)
		return 2
	}
	logger := app.NewLogger(os.Stderr, cfg.LogLevel)
	// Listen for signals before anything starts, so a stop request that
	// arrives during start-up is a graceful one too.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.New(cfg, logger)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wartemarke:", err)
		return 1
	}
	if err := a.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "wartemarke:", err)
		a.Close(context.Background())
		return 1
	}
	if err := a.Bootstrap(context.Background(), os.Stdout); err != nil {
		logger.Error("first-start setup", "err", err)
	}
	a.PrintWelcome(os.Stdout)

	<-ctx.Done()
	stop()
	logger.Info("shutting down")
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Close(cctx); err != nil {
		logger.Error("shutdown", "err", err)
		return 1
	}
	return 0
}
