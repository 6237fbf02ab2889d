package queue

import (
	"errors"
	"fmt"
)

// Code classifies an error; the HTTP API maps each code to one status in one
// place, and clients translate messages by code.
type Code string

// The error codes. They are part of the API contract.
const (
	Invalid             Code = "invalid"
	NotFound            Code = "not_found"
	Conflict            Code = "conflict"
	UnknownLine         Code = "unknown_line"
	Closed              Code = "closed"
	IdempotencyMismatch Code = "idempotency_mismatch"
	Empty               Code = "empty"
	Gone                Code = "gone"
	Unavailable         Code = "unavailable"
	// Unauthorized: no valid sign-in, session or device token.
	Unauthorized Code = "unauthorized"
	// Forbidden: signed in, but the role or device may not do this.
	Forbidden Code = "forbidden"
	// TooMany: slowed down (failed sign-ins, a kiosk drawing too fast).
	TooMany  Code = "too_many"
	Internal Code = "internal"
)

// Error is a domain error: a code and a message safe to show to users.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, Internal for an error that is not an
// *Error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// ErrorMessage returns the user-safe message of err; internal details stay
// in the logs.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
