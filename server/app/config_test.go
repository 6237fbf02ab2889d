package app

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", `{"office":"Testamt","addr":":9000","lines":[{"id":"a","name":"Alpha","prefix":"A"}]}`)
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
		check   func(t *testing.T, c Config)
	}{
		{name: "defaults", check: func(t *testing.T, c Config) {
			if c.Addr != ":8080" || c.Data != "./data" || len(c.Lines) != 2 || c.Lines[0].Prefix != "M" || c.Lines[1].ID != "jmd" {
				t.Fatalf("defaults=%+v", c)
			}
			if !strings.HasPrefix(c.PrinterURL(), "file://") || !strings.HasSuffix(c.PrinterURL(), "/data/slips") {
				t.Fatalf("default printer=%q", c.PrinterURL())
			}
		}},
		{name: "file", args: []string{"--config", good}, check: func(t *testing.T, c Config) {
			if c.Office != "Testamt" || c.Addr != ":9000" || len(c.Lines) != 1 || c.Timezone != "Europe/Berlin" {
				t.Fatalf("from file=%+v", c)
			}
		}},
		{name: "env over file, flag over env", args: []string{"--config", good, "--data", "/srv/d"},
			env: map[string]string{"WARTEMARKE_ADDR": "127.0.0.1:7000", "WARTEMARKE_DATA": "/env/d"},
			check: func(t *testing.T, c Config) {
				if c.Addr != "127.0.0.1:7000" || c.Data != "/srv/d" {
					t.Fatalf("precedence=%+v", c)
				}
			}},
		{name: "config from env", env: map[string]string{"WARTEMARKE_CONFIG": good}, check: func(t *testing.T, c Config) {
			if c.Office != "Testamt" {
				t.Fatalf("WARTEMARKE_CONFIG ignored: %+v", c)
			}
		}},
		{name: "missing file", args: []string{"--config", filepath.Join(dir, "nope.json")}, wantErr: "config file"},
		{name: "unknown key", args: []string{"--config", write("typo.json", `{"adress":":1"}`)}, wantErr: "adress"},
		{name: "bad addr", args: []string{"--addr", "8080"}, wantErr: "setting addr"},
		{name: "bad timezone", args: []string{"--config", write("tz.json", `{"timezone":"Mars/Base"}`)}, wantErr: "setting timezone"},
		{name: "duplicate prefix", args: []string{"--config", write("dup.json", `{"lines":[{"id":"a","name":"A","prefix":"M"},{"id":"b","name":"B","prefix":"M"}]}`)}, wantErr: "lines[1].prefix"},
		{name: "bad line id", args: []string{"--config", write("id.json", `{"lines":[{"id":"MBE!","name":"A","prefix":"M"}]}`)}, wantErr: "lines[0].id"},
		{name: "no lines", args: []string{"--config", write("none.json", `{"lines":[]}`)}, wantErr: "setting lines"},
		{name: "bad log level", args: []string{"--log-level", "loud"}, wantErr: "setting log_level"},
		{name: "no retention", args: []string{"--config", write("ret.json", `{"retention_days":0}`)}, wantErr: "setting retention_days"},
		{name: "retention", args: []string{"--config", write("ret14.json", `{"retention_days":14}`)}, check: func(t *testing.T, c Config) {
			if c.RetentionDays != 14 || DefaultConfig().RetentionDays != 7 {
				t.Fatalf("retention_days=%d, default %d", c.RetentionDays, DefaultConfig().RetentionDays)
			}
		}},
		{name: "print deadline too short", args: []string{"--config", write("pt1.json", `{"print_timeout_seconds":1}`)}, wantErr: "setting print_timeout_seconds"},
		{name: "print deadline", args: []string{"--config", write("pt30.json", `{"print_timeout_seconds":30}`)}, check: func(t *testing.T, c Config) {
			if c.PrintTimeoutSeconds != 30 || DefaultConfig().PrintTimeoutSeconds != 15 {
				t.Fatalf("print_timeout_seconds=%d, default %d", c.PrintTimeoutSeconds, DefaultConfig().PrintTimeoutSeconds)
			}
		}},
		{name: "bad printer", args: []string{"--printer", "lp0"}, wantErr: "setting printer"},
		{name: "embedded store by default", check: func(t *testing.T, c Config) {
			if c.Store != "" || c.Site != "default" {
				t.Fatalf("store=%q site=%q, want the embedded store and site default", c.Store, c.Site)
			}
		}},
		{name: "redis store", args: []string{"--store", "redis://127.0.0.1:6379/2", "--site", "offenbach-2"},
			env: map[string]string{"WARTEMARKE_STORE": "sqlite", "WARTEMARKE_SITE": "other"},
			check: func(t *testing.T, c Config) {
				if c.Store != "redis://127.0.0.1:6379/2" || c.Site != "offenbach-2" {
					t.Fatalf("store=%q site=%q", c.Store, c.Site)
				}
			}},
		{name: "redis store from env", env: map[string]string{"WARTEMARKE_STORE": "redis://redis:6379/0", "WARTEMARKE_SITE": "amt"},
			check: func(t *testing.T, c Config) {
				if c.Store != "redis://redis:6379/0" || c.Site != "amt" {
					t.Fatalf("store=%q site=%q", c.Store, c.Site)
				}
			}},
		{name: "bad store", args: []string{"--store", "mysql://db/queue"}, wantErr: "setting store"},
		{name: "bad redis db", args: []string{"--store", "redis://127.0.0.1:6379/x"}, wantErr: "setting store"},
		{name: "bad site", args: []string{"--site", "amt{1}"}, wantErr: "setting site"},
		{name: "stray argument", args: []string{"serve-me"}, wantErr: "unexpected argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err=%v, want one naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

// TestExampleConfig keeps the documented example config valid.
func TestExampleConfig(t *testing.T) {
	c, err := Parse([]string{"--config", "../../wartemarke.example.json"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatalf("example config: %v", err)
	}
	if len(c.Lines) != 2 || c.Office == "" {
		t.Fatalf("example config=%+v", c)
	}
}
