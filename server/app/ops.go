package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"wartemarke/server/api"
	"wartemarke/server/auth"
	"wartemarke/server/metrics"
)

// Version is the running build's version; main sets it from the version
// stamped at build time. /metrics reports it.
var Version = "devel"

// minMetricsToken is the shortest metrics token accepted: a guessable one
// would open the office's figures to anyone on the network.
const minMetricsToken = 16

// checkOps validates the operations settings: TLS files and the metrics
// token file.
func (c *Config) checkOps() []error {
	var errs []error
	switch {
	case (c.TLSCertFile == "") != (c.TLSKeyFile == ""):
		errs = append(errs, errors.New("setting tls_cert_file/tls_key_file: give both or neither"))
	case c.TLSCertFile != "":
		if _, err := loadCert(c.TLSCertFile, c.TLSKeyFile); err != nil {
			errs = append(errs, fmt.Errorf("setting tls_cert_file/tls_key_file: %v", err))
		}
	}
	if c.MetricsTokenFile != "" {
		if _, err := c.metricsToken(); err != nil {
			errs = append(errs, fmt.Errorf("setting metrics_token_file: %v", err))
		}
	}
	return errs
}

// metricsToken reads the metrics token ("" when none is configured).
func (c *Config) metricsToken() (string, error) {
	if c.MetricsTokenFile == "" {
		return "", nil
	}
	b, err := os.ReadFile(c.MetricsTokenFile)
	if err != nil {
		return "", err
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < minMetricsToken || strings.ContainsAny(tok, " \t\r\n") {
		return "", fmt.Errorf("the token in %s must be one word of at least %d characters (e.g. openssl rand -hex 24)", c.MetricsTokenFile, minMetricsToken)
	}
	return tok, nil
}

// wireOps connects the operational parts to the API: /metrics, its
// token and the request timing. (/healthz's detail comes from Printers.)
func (a *App) wireOps(srv *api.Server) error {
	tok, err := a.Config.metricsToken()
	if err != nil {
		return fmt.Errorf("setting metrics_token_file: %w", err)
	}
	a.Metrics = metrics.New(metrics.Options{
		Service:  a.Service,
		Clients:  a.connectedByKind,
		Printers: a.printerStates,
		Version:  Version,
		Logger:   a.Logger.With("component", "metrics"),
	})
	srv.Metrics = a.Metrics.Handler()
	srv.MetricsToken = tok
	srv.ObserveRequest = a.Metrics.ObserveRequest
	return nil
}

// connectedByKind counts the event-stream clients by kind: kiosk and
// display (paired devices), staff (signed-in consoles), other.
func (a *App) connectedByKind(ctx context.Context) map[string]int {
	kinds := map[string]string{}
	if devices, err := a.Auth.Store.Devices(ctx); err == nil {
		for _, d := range devices {
			kinds["device:"+d.ID] = string(d.Kind)
		}
	}
	out := map[string]int{string(auth.Kiosk): 0, string(auth.Display): 0, "staff": 0, "other": 0}
	a.Hub.CountWhere(func(tag string) bool {
		first, _, _ := strings.Cut(tag, " ")
		switch {
		case strings.HasPrefix(first, "user:"):
			out["staff"]++
		case kinds[first] != "":
			out[kinds[first]]++
		default:
			out["other"]++
		}
		return false
	})
	return out
}

// printerStates lists the printers for the printer gauge, by kiosk name.
func (a *App) printerStates() []metrics.PrinterState {
	var out []metrics.PrinterState
	for _, p := range a.Slips.Status() {
		name := p.Kiosk
		if name == "" {
			name = "default"
		}
		out = append(out, metrics.PrinterState{Printer: name, State: string(p.State)})
	}
	return out
}
