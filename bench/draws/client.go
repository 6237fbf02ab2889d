package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"time"
)

// kiosk is one kiosk's keep-alive HTTP/1.1 connection, written by hand
// so that the generator spends as little as it can of the CPU it shares
// with the service: net/http's client took 52–143 µs of CPU per request
// here, more than the no-op server it was measured against. It sends what
// the kiosk sends and reads the status line, the headers it needs and the
// body; it reconnects when the server closes the connection.
type kiosk struct {
	addr, host, token string
	conn              net.Conn
	r                 *bufio.Reader
	w                 *bufio.Writer
	req               bytes.Buffer
	body              []byte
}

func newKiosk(base, token string) (*kiosk, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("%s: http:// only", base)
	}
	return &kiosk{addr: u.Host, host: u.Host, token: token}, nil
}

func (k *kiosk) close() {
	if k.conn != nil {
		k.conn.Close()
		k.conn = nil
	}
}

// post sends one draw and returns its status and body (valid until the
// next call). A connection the server closed before the request was
// answered is dialled again once.
func (k *kiosk) post(path, key string, body []byte) (int, []byte, error) {
	k.req.Reset()
	fmt.Fprintf(&k.req, "POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nIdempotency-Key: %s\r\nContent-Length: %d\r\n\r\n",
		path, k.host, k.token, key, len(body))
	k.req.Write(body)
	for attempt := 0; ; attempt++ {
		fresh := k.conn == nil
		if fresh {
			c, err := net.DialTimeout("tcp", k.addr, 5*time.Second)
			if err != nil {
				return 0, nil, err
			}
			k.conn, k.r, k.w = c, bufio.NewReaderSize(c, 8<<10), bufio.NewWriterSize(c, 4<<10)
		}
		k.conn.SetDeadline(time.Now().Add(30 * time.Second))
		status, res, err := k.roundTrip()
		if err == nil {
			return status, res, nil
		}
		k.close()
		if fresh || attempt > 0 {
			return 0, nil, err
		}
	}
}

func (k *kiosk) roundTrip() (int, []byte, error) {
	if _, err := k.w.Write(k.req.Bytes()); err != nil {
		return 0, nil, err
	}
	if err := k.w.Flush(); err != nil {
		return 0, nil, err
	}
	line, err := k.r.ReadSlice('\n')
	if err != nil {
		return 0, nil, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, nil, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, nil, fmt.Errorf("bad status line %q", line)
	}
	length, chunked, closing := -1, false, false
	for {
		h, err := k.r.ReadSlice('\n')
		if err != nil {
			return 0, nil, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		name, value, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			return 0, nil, fmt.Errorf("bad header %q", h)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 || length > 1<<20 {
				return 0, nil, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			closing = bytes.EqualFold(value, []byte("close"))
		}
	}
	k.body = k.body[:0]
	switch {
	case status == 204 || status == 304:
		// no body by definition
	case chunked:
		if err := k.readChunks(); err != nil {
			return 0, nil, err
		}
	case length >= 0:
		k.body = append(k.body, make([]byte, length)...)
		if _, err := io.ReadFull(k.r, k.body); err != nil {
			return 0, nil, err
		}
	default:
		return 0, nil, fmt.Errorf("status %d without a length", status)
	}
	if closing {
		k.close()
	}
	return status, k.body, nil
}

func (k *kiosk) readChunks() error {
	for {
		line, err := k.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, err := strconv.ParseInt(string(bytes.TrimRight(line, "\r\n")), 16, 32)
		if err != nil || size < 0 || len(k.body)+int(size) > 1<<20 {
			return fmt.Errorf("bad chunk size %q", line)
		}
		if size == 0 {
			for { // trailers, then the empty line
				t, err := k.r.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(bytes.TrimRight(t, "\r\n")) == 0 {
					return nil
				}
			}
		}
		n := len(k.body)
		k.body = append(k.body, make([]byte, size)...)
		if _, err := io.ReadFull(k.r, k.body[n:]); err != nil {
			return err
		}
		if _, err := k.r.Discard(2); err != nil {
			return err
		}
	}
}
