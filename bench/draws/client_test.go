package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The hand-written kiosk client must read every way net/http answers,
// send what a kiosk sends, and survive the server closing the connection.
func TestKioskPost(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != "POST" || r.URL.Path != "/api/v1/tickets" || r.Header.Get("Authorization") != "Bearer tok" ||
			r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Idempotency-Key") == "" {
			http.Error(w, fmt.Sprintf("unexpected request %s %s %v", r.Method, r.URL, r.Header), http.StatusBadRequest)
			return
		}
		switch string(body) {
		case "length":
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, "small")
		case "chunked":
			w.WriteHeader(http.StatusCreated)
			for range 3 {
				io.WriteString(w, strings.Repeat("x", 3000))
				w.(http.Flusher).Flush()
			}
		case "close":
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "bye")
		case "empty":
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	srv.Start()
	defer srv.Close()
	k, err := newKiosk(srv.URL, "tok")
	if err != nil {
		t.Fatal(err)
	}
	defer k.close()
	for _, tc := range []struct {
		body   string
		status int
		want   string
	}{
		{"length", 201, "small"},
		{"chunked", 201, strings.Repeat("x", 9000)},
		{"close", 503, "bye"},
		{"length", 201, "small"}, // on a new connection
		{"empty", 204, ""},
	} {
		status, got, err := k.post("/api/v1/tickets", kioskKey(), []byte(tc.body))
		if err != nil || status != tc.status || string(got) != tc.want {
			t.Errorf("%s: got %d %.40q %v, want %d %.40q", tc.body, status, got, err, tc.status, tc.want)
		}
	}
	// A keep-alive connection the server closed while idle is dialled
	// again, and the draw goes through.
	srv.CloseClientConnections()
	if status, _, err := k.post("/api/v1/tickets", kioskKey(), []byte("length")); err != nil || status != 201 {
		t.Errorf("after the server closed the connection: %d %v", status, err)
	}
}

func TestKioskKey(t *testing.T) {
	a, b := kioskKey(), kioskKey()
	if a == b || len(a) != 36 || a[14] != '7' || !strings.ContainsRune("89ab", rune(a[19])) {
		t.Errorf("kioskKey: %s, %s: want two different UUIDs of version 7", a, b)
	}
}
