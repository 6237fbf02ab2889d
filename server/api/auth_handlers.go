package api

import (
	"net/http"
	"time"

	"wartemarke/server/auth"
	"wartemarke/server/queue"
)

// signInRequest is the body of POST /api/v1/session.
type signInRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

// whoami is how GET/POST /api/v1/session describe the caller.
type whoami struct {
	Token     string       `json:"token,omitempty"`
	User      *userInfo    `json:"user,omitempty"`
	Device    *auth.Device `json:"device,omitempty"`
	ExpiresAt *time.Time   `json:"expires_at,omitempty"`
}

type userInfo struct {
	Name string    `json:"name"`
	Role auth.Role `json:"role"`
}

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, age time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: int(age.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil || s.SecureCookies,
	})
}

func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) {
	var req signInRequest
	if err := decode(w, r, &req, false); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	now := time.Now()
	acct, ip := "acct:"+req.Name, "ip:"+clientIP(r)
	for _, key := range []string{acct, ip} {
		if blocked, wait := s.signIns.blocked(key, now); blocked {
			writeError(w, r, s.Logger, tooMany(w, wait, "too many failed sign-ins; please wait and try again"))
			return
		}
	}
	token, sess, err := s.Auth.SignIn(r.Context(), req.Name, req.Password)
	if queue.ErrorCode(err) == queue.Unauthorized {
		s.signIns.fail(acct, now)
		s.signIns.fail(ip, now)
		s.Logger.Info("sign-in failed") // neither name nor address: no visitor data in logs
	}
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	s.signIns.reset(acct)
	s.setCookie(w, r, SessionCookie, token, auth.SessionTTL)
	writeJSON(w, http.StatusOK, whoami{Token: token, User: &userInfo{Name: sess.User, Role: sess.Role}, ExpiresAt: &sess.ExpiresAt})
}

func (s *Server) handleWhoami(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	if p.Device != nil {
		writeJSON(w, http.StatusOK, whoami{Device: p.Device})
		return
	}
	writeJSON(w, http.StatusOK, whoami{User: &userInfo{Name: p.User, Role: p.Role}})
}

func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	if p.Session != "" {
		if err := s.Auth.EndSession(r.Context(), p.Session); err != nil {
			writeError(w, r, s.Logger, err)
			return
		}
		s.cut("session:" + p.Session)
	}
	s.setCookie(w, r, SessionCookie, "", -time.Second)
	w.WriteHeader(http.StatusNoContent)
}

// cut closes the live connections whose tag holds the word.
func (s *Server) cut(word string) {
	if s.CloseConns != nil {
		s.CloseConns(word)
	}
}

// pairRequest is the body of POST /api/v1/pair.
type pairRequest struct {
	Code string `json:"code"`
}

func (s *Server) handlePair(w http.ResponseWriter, r *http.Request) {
	var req pairRequest
	if err := decode(w, r, &req, false); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	now := time.Now()
	ip := "pair:" + clientIP(r)
	if blocked, wait := s.pairings.blocked(ip, now); blocked {
		writeError(w, r, s.Logger, tooMany(w, wait, "too many wrong pairing codes; please wait and try again"))
		return
	}
	d, token, err := s.Auth.Pair(r.Context(), req.Code)
	if queue.ErrorCode(err) == queue.Unauthorized {
		s.pairings.fail(ip, now)
	}
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	s.Logger.Info("device paired", "device", d.ID, "kind", d.Kind, "name", d.Name)
	s.setCookie(w, r, DeviceCookie, token, deviceCookieAge)
	writeJSON(w, http.StatusOK, whoami{Token: token, Device: &d})
}

// deviceView is a device as the console lists it.
type deviceView struct {
	auth.Device
	Active    bool `json:"active"`
	Connected int  `json:"connected"`
}

func (s *Server) handleDevices(w http.ResponseWriter, r *http.Request) {
	ds, err := s.Auth.Store.Devices(r.Context())
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	out := make([]deviceView, len(ds))
	for i, d := range ds {
		out[i] = deviceView{Device: d, Active: d.Active()}
		if s.Connected != nil {
			out[i].Connected = s.Connected("device:" + d.ID)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// addDeviceRequest is the body of POST /api/v1/devices.
type addDeviceRequest struct {
	Kind auth.DeviceKind `json:"kind"`
	Name string          `json:"name"`
}

// pairingView is a fresh pairing code with the link that uses it.
type pairingView struct {
	Device   auth.Device `json:"device"`
	PairCode string      `json:"pair_code"`
	PairURL  string      `json:"pair_url"`
}

// PairURL is the link that pairs a device with code; it then opens the
// page of the device's kind.
func PairURL(base string, kind auth.DeviceKind, code string) string {
	return base + "/pair?code=" + code
}

func (s *Server) baseURL(r *http.Request) string {
	if s.PublicURL != "" {
		return s.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) handleAddDevice(w http.ResponseWriter, r *http.Request) {
	var req addDeviceRequest
	if err := decode(w, r, &req, false); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	d, code, err := s.Auth.AddDevice(r.Context(), req.Kind, req.Name)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusCreated, pairingView{Device: d, PairCode: code, PairURL: PairURL(s.baseURL(r), d.Kind, code)})
}

func (s *Server) handleNewPairCode(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	code, err := s.Auth.NewPairCode(r.Context(), id)
	if err == nil {
		s.cut("device:" + id)
	}
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	d, err := s.Auth.Store.Device(r.Context(), id)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, pairingView{Device: d, PairCode: code, PairURL: PairURL(s.baseURL(r), d.Kind, code)})
}

func (s *Server) handleRevokeDevice(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.Auth.RevokeDevice(r.Context(), id); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	s.cut("device:" + id)
	s.Logger.Info("device revoked", "device", id)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleUsers(w http.ResponseWriter, r *http.Request) {
	us, err := s.Auth.Store.Users(r.Context())
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, us)
}

// addUserRequest is the body of POST /api/v1/users.
type addUserRequest struct {
	Name     string    `json:"name"`
	Role     auth.Role `json:"role"`
	Password string    `json:"password"`
}

func (s *Server) handleAddUser(w http.ResponseWriter, r *http.Request) {
	var req addUserRequest
	if err := decode(w, r, &req, false); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	u, err := s.Auth.AddUser(r.Context(), req.Name, req.Role, req.Password)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusCreated, u)
}

func (s *Server) handleDeleteUser(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if name == principalFrom(r.Context()).User {
		writeError(w, r, s.Logger, queue.Errorf(queue.Conflict, "you cannot remove your own account"))
		return
	}
	if err := s.Auth.RemoveUser(r.Context(), name); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	s.cut("user:" + name)
	w.WriteHeader(http.StatusNoContent)
}
