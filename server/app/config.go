// Package app wires Wartemarke's parts into one service: configuration,
// store, hub, printer, HTTP server, and an orderly shutdown.
package app

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"wartemarke/server/queue"
	"wartemarke/server/redisstore"
)

// Config is every setting of the service. Defaults come from
// DefaultConfig; a config file, then environment variables, then flags
// override them, in that order.
type Config struct {
	// Addr is the listen address.
	Addr string `json:"addr"`
	// Data is the data folder holding the embedded store.
	Data string `json:"data"`
	// Office is the office's name, printed on slips and shown on screens.
	Office string `json:"office"`
	// Timezone is the office's IANA time zone; service days follow it.
	Timezone string `json:"timezone"`
	// Lines are the queues with their own numbering.
	Lines []queue.Line `json:"lines"`
	// Printer is the slip printer URL: file:DIR, none (later ipp://, escpos://).
	// Empty means a "slips" folder inside the data folder.
	Printer string `json:"printer"`
	// KioskPrinters gives a kiosk (by its device name) its own printer;
	// the others use Printer.
	KioskPrinters map[string]string `json:"kiosk_printers"`
	// PublicURL is the base URL printed in status links; empty means the
	// address the service listens on.
	PublicURL string `json:"public_url"`
	// AllowedOrigins may open websockets besides the page's own origin.
	AllowedOrigins []string `json:"allowed_origins"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `json:"log_level"`
	// Store is where tickets and events live: "" or "sqlite" for the
	// embedded store in Data, or a Redis URL (redis://host:port/db) that
	// several instances share.
	Store string `json:"store"`
	// Site names the office's queue in a shared Redis: instances with the
	// same site serve one queue.
	Site string `json:"site"`
	// ClosedDays are dates without consultation (YYYY-MM-DD).
	ClosedDays []string `json:"closed_days"`
	// Desks are the known desks/rooms: their label on the display and how
	// the announcement says it.
	Desks []Desk `json:"desks"`
	// Languages are the kiosk's languages, in the order shown (BCP 47).
	Languages []string `json:"languages"`
	// DisplayLang is the language of the display's labels.
	DisplayLang string `json:"display_lang"`
	// Privacy is who is responsible for the data, shown on the kiosk.
	Privacy Privacy `json:"privacy"`
	// CallReasons are the reasons a counsellor may pick when calling a
	// ticket out of order (keys; the console shows labels for the known
	// ones). No free text, so no personal data can slip in.
	CallReasons []string `json:"call_reasons"`
	// RecallIntervalSeconds is the shortest time between two calls of one
	// ticket.
	RecallIntervalSeconds int `json:"recall_interval_seconds"`
	// NoShowGraceMinutes is how long a no-show can be reactivated.
	NoShowGraceMinutes int `json:"no_show_grace_minutes"`
	// CutOffGraceMinutes: the kiosk stops issuing a line's numbers when the
	// expected call would come later than this after closing; negative
	// turns the cut-off off.
	CutOffGraceMinutes *int `json:"cutoff_grace_minutes"`
	// DrawRatePerMinute is how many tickets one kiosk may draw a minute
	// (benchmarks and load tests raise it).
	DrawRatePerMinute float64 `json:"draw_rate_per_minute"`
	// PrintTimeoutSeconds is the print deadline: a slip not printed by
	// then is reported as failed to the kiosk and the console.
	PrintTimeoutSeconds int `json:"print_timeout_seconds"`
	// RetentionDays is how many days per-ticket rows are kept; older days
	// are folded into anonymous aggregates and their tickets deleted.
	RetentionDays int `json:"retention_days"`
	// TLSCertFile and TLSKeyFile, both set, make the service serve HTTPS
	// itself (PEM files; see deploy/README.md); unset, it serves HTTP for
	// a reverse proxy in front.
	TLSCertFile string `json:"tls_cert_file"`
	TLSKeyFile  string `json:"tls_key_file"`
	// MetricsTokenFile holds the Bearer token that may read /metrics
	// (besides a signed-in admin); unset, only admins may.
	MetricsTokenFile string `json:"metrics_token_file"`

	// ConfigFile is where the settings above were read from ("" = none).
	ConfigFile string `json:"-"`
}

// Desk is a counselling desk or room as the display shows and says it.
type Desk struct {
	Label string `json:"label"`
	// Spoken is how the announcement says it ("bitte zur Empore");
	// empty means the label is read as it is.
	Spoken string `json:"spoken,omitempty"`
}

// Privacy names who is responsible for the data and how to reach them.
type Privacy struct {
	Responsible string `json:"responsible"`
	Contact     string `json:"contact"`
}

// Retention of per-ticket rows: a week covers the day's work and the
// monthly report's checks; a year is the most any reporting needs.
const (
	DefaultRetentionDays = 7
	MaxRetentionDays     = 366
)

// CoreLanguages are the kiosk's default languages, in their default order.
var CoreLanguages = []string{"de", "en", "tr", "ro", "bg", "pl", "el", "it", "hr", "uk", "ar", "fa"}

// DefaultConfig returns the built-in defaults: the Offenbach consultation
// with its two lines, listening on :8080 with data in ./data.
func DefaultConfig() Config {
	return Config{
		Addr:                  ":8080",
		Data:                  "./data",
		Office:                "Bürgerbüro Offenbach am Main",
		Timezone:              "Europe/Berlin",
		Lines:                 queue.DefaultLines(),
		LogLevel:              "info",
		Site:                  "default",
		Languages:             append([]string(nil), CoreLanguages...),
		DisplayLang:           "de",
		CallReasons:           append([]string(nil), queue.DefaultCallReasons...),
		RecallIntervalSeconds: int(queue.DefaultMinRecall / time.Second),
		NoShowGraceMinutes:    int(queue.DefaultNoShowGrace / time.Minute),
		RetentionDays:         DefaultRetentionDays,
		PrintTimeoutSeconds:   int(DefaultPrintTimeout / time.Second),
		Privacy: Privacy{
			Responsible: "Stadt Offenbach am Main – Bürgerbüro",
			// Set the office's real contact in the config file; the
			// kiosk says "ask at the counter" while it is empty.
			Contact: "",
		},
	}
}

// Parse builds the configuration from args (without the program name) and
// the environment, reading the config file named by --config or
// WARTEMARKE_CONFIG.
func Parse(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	c := DefaultConfig()
	fs := flag.NewFlagSet("wartemarke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "", "listen address (default :8080; env WARTEMARKE_ADDR)")
	data := fs.String("data", "", "data folder for the embedded store (default ./data; env WARTEMARKE_DATA)")
	config := fs.String("config", "", "config file, JSON (env WARTEMARKE_CONFIG); built-in defaults when absent")
	printer := fs.String("printer", "", "slip printer: file:DIR or none (default file:DATA/slips; env WARTEMARKE_PRINTER)")
	publicURL := fs.String("public-url", "", "base URL for links printed on slips (env WARTEMARKE_PUBLIC_URL)")
	logLevel := fs.String("log-level", "", "debug, info, warn or error (env WARTEMARKE_LOG_LEVEL)")
	drawRate := fs.Float64("draw-rate", 0, "tickets one kiosk may draw a minute (default 30; env WARTEMARKE_DRAW_RATE); load tests raise it")
	store := fs.String("store", "", "sqlite (default) or redis://host:port/db (env WARTEMARKE_STORE)")
	site := fs.String("site", "", "the office's queue in a shared Redis (default default; env WARTEMARKE_SITE)")
	tlsCert := fs.String("tls-cert-file", "", "PEM certificate chain: serve HTTPS (env WARTEMARKE_TLS_CERT_FILE)")
	tlsKey := fs.String("tls-key-file", "", "PEM private key of --tls-cert-file (env WARTEMARKE_TLS_KEY_FILE)")
	metricsToken := fs.String("metrics-token-file", "", "file with the Bearer token for /metrics (env WARTEMARKE_METRICS_TOKEN_FILE)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	pick := func(flagVal, env string) string {
		if flagVal != "" {
			return flagVal
		}
		return getenv(env)
	}
	if path := pick(*config, "WARTEMARKE_CONFIG"); path != "" {
		if err := c.load(path); err != nil {
			return c, err
		}
	}
	for _, o := range []struct {
		dst  *string
		flag string
		env  string
	}{
		{&c.Addr, *addr, "WARTEMARKE_ADDR"},
		{&c.Data, *data, "WARTEMARKE_DATA"},
		{&c.Printer, *printer, "WARTEMARKE_PRINTER"},
		{&c.PublicURL, *publicURL, "WARTEMARKE_PUBLIC_URL"},
		{&c.LogLevel, *logLevel, "WARTEMARKE_LOG_LEVEL"},
		{&c.Store, *store, "WARTEMARKE_STORE"},
		{&c.Site, *site, "WARTEMARKE_SITE"},
		{&c.TLSCertFile, *tlsCert, "WARTEMARKE_TLS_CERT_FILE"},
		{&c.TLSKeyFile, *tlsKey, "WARTEMARKE_TLS_KEY_FILE"},
		{&c.MetricsTokenFile, *metricsToken, "WARTEMARKE_METRICS_TOKEN_FILE"},
	} {
		if v := pick(o.flag, o.env); v != "" {
			*o.dst = v
		}
	}
	if *drawRate != 0 {
		c.DrawRatePerMinute = *drawRate
	} else if v := getenv("WARTEMARKE_DRAW_RATE"); v != "" {
		if _, err := fmt.Sscanf(v, "%g", &c.DrawRatePerMinute); err != nil {
			return c, fmt.Errorf("setting draw_rate_per_minute: %q is not a number", v)
		}
	}
	return c, c.Validate()
}

// load reads a JSON config file over c. Unknown keys are an error, so a
// misspelt setting does not go unnoticed.
func (c *Config) load(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	c.ConfigFile = path
	return nil
}

var (
	lineIDRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,15}$`)
	prefixRE = regexp.MustCompile(`^[A-Z]{1,3}$`)
)

