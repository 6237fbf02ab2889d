package auth

import (
	"context"
	"time"

	"wartemarke/server/queue"
)

// Lifetimes.
const (
	// SessionTTL is how long a sign-in lasts: a whole consultation day.
	SessionTTL = 12 * time.Hour
	// PairTTL is how long a pairing code works: long enough to walk from
	// the console to the kiosk, short enough not to linger.
	PairTTL = 24 * time.Hour
)

// Service applies the rules of accounts, sessions and devices over a Store.
type Service struct {
	Store Store
	Now   func() time.Time
	// CacheFor is how long a valid token's principal is trusted without
	// reading the store again (see DefaultCacheFor); 0 reads every time.
	CacheFor time.Duration

	cache principalCache
}

// NewService returns a Service on the system clock.
func NewService(s Store) *Service {
	return &Service{Store: s, Now: time.Now, CacheFor: DefaultCacheFor}
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Millisecond) }

// Principal is who makes a request: a signed-in person or a paired device.
type Principal struct {
	User string
	Role Role
	// Session is the hash of the session token (empty for Bearer device
	// tokens and for devices).
	Session string
	Device  *Device
}

// IsUser reports whether a person is signed in.
func (p Principal) IsUser() bool { return p.User != "" }

// IsAdmin reports whether an admin is signed in.
func (p Principal) IsAdmin() bool { return p.User != "" && p.Role == RoleAdmin }

// IsDevice reports whether the request comes from a paired device of kind k.
func (p Principal) IsDevice(k DeviceKind) bool { return p.Device != nil && p.Device.Kind == k }

// AddUser creates an account.
func (s *Service) AddUser(ctx context.Context, name string, role Role, password string) (User, error) {
	name, err := CleanName(name)
	if err != nil {
		return User{}, err
	}
	if !role.Valid() {
		return User{}, queue.Errorf(queue.Invalid, "role %q is neither admin nor counsellor", role)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return User{}, err
	}
	u := User{Name: name, Role: role, PasswordHash: hash, CreatedAt: s.now()}
	return u, s.Store.CreateUser(ctx, u)
}

// SetPassword changes a password and ends the account's sessions.
func (s *Service) SetPassword(ctx context.Context, name, password string) error {
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	if err := s.Store.SetPassword(ctx, name, hash); err != nil {
		return err
	}
	defer s.cache.dropUser(name)
	return s.Store.DeleteSessions(ctx, name)
}

// RemoveUser deletes an account and its sessions.
func (s *Service) RemoveUser(ctx context.Context, name string) error {
	defer s.cache.dropUser(name)
	return s.Store.DeleteUser(ctx, name)
}

// errSignIn is the one answer to a wrong name or password: it does not
// tell which was wrong.
var errSignIn = queue.Errorf(queue.Unauthorized, "name or password is wrong")

// SignIn checks a password and starts a session. It returns the session's
// secret token.
func (s *Service) SignIn(ctx context.Context, name, password string) (string, Session, error) {
	name, err := CleanName(name)
	if err != nil {
		CheckPassword("", password)
		return "", Session{}, errSignIn
	}
	u, err := s.Store.User(ctx, name)
	if queue.ErrorCode(err) == queue.NotFound {
		CheckPassword("", password)
		return "", Session{}, errSignIn
	}
	if err != nil {
		return "", Session{}, err
	}
	if !CheckPassword(u.PasswordHash, password) {
		return "", Session{}, errSignIn
	}
	token := NewToken()
	now := s.now()
	sess := Session{TokenHash: Hash(token), User: u.Name, Role: u.Role, CreatedAt: now, ExpiresAt: now.Add(SessionTTL)}
	if err := s.Store.CreateSession(ctx, sess); err != nil {
		return "", Session{}, err
	}
	return token, sess, nil
}

// SignOut ends the session with token.
func (s *Service) SignOut(ctx context.Context, token string) error {
	return s.EndSession(ctx, Hash(token))
}

// EndSession ends the session with the token hash.
func (s *Service) EndSession(ctx context.Context, tokenHash string) error {
	defer s.cache.dropSession(tokenHash)
	return s.Store.DeleteSession(ctx, tokenHash)
}

