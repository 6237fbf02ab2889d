package app

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"wartemarke/server/auth"
)

// startApp starts a service on a free port with data in a fresh folder.
func startApp(t *testing.T, cfg Config, logs io.Writer) *App {
	t.Helper()
	auth.BcryptCost = 4
	if logs == nil {
		logs = io.Discard
	}
	a, err := New(cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(context.Background()) })
	return a
}

func testConfig(t *testing.T) Config {
	cfg := DefaultConfig()
	cfg.Addr, cfg.Data, cfg.Printer = "127.0.0.1:0", t.TempDir(), "none"
	return cfg
}

func call(t *testing.T, c *http.Client, method, url, bearer, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// metricValue finds one sample in the text format: name{labels} value.
func metricValue(body, sample string) (float64, bool) {
	for line := range strings.SplitSeq(body, "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil
		}
	}
	return 0, false
}

// TestMetrics draws, calls and connects a display, then reads /metrics
// with the metrics token: the figures follow, every metric has help text,
// and nothing of the visitors (ticket ids, numbers, tokens, languages)
// appears. Without the token only an admin may read it.
func TestMetrics(t *testing.T) {
	cfg := testConfig(t)
	cfg.Printer = "file://" + t.TempDir()
	cfg.MetricsTokenFile = filepath.Join(t.TempDir(), "metrics-token")
	const metricsToken = "0123456789abcdef0123456789abcdef"
	os.WriteFile(cfg.MetricsTokenFile, []byte(metricsToken+"\n"), 0o600)
	a := startApp(t, cfg, nil)
	ctx := context.Background()
	_, code, _ := a.Auth.AddDevice(ctx, auth.Kiosk, "Eingang")
	_, kiosk, err := a.Auth.Pair(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	_, code, _ = a.Auth.AddDevice(ctx, auth.Display, "Warteraum")
	_, display, _ := a.Auth.Pair(ctx, code)
	a.Auth.AddUser(ctx, "chefin", auth.RoleAdmin, "a long test password")
	admin, _, _ := a.Auth.SignIn(ctx, "chefin", "a long test password")
	a.Auth.AddUser(ctx, "berater", auth.RoleCounsellor, "a long test password")
	counsellor, _, _ := a.Auth.SignIn(ctx, "berater", "a long test password")

	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(a.URL(), "http")+"/api/v1/events",
		http.Header{"Authorization": {"Bearer " + display}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	var secrets []string
	for i, line := range []string{"mbe", "mbe", "jmd"} {
		status, body := call(t, http.DefaultClient, "POST", a.URL()+"/api/v1/tickets", kiosk, `{"line":"`+line+`","lang":"ar"}`)
		if status != 201 {
			t.Fatalf("draw %d: %d %s", i, status, body)
		}
		for _, key := range []string{"id", "token", "number"} {
			if m := regexp.MustCompile(`"` + key + `":"([^"]+)"`).FindStringSubmatch(body); m != nil {
				secrets = append(secrets, m[1])
			}
		}
	}
	if status, body := call(t, http.DefaultClient, "POST", a.URL()+"/api/v1/desks/Empore/next", counsellor, `{"lines":["mbe"]}`); status != 200 {
		t.Fatalf("next: %d %s", status, body)
	}

	want := map[string]float64{
		`wartemarke_tickets_drawn_total{line="mbe"}`:                                                2,
		`wartemarke_tickets_drawn_total{line="jmd"}`:                                                1,
		`wartemarke_tickets_called_total{line="mbe"}`:                                               1,
		`wartemarke_tickets_called_total{line="jmd"}`:                                               0,
		`wartemarke_tickets_waiting{line="mbe"}`:                                                    1,
		`wartemarke_tickets_waiting{line="jmd"}`:                                                    1,
		`wartemarke_wait_seconds_count{line="mbe"}`:                                                 1,
		`wartemarke_event_clients{kind="display"}`:                                                  1,
		`wartemarke_event_clients{kind="kiosk"}`:                                                    0,
		`wartemarke_slips_total{outcome="printed"}`:                                                 3,
		`wartemarke_printer_state{printer="default"}`:                                               -1, // a folder reports no state
		`wartemarke_store_up`:                                                                       1,
		`wartemarke_build_info{goversion="` + runtime.Version() + `",version="devel"}`:              1,
		`wartemarke_http_request_duration_seconds_count{route="POST /api/v1/tickets",status="2xx"}`: 3,
	}
	var body string
	deadline := time.Now().Add(15 * time.Second)
	for {
		var status int
		status, body = call(t, http.DefaultClient, "GET", a.URL()+"/metrics", metricsToken, "")
		if status != 200 {
			t.Fatalf("metrics with the token: %d %s", status, body)
		}
		missing := ""
		for sample, v := range want {
			if got, ok := metricValue(body, sample); !ok || got != v {
				missing += "\n  " + sample + " = " + strconv.FormatFloat(got, 'g', -1, 64) + ", want " + strconv.FormatFloat(v, 'g', -1, 64)
			}
		}
		if missing == "" {
			if testing.Verbose() {
				t.Logf("metrics:\n%s", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics:%s\n%s", missing, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n, ok := metricValue(body, "wartemarke_store_ping_seconds_count"); !ok || n < 1 {
		t.Errorf("no store ping observed:\n%s", body)
	}
	for _, s := range secrets {
		if strings.Contains(body, s) {
			t.Errorf("metrics contain visitor data %q", s)
		}
	}
	if strings.Contains(body, "lang") || strings.Contains(body, "chefin") || strings.Contains(body, "berater") {
		t.Error("metrics name a language or an account")
	}
	for line := range strings.SplitSeq(body, "\n") {
		if name, ok := strings.CutPrefix(line, "# TYPE wartemarke_"); ok {
			name, _, _ = strings.Cut(name, " ")
			if !strings.Contains(body, "# HELP wartemarke_"+name+" ") {
				t.Errorf("metric wartemarke_%s has no help text", name)
			}
		}
	}

	for who, bearer := range map[string]string{"nobody": "", "wrong token": "0123456789abcdef0123456789abcdeX", "kiosk": kiosk, "counsellor": counsellor} {
		if status, _ := call(t, http.DefaultClient, "GET", a.URL()+"/metrics", bearer, ""); status != 401 && status != 403 {
			t.Errorf("metrics as %s: %d, want 401 or 403", who, status)
		}
	}
	if status, _ := call(t, http.DefaultClient, "GET", a.URL()+"/metrics", admin, ""); status != 200 {
		t.Errorf("metrics as admin: %d", status)
	}
	// The metrics token opens nothing else.
	if status, _ := call(t, http.DefaultClient, "GET", a.URL()+"/api/v1/users", metricsToken, ""); status != 401 {
		t.Errorf("metrics token on /api/v1/users: %d, want 401", status)
	}
}

// TestOpsSettings checks the validation of the TLS and metrics settings.
func TestOpsSettings(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("secret"), 0o600)
	for _, tc := range []struct {
		name string
		set  func(c *Config)
		want string
	}{
		{"cert without key", func(c *Config) { c.TLSCertFile = "/etc/ssl/x.pem" }, "setting tls_cert_file/tls_key_file: give both"},
		{"unreadable cert", func(c *Config) {
			c.TLSCertFile, c.TLSKeyFile = filepath.Join(dir, "no.pem"), filepath.Join(dir, "no.key")
		}, "setting tls_cert_file/tls_key_file:"},
		{"short token", func(c *Config) { c.MetricsTokenFile = short }, "setting metrics_token_file:"},
		{"missing token", func(c *Config) { c.MetricsTokenFile = filepath.Join(dir, "none") }, "setting metrics_token_file:"},
	} {
		c := DefaultConfig()
		tc.set(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and localhost.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "wartemarke test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestTLS serves HTTPS with a self-signed certificate made here: the
// service's URL is https, a client trusting the certificate gets /healthz,
// and the handshake error of a plain-HTTP client is logged without the
// client's address.
func TestTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	cfg := testConfig(t)
	cfg.TLSCertFile, cfg.TLSKeyFile = certFile, keyFile
	logs := &syncBuffer{}
	a := startApp(t, cfg, logs)
	if !strings.HasPrefix(a.URL(), "https://") {
		t.Fatalf("URL %s, want https", a.URL())
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	res, err := client.Get(a.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.TLS == nil {
		t.Fatalf("healthz over TLS: %d %v", res.StatusCode, res.TLS)
	}
	// Plain HTTP to the TLS port: refused, and logged without address.
	plain := "http://" + strings.TrimPrefix(a.URL(), "https://")
	if res, err := http.Get(plain + "/healthz"); err == nil {
		res.Body.Close()
		if res.StatusCode == 200 {
			t.Fatal("plain HTTP answered 200 on the TLS port")
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "TLS handshake error") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if l := logs.String(); !strings.Contains(l, "TLS handshake error from [address]") || strings.Contains(l, "127.0.0.1") {
		t.Fatalf("server log:\n%s", l)
	}
}

// TestRedactAddrs checks the address filter of the server's error log.
func TestRedactAddrs(t *testing.T) {
	for in, want := range map[string]string{
		"http: TLS handshake error from 203.0.113.7:51234: EOF":         "http: TLS handshake error from [address]: EOF",
		"http: panic serving [2001:db8::1]:443: boom":                   "http: panic serving [address]: boom",
		"http2: error reading preface from client 2001:db8::5: timeout": "http2: error reading preface from client [address]: timeout",
		"http: Accept error: too many open files; retrying in 5ms":      "http: Accept error: too many open files; retrying in 5ms",
	} {
		if got := RedactAddrs(in); got != want {
			t.Errorf("RedactAddrs(%q) = %q, want %q", in, got, want)
		}
	}
}