// Validate checks every setting and names the wrong one.
func (c *Config) Validate() error {
	var errs []error
	bad := func(setting, format string, args ...any) {
		errs = append(errs, fmt.Errorf("setting %s: %s", setting, fmt.Sprintf(format, args...)))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("addr", "%q is not host:port (%v)", c.Addr, err)
	}
	if strings.TrimSpace(c.Data) == "" {
		bad("data", "must name a folder")
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil || c.Timezone == "" {
		bad("timezone", "%q is not an IANA time zone such as Europe/Berlin", c.Timezone)
	}
	if len(c.Lines) == 0 {
		bad("lines", "at least one line is needed")
	}
	ids, prefixes := map[string]bool{}, map[string]bool{}
	for i, l := range c.Lines {
		if !lineIDRE.MatchString(l.ID) {
			bad(fmt.Sprintf("lines[%d].id", i), "%q must be lower-case letters, digits or dashes, starting with a letter", l.ID)
		}
		if !prefixRE.MatchString(l.Prefix) {
			bad(fmt.Sprintf("lines[%d].prefix", i), "%q must be 1 to 3 capital letters", l.Prefix)
		}
		if strings.TrimSpace(l.Name) == "" {
			bad(fmt.Sprintf("lines[%d].name", i), "must not be empty")
		}
		if ids[l.ID] {
			bad(fmt.Sprintf("lines[%d].id", i), "%q is used twice", l.ID)
		}
		if prefixes[l.Prefix] {
			bad(fmt.Sprintf("lines[%d].prefix", i), "%q is used twice", l.Prefix)
		}
		ids[l.ID], prefixes[l.Prefix] = true, true
		if _, err := queue.ParseHours(l.Hours); err != nil {
			bad(fmt.Sprintf("lines[%d].hours", i), "%v", err)
		}
	}
	for i, d := range c.ClosedDays {
		if err := queue.ParseDay(d); err != nil {
			bad(fmt.Sprintf("closed_days[%d]", i), "%v", err)
		}
	}
	for i, d := range c.Desks {
		if _, err := queue.CleanDesk(d.Label); err != nil {
			bad(fmt.Sprintf("desks[%d].label", i), "%v", err)
		}
	}
	if len(c.CallReasons) == 0 {
		bad("call_reasons", "give at least one reason for calling out of order")
	}
	for i, r := range c.CallReasons {
		if !lineIDRE.MatchString(r) {
			bad(fmt.Sprintf("call_reasons[%d]", i), "%q must be a short key like appointment", r)
		}
	}
	if c.RecallIntervalSeconds < 0 || c.RecallIntervalSeconds > 600 {
		bad("recall_interval_seconds", "must be between 0 and 600")
	}
	if c.NoShowGraceMinutes < 0 || c.NoShowGraceMinutes > 24*60 {
		bad("no_show_grace_minutes", "must be between 0 and 1440")
	}
	if c.PrintTimeoutSeconds < 3 || c.PrintTimeoutSeconds > 300 {
		bad("print_timeout_seconds", "must be between 3 and 300")
	}
	if c.DrawRatePerMinute < 0 {
		bad("draw_rate_per_minute", "must not be negative")
	}
	if c.RetentionDays < 1 || c.RetentionDays > MaxRetentionDays {
		bad("retention_days", "must be between 1 and %d", MaxRetentionDays)
	}
	if len(c.Languages) == 0 {
		bad("languages", "the kiosk needs at least one language")
	}
	for i, l := range c.Languages {
		if _, err := queue.CleanLang(l); err != nil || l == "" {
			bad(fmt.Sprintf("languages[%d]", i), "%q is not a language tag such as de or ar", l)
		}
	}
	if _, err := queue.CleanLang(c.DisplayLang); err != nil {
		bad("display_lang", "%q is not a language tag", c.DisplayLang)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log_level", "%q is not debug, info, warn or error", c.LogLevel)
	}
	if err := checkStore(c.Store); err != nil {
		bad("store", "%v", err)
	}
	if !redisstore.ValidSite(c.Site) {
		bad("site", "%q must be 1 to 64 letters, digits, dots, dashes or underscores", c.Site)
	}
	if c.Printer != "" && c.Printer != "none" && !strings.Contains(c.Printer, ":") {
		bad("printer", "%q is not a printer URL such as file:/var/lib/wartemarke/slips or none", c.Printer)
	}
	for k, u := range c.KioskPrinters {
		if u != "none" && !strings.Contains(u, ":") {
			bad(fmt.Sprintf("kiosk_printers[%q]", k), "%q is not a printer URL such as ipp://192.0.2.10:631/ipp/print", u)
		}
	}
	errs = append(errs, c.checkOps()...)
	return errors.Join(errs...)
}

// PrinterURL is the printer setting with its default filled in.
func (c *Config) PrinterURL() string {
	if c.Printer != "" {
		return c.Printer
	}
	dir, err := filepath.Abs(filepath.Join(c.Data, "slips"))
	if err != nil {
		dir = filepath.Join(c.Data, "slips")
	}
	return "file://" + dir
}
