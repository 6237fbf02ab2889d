// Package auth holds who may do what in Wartemarke: accounts with roles,
// sign-in sessions, and paired devices (kiosks and displays). Like the queue
// domain it does no I/O; the stores implement its Store.
//
// Secrets are never stored: passwords as bcrypt hashes, session and device
// tokens and pairing codes as SHA-256 hashes. A token is 32 random bytes, so
// a fast hash is enough; a password is chosen by a person, so it gets bcrypt.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"regexp"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"wartemarke/server/queue"
)

// Role is what a signed-in person may do.
type Role string

// The roles.
const (
	// RoleAdmin manages accounts, devices, desks, lines and hours, and
	// does everything a counsellor does.
	RoleAdmin Role = "admin"
	// RoleCounsellor calls and handles tickets.
	RoleCounsellor Role = "counsellor"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleCounsellor }

// DeviceKind is what a paired device is.
type DeviceKind string

// The device kinds.
const (
	Kiosk   DeviceKind = "kiosk"
	Display DeviceKind = "display"
)

// Valid reports whether k is a known kind.
func (k DeviceKind) Valid() bool { return k == Kiosk || k == Display }

// User is a personal account.
type User struct {
	Name         string    `json:"name"`
	Role         Role      `json:"role"`
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
}

// Session is one sign-in.
type Session struct {
	TokenHash string
	User      string
	Role      Role
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Device is a paired kiosk or display.
type Device struct {
	ID        string     `json:"id"`
	Kind      DeviceKind `json:"kind"`
	Name      string     `json:"name"`
	CreatedAt time.Time  `json:"created_at"`
	// PairedAt is when the one-time code was used; nil while unpaired.
	PairedAt *time.Time `json:"paired_at,omitempty"`
	// PairExpires is when an unused pairing code stops working.
	PairExpires *time.Time `json:"pair_expires,omitempty"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	LastSeen    *time.Time `json:"last_seen,omitempty"`
	TokenHash   string     `json:"-"`
	PairHash    string     `json:"-"`
}

// Active reports whether the device may act now.
func (d Device) Active() bool { return d.RevokedAt == nil && d.TokenHash != "" && d.PairedAt != nil }

// Store keeps accounts, sessions and devices. Methods fail with queue error
// codes: NotFound, Conflict (a name taken), Unavailable.
type Store interface {
	CreateUser(ctx context.Context, u User) error
	User(ctx context.Context, name string) (User, error)
	Users(ctx context.Context) ([]User, error)
	SetPassword(ctx context.Context, name, hash string) error
	DeleteUser(ctx context.Context, name string) error

	CreateSession(ctx context.Context, s Session) error
	// Session returns an unexpired session by token hash.
	Session(ctx context.Context, tokenHash string, now time.Time) (Session, error)
	DeleteSession(ctx context.Context, tokenHash string) error
	// DeleteSessions ends every session of a user (password change,
	// account removed).
	DeleteSessions(ctx context.Context, user string) error

	CreateDevice(ctx context.Context, d Device) error
	Devices(ctx context.Context) ([]Device, error)
	Device(ctx context.Context, id string) (Device, error)
	DeviceByToken(ctx context.Context, tokenHash string) (Device, error)
	// Pair uses a one-time pairing code: the device with that unexpired,
	// unused code gets tokenHash and is paired; the code is used up.
	Pair(ctx context.Context, pairHash, tokenHash string, now time.Time) (Device, error)
	// Repair gives a device a fresh pairing code (a replaced kiosk PC);
	// its old token stops working.
	Repair(ctx context.Context, id, pairHash string, expires time.Time) error
	RevokeDevice(ctx context.Context, id string, now time.Time) error
	SeenDevice(ctx context.Context, id string, now time.Time) error
}

var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewToken returns a new secret token (256 random bits).
func NewToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return tokenEncoding.EncodeToString(b)
}

// pairAlphabet has no look-alikes (0/O, 1/I/L) for codes typed by hand.
const pairAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// NewPairCode returns a one-time pairing code like "K7QM-3XPA" (40 bits;
// it works once and for a short time, and attempts are rate-limited).
func NewPairCode() string {
	b := make([]byte, 8)
	rand.Read(b)
	var sb strings.Builder
	for i, c := range b {
		if i == 4 {
			sb.WriteByte('-')
		}
		sb.WriteByte(pairAlphabet[int(c)%len(pairAlphabet)])
	}
	return sb.String()
}

// NormalizePairCode accepts a code typed in lower case, with or without
// the dash and with spaces.
func NormalizePairCode(s string) string {
	s = strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(s))
	if len(s) == 8 {
		s = s[:4] + "-" + s[4:]
	}
	return s
}

// Hash is how tokens and pairing codes are stored.
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// BcryptCost is bcrypt's default cost: about 50–100 ms here, fine for
// sign-in. Tests lower it (bcrypt.MinCost) to stay fast under -race.
var BcryptCost = bcrypt.DefaultCost

// MinPassword is the shortest password accepted.
const MinPassword = 10

// HashPassword checks a new password and returns its bcrypt hash.
func HashPassword(pw string) (string, error) {
	if len([]rune(pw)) < MinPassword {
		return "", queue.Errorf(queue.Invalid, "a password needs at least %d characters", MinPassword)
	}
	if len(pw) > 72 {
		return "", queue.Errorf(queue.Invalid, "a password may have at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), BcryptCost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

// dummyHash is compared against when the account does not exist, so a
// wrong name takes as long as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a real password at all"), bcrypt.DefaultCost)

// CheckPassword reports whether pw matches hash; an empty hash never does
// (but costs the same time).
func CheckPassword(hash, pw string) bool {
	if hash == "" {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(pw))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,39}$`)

// CleanName checks an account name: 2–40 lower-case letters, digits, dots,
// dashes or underscores.
func CleanName(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if !nameRE.MatchString(s) {
		return "", queue.Errorf(queue.Invalid, "an account name has 2 to 40 lower-case letters, digits, dots, dashes or underscores")
	}
	return s, nil
}

// CleanDeviceName checks a device's display name (free text, 1–40).
func CleanDeviceName(s string) (string, error) {
	s, err := queue.CleanDesk(s) // the same rules as a desk label
	if err != nil {
		return "", queue.Errorf(queue.Invalid, "a device name has 1 to 40 visible characters")
	}
	return s, nil
}
