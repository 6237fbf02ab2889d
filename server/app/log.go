package app

import (
	"fmt"
	"io"
	"log/slog"
)

// NewLogger returns the service's logger at the given level.
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// PrintWelcome prints what a person needs to try the service.
func (a *App) PrintWelcome(w io.Writer) {
	u := a.URL()
	fmt.Fprintf(w, `
Wartemarke is running (%s).
  Kiosk:    %s/kiosk
  Display:  %s/display
  Console:  %s/console
  Data:     %s
  Slips:    %s
Stop with Ctrl+C.

`, a.Config.Office, u, u, u, a.Config.Data, a.Config.PrinterURL())
}
