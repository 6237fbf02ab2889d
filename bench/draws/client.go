package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// kiosk is one kiosk's keep-alive HTTP/1.1 connection, written by hand
// so that the generator spends as little as it can of the CPU it shares
// with the service: net/http's client took 52–143 µs of CPU per request
// here, more than the no-op server it was measured against. It sends what
// the kiosk sends and reads the status line, the headers it needs and the
// body; it reconnects when the server closes the connection.
type kiosk struct {
	addr, host, prefix, token string
	conn                      net.Conn
	r                         *bufio.Reader
	w                         *bufio.Writer
	req                       bytes.Buffer
	body                      []byte
}

func newKiosk(base, token string) (*kiosk, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("%s: http:// only (the generator speaks plain HTTP/1.1)", base)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	return &kiosk{addr: addr, host: u.Host, prefix: strings.TrimSuffix(u.Path, "/"), token: token}, nil
}

func (k *kiosk) close() {
	if k.conn != nil {
		k.conn.Close()
		k.conn = nil
	}
}

// errUnanswered marks a round trip that failed before any byte of an
// answer arrived: a keep-alive connection the server had closed.
var errUnanswered = errors.New("connection closed before an answer")

// post sends one draw and returns its status and body (valid until the
// next call). A reused connection that the server had closed (the
// request could not be written, or nothing at all came back) is dialled
// again once; a request that got part of an answer, or timed out, is not
// sent again.
func (k *kiosk) post(path, key string, body []byte) (int, []byte, error) {
	k.req.Reset()
	fmt.Fprintf(&k.req, "POST %s%s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nIdempotency-Key: %s\r\nContent-Length: %d\r\n\r\n",
		k.prefix, path, k.host, k.token, key, len(body))
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
		if fresh || attempt > 0 || !errors.Is(err, errUnanswered) {
			return 0, nil, err
		}
	}
}

func (k *kiosk) roundTrip() (int, []byte, error) {
	k.w.Write(k.req.Bytes())
	if err := k.w.Flush(); err != nil {
		if isTimeout(err) {
			return 0, nil, err
		}
		return 0, nil, fmt.Errorf("%w: %w", errUnanswered, err)
	}
	line, err := k.r.ReadSlice('\n')
	if err != nil {
		if len(line) == 0 && !isTimeout(err) {
			return 0, nil, fmt.Errorf("%w: %w", errUnanswered, err)
		}
		return 0, nil, err
	}
	if len(line) < 13 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) || (line[12] != ' ' && line[12] != '\r') {
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
			for tok := range bytes.SplitSeq(value, []byte(",")) {
				closing = closing || bytes.EqualFold(bytes.TrimSpace(tok), []byte("close"))
			}
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
		if crlf, err := k.r.ReadSlice('\n'); err != nil || string(crlf) != "\r\n" {
			return fmt.Errorf("chunk not ended by CRLF: %q %v", crlf, err)
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
