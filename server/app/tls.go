package app

import (
	"crypto/tls"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"regexp"
	"sync"
	"time"
)

// certCheckEvery is how often the certificate files are looked at for a
// renewal: a renewed certificate is served within this, without a restart.
const certCheckEvery = time.Minute

// loadCert reads a PEM certificate chain and its key.
func loadCert(certFile, keyFile string) (*tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// TLS tells whether the service serves HTTPS itself.
func (c *Config) TLS() bool { return c.TLSCertFile != "" && c.TLSKeyFile != "" }

// certSource serves the configured certificate and reloads it when its
// files change (a renewal), keeping the old one if the new files do not load.
type certSource struct {
	certFile, keyFile string
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	checked time.Time
	mtime   time.Time
}

func newCertSource(certFile, keyFile string, log *slog.Logger) (*certSource, error) {
	c, err := loadCert(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return &certSource{certFile: certFile, keyFile: keyFile, log: log, cert: c, checked: time.Now(), mtime: newest(certFile, keyFile)}, nil
}

func (s *certSource) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Since(s.checked) > certCheckEvery {
		s.checked = time.Now()
		if m := newest(s.certFile, s.keyFile); m.After(s.mtime) {
			if c, err := loadCert(s.certFile, s.keyFile); err != nil {
				s.log.Warn("renewed certificate not loaded; serving the old one", "err", err)
			} else {
				s.cert, s.mtime = c, m
				s.log.Info("certificate reloaded")
			}
		}
	}
	return s.cert, nil
}

// newest is the later modification time of two files.
func newest(a, b string) time.Time {
	var t time.Time
	for _, f := range []string{a, b} {
		if fi, err := os.Stat(f); err == nil && fi.ModTime().After(t) {
			t = fi.ModTime()
		}
	}
	return t
}

// serve serves HTTP, or HTTPS when certificate files are configured.
func (a *App) serve(ln net.Listener) error {
	if !a.Config.TLS() {
		return a.http.Serve(ln)
	}
	src, err := newCertSource(a.Config.TLSCertFile, a.Config.TLSKeyFile, a.Logger.With("component", "tls"))
	if err != nil {
		return err
	}
	a.http.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: src.get}
	return a.http.ServeTLS(ln, "", "")
}

// scheme is the local URLs' scheme.
func (a *App) scheme() string {
	if a.Config.TLS() {
		return "https"
	}
	return "http"
}

// addrRE matches IPv4 and IPv6 addresses with or without a port, as
// net/http writes them into its error messages.
var addrRE = regexp.MustCompile(`\[[0-9A-Fa-f:.%\w]+\](:\d+)?|\b(\d{1,3}\.){3}\d{1,3}(:\d+)?\b|\b([0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}\b`)

// RedactAddrs replaces client addresses in a log message: net/http
// reports TLS handshake errors and panics "from 203.0.113.7:51234", and
// visitors' phones reach the public pages.
func RedactAddrs(s string) string { return addrRE.ReplaceAllString(s, "[address]") }

// serverErrorLog is the http.Server's error log: through slog, at warn,
// without client addresses.
func serverErrorLog(logger *slog.Logger) *log.Logger {
	inner := slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	return log.New(redactWriter{inner.Writer()}, "", 0)
}

type redactWriter struct{ w io.Writer }

func (r redactWriter) Write(b []byte) (int, error) {
	if _, err := r.w.Write([]byte(RedactAddrs(string(b)))); err != nil {
		return 0, err
	}
	return len(b), nil
}
