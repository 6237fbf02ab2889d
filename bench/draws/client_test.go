package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
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

// A reused connection that breaks after part of an answer is an error:
// sending the draw again could count one draw's work twice.
func TestKioskPartialAnswer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted, requests atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(r)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					if requests.Add(1) == 2 {
						io.WriteString(c, "HTTP/1.1 201 Created\r\nContent-Length: 10\r\n\r\nabc")
						return
					}
					io.WriteString(c, "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
				}
			}()
		}
	}()
	k, err := newKiosk("http://"+ln.Addr().String(), "tok")
	if err != nil {
		t.Fatal(err)
	}
	defer k.close()
	if status, _, err := k.post("/api/v1/tickets", kioskKey(), []byte("{}")); err != nil || status != 201 {
		t.Fatalf("first draw: %d %v", status, err)
	}
	if status, body, err := k.post("/api/v1/tickets", kioskKey(), []byte("{}")); err == nil {
		t.Errorf("a cut answer came back as %d %q, want an error", status, body)
	}
	if n := accepted.Load(); n != 1 {
		t.Errorf("%d connections, want 1: the draw was sent again", n)
	}
}

func TestKioskKey(t *testing.T) {
	a, b := kioskKey(), kioskKey()
	if a == b || len(a) != 36 || a[14] != '7' || !strings.ContainsRune("89ab", rune(a[19])) {
		t.Errorf("kioskKey: %s, %s: want two different UUIDs of version 7", a, b)
	}
}