// RevokeDevice unpairs a device for good: its token stops working.
func (s *Service) RevokeDevice(ctx context.Context, id string) error {
	defer s.cache.dropDevice(id)
	return s.Store.RevokeDevice(ctx, id, s.now())
}

// Identify returns who holds token: a session's person or a paired,
// unrevoked device. It fails with Unauthorized.
func (s *Service) Identify(ctx context.Context, token string) (Principal, error) {
	if token == "" || len(token) > 100 {
		return Principal{}, queue.Errorf(queue.Unauthorized, "sign in or pair this device first")
	}
	h := Hash(token)
	now := s.now()
	p, ok, gen := s.cache.get(h, now)
	if ok {
		return p, nil
	}
	p, until, err := s.identify(ctx, h, now)
	if err == nil && s.CacheFor > 0 {
		if limit := now.Add(s.CacheFor); until.IsZero() || limit.Before(until) {
			until = limit
		}
		s.cache.put(h, p, until, gen, now)
	}
	return p, err
}

// identify reads who holds the token with hash h, and until when that
// holds at most (a session's end; zero for a device).
func (s *Service) identify(ctx context.Context, h string, now time.Time) (Principal, time.Time, error) {
	sess, err := s.Store.Session(ctx, h, now)
	switch queue.ErrorCode(err) {
	case "":
		// A removed account's sessions are deleted with it; the role is
		// read again so a demotion takes effect at once.
		u, err := s.Store.User(ctx, sess.User)
		if err != nil {
			if queue.ErrorCode(err) == queue.NotFound {
				return Principal{}, time.Time{}, queue.Errorf(queue.Unauthorized, "this account no longer exists")
			}
			return Principal{}, time.Time{}, err
		}
		return Principal{User: u.Name, Role: u.Role, Session: h}, sess.ExpiresAt, nil
	case queue.NotFound:
	default:
		return Principal{}, time.Time{}, err
	}
	d, err := s.Store.DeviceByToken(ctx, h)
	if queue.ErrorCode(err) == queue.NotFound || (err == nil && !d.Active()) {
		return Principal{}, time.Time{}, queue.Errorf(queue.Unauthorized, "the sign-in has ended or this device was unpaired; sign in or pair it again")
	}
	if err != nil {
		return Principal{}, time.Time{}, err
	}
	return Principal{Device: &d}, time.Time{}, nil
}

// AddDevice creates a kiosk or display and returns its one-time pairing
// code.
func (s *Service) AddDevice(ctx context.Context, kind DeviceKind, name string) (Device, string, error) {
	if !kind.Valid() {
		return Device{}, "", queue.Errorf(queue.Invalid, "device kind %q is neither kiosk nor display", kind)
	}
	name, err := CleanDeviceName(name)
	if err != nil {
		return Device{}, "", err
	}
	code := NewPairCode()
	now := s.now()
	exp := now.Add(PairTTL)
	d := Device{ID: queue.NewID(8), Kind: kind, Name: name, CreatedAt: now, PairExpires: &exp, PairHash: Hash(code)}
	return d, code, s.Store.CreateDevice(ctx, d)
}

// NewPairCode gives device id a fresh pairing code; its current token,
// if any, stops working.
func (s *Service) NewPairCode(ctx context.Context, id string) (string, error) {
	code := NewPairCode()
	defer s.cache.dropDevice(id)
	return code, s.Store.Repair(ctx, id, Hash(code), s.now().Add(PairTTL))
}

// Pair uses a pairing code and returns the device and its new token.
func (s *Service) Pair(ctx context.Context, code string) (Device, string, error) {
	code = NormalizePairCode(code)
	if len(code) != 9 {
		return Device{}, "", queue.Errorf(queue.Unauthorized, "this pairing code is not valid")
	}
	token := NewToken()
	d, err := s.Store.Pair(ctx, Hash(code), Hash(token), s.now())
	if queue.ErrorCode(err) == queue.NotFound {
		return Device{}, "", queue.Errorf(queue.Unauthorized, "this pairing code is not valid, was used already or has expired")
	}
	return d, token, err
}
