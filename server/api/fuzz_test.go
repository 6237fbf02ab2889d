package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzPublicDecoders sends arbitrary bodies to the endpoints that take
// JSON from the public or from devices: whatever arrives, the answer is a
// clear client error or success, never a 500, and always JSON.
func FuzzPublicDecoders(f *testing.F) {
	for _, seed := range []string{
		`{"line":"mbe"}`, `{"line":"jmd","lang":"ar"}`, `{"line":"mbe","lang":"zz-ZZZZ-1"}`,
		`{"name":"admin","password":"x"}`, `{"code":"ABCD-EFGH"}`, `{"lines":["mbe","jmd"]}`,
		`{"line":`, `[]`, `null`, `"x"`, `{"line":"\u0000"}`, `{"line":1e999}`, strings.Repeat("[", 1000),
		`{"line":"mbe"} trailing`, "\xff\xfe", `{"lang":"` + strings.Repeat("a", 100) + `"}`,
	} {
		for _, path := range []string{"/api/v1/tickets", "/api/v1/session", "/api/v1/pair", "/api/v1/desks/A/next"} {
			f.Add(path, seed)
		}
	}
	e := MustServeWith(f, nil)
	h := e.srv.Config.Handler
	f.Fuzz(func(t *testing.T, path, body string) {
		switch path {
		case "/api/v1/tickets", "/api/v1/session", "/api/v1/pair", "/api/v1/desks/A/next":
		default:
			return
		}
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		if path == "/api/v1/tickets" {
			req.Header.Set("Authorization", "Bearer "+e.kiosk)
		} else {
			req.Header.Set("Authorization", "Bearer "+e.staff)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("POST %s %q: status %d: %s", path, body, rec.Code, rec.Body)
		}
		if rec.Code != http.StatusNoContent && !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Fatalf("POST %s %q: status %d with Content-Type %q", path, body, rec.Code, rec.Header().Get("Content-Type"))
		}
	})
}
