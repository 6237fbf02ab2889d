package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"wartemarke/server/queue"
)

// Errors of the HTTP layer itself, with the codes clients translate.
var (
	errNoRoute = &httpError{status: http.StatusNotFound, code: "no_route", msg: "no such API route"}
)

// httpError is an error that belongs to HTTP, not to the domain: a body
// that is not JSON, or one that is too large.
type httpError struct {
	status int
	code   string
	msg    string
}

func (e *httpError) Error() string { return e.msg }

// statusOf is the one mapping of domain error codes to HTTP statuses.
func statusOf(code queue.Code) int {
	switch code {
	case queue.Invalid, queue.UnknownLine, queue.IdempotencyMismatch:
		return http.StatusUnprocessableEntity
	case queue.NotFound:
		return http.StatusNotFound
	case queue.Conflict, queue.Closed:
		return http.StatusConflict
	case queue.Gone:
		return http.StatusGone
	case queue.Unavailable, queue.ClockBehind:
		return http.StatusServiceUnavailable
	case queue.Unauthorized:
		return http.StatusUnauthorized
	case queue.Forbidden:
		return http.StatusForbidden
	case queue.TooMany:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// errorBody is the JSON of every error response.
type errorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// writeError answers with the error's status and a JSON body. Internal
// details are logged, never shown.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var he *httpError
	if errors.As(err, &he) {
		writeJSON(w, he.status, errorBody{Error: he.msg, Code: he.code})
		return
	}
	code := queue.ErrorCode(err)
	status := statusOf(code)
	if status >= 500 {
		log.Error("request failed", "route", r.Pattern, "code", code, "err", err)
	}
	if code == queue.Unavailable {
		w.Header().Set("Retry-After", "2")
	}
	writeJSON(w, status, errorBody{Error: queue.ErrorMessage(err), Code: string(code)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// decode reads a JSON body of at most MaxBody bytes into v. An empty body
// is allowed when emptyOK; it leaves v as it is.
func decode(w http.ResponseWriter, r *http.Request, v any, emptyOK bool) error {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	dec := json.NewDecoder(r.Body)
	err := dec.Decode(v)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return &httpError{status: http.StatusRequestEntityTooLarge, code: "too_large", msg: "the request body is larger than 64 KiB"}
	case errors.Is(err, errEOF) && emptyOK:
		return nil
	case err != nil:
		return &httpError{status: http.StatusBadRequest, code: "malformed", msg: "the request body is not valid JSON: " + jsonReason(err)}
	}
	// Exactly one JSON value: trailing data is malformed too.
	if dec.More() {
		return &httpError{status: http.StatusBadRequest, code: "malformed", msg: "the request body holds more than one JSON value"}
	}
	if _, err := dec.Token(); err != nil && !errors.Is(err, errEOF) {
		if errors.As(err, &tooLarge) {
			return &httpError{status: http.StatusRequestEntityTooLarge, code: "too_large", msg: "the request body is larger than 64 KiB"}
		}
		return &httpError{status: http.StatusBadRequest, code: "malformed", msg: "the request body is not valid JSON"}
	}
	return nil
}

func jsonReason(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "field " + te.Field + " has the wrong type"
	}
	if errors.Is(err, errEOF) {
		return "it is empty"
	}
	return "syntax error"
}
