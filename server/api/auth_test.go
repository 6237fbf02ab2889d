package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"wartemarke/server/api"
	"wartemarke/server/auth"
)

// policies is who may call each route. A route missing here fails the
// test, so no route is added without deciding who may use it.
var policies = map[string]api.Policy{
	"GET /healthz":                        api.Public,
	"GET /metrics":                        api.Metrics,
	"GET /api/v1/config":                  api.Public,
	"GET /api/v1/lines":                   api.Public,
	"POST /api/v1/session":                api.Public,
	"POST /api/v1/pair":                   api.Public,
	"POST /api/v1/tickets":                api.KioskOnly,
	"GET /api/v1/events":                  api.Listener,
	"GET /api/v1/session":                 api.Listener,
	"DELETE /api/v1/session":              api.Staff,
	"GET /api/v1/tickets/{id}":            api.Listener,
	"POST /api/v1/tickets/{id}/{action}":  api.Staff,
	"POST /api/v1/desks/{desk}/next":      api.Staff,
	"PUT /api/v1/desks/{desk}":            api.Staff,
	"POST /api/v1/tickets/{id}/reprint":   api.Staff,
	"PUT /api/v1/lines/{line}/mode":       api.AdminOnly,
	"GET /api/v1/devices":                 api.AdminOnly,
	"POST /api/v1/devices":                api.AdminOnly,
	"POST /api/v1/devices/{id}/pair-code": api.AdminOnly,
	"DELETE /api/v1/devices/{id}":         api.AdminOnly,
	"GET /api/v1/users":                   api.AdminOnly,
	"POST /api/v1/users":                  api.AdminOnly,
	"DELETE /api/v1/users/{name}":         api.AdminOnly,
	"GET /api/v1/stats.csv":               api.AdminOnly,
	"GET /api/v1/reports/{file}":          api.AdminOnly,
	"GET /t/{token}":                      api.Public,
	"GET /t/static/{file...}":             api.Public,
	"GET /t/status/{token}":               api.Public,
	"GET /pair":                           api.Public,
	"POST /pair":                          api.Public,
	"GET /signin":                         api.Public,
	"POST /signin":                        api.Public,
}

// TestRoutePolicies checks every route's rule against the table above and
// calls each route as every kind of caller.
func TestRoutePolicies(t *testing.T) {
	e := MustServe(t)
	callers := map[string]string{
		"nobody":     "none",
		"kiosk":      "Bearer " + e.kiosk,
		"display":    "Bearer " + e.device(t, auth.Display),
		"counsellor": "Bearer " + e.user(t, "berater", auth.RoleCounsellor),
		"admin":      "Bearer " + e.staff,
		"revoked":    "Bearer " + e.revokedKiosk(t),
		"garbage":    "Bearer not-a-token",
	}
	may := map[api.Policy][]string{
		api.Public:    {"nobody", "kiosk", "display", "counsellor", "admin", "revoked", "garbage"},
		api.KioskOnly: {"kiosk"},
		api.Listener:  {"kiosk", "display", "counsellor", "admin"},
		api.Staff:     {"counsellor", "admin"},
		api.AdminOnly: {"admin"},
		api.Metrics:   {"admin"}, // and the metrics token (app.TestMetrics)
	}
	s := &api.Server{}
	seen := map[string]bool{}
	for _, rt := range s.Routes() {
		seen[rt.Pattern] = true
		want, ok := policies[rt.Pattern]
		if !ok {
			t.Errorf("route %q has no entry in the policy table", rt.Pattern)
			continue
		}
		if rt.Policy != want {
			t.Errorf("route %q: policy %q, want %q", rt.Pattern, rt.Policy, want)
		}
		method, path, _ := strings.Cut(rt.Pattern, " ")
		path = strings.NewReplacer("{id}", "x", "{action}", "done", "{desk}", "A", "{name}", "nobody").Replace(path)
		switch rt.Pattern {
		case "GET /api/v1/events", "DELETE /api/v1/session":
			continue // checked below and in TestSignInOut: an upgrade, and a call that ends the session
		case "POST /api/v1/session", "POST /api/v1/pair", "POST /pair", "POST /signin":
			continue // public; their 401 judges the body's credentials (TestSignInOut, TestPairingAndRevoke)
		}
		for who, hdr := range callers {
			r := e.do(t, method, path, "{}", "Authorization", hdr)
			allowed := false
			for _, w := range may[want] {
				allowed = allowed || w == who
			}
			switch {
			case allowed && (r.status == 401 || r.status == 403):
				t.Errorf("%s as %s: refused with %d (%s)", rt.Pattern, who, r.status, r.body)
			case !allowed && (who == "nobody" || who == "revoked" || who == "garbage") && r.status != 401:
				t.Errorf("%s as %s: status %d, want 401", rt.Pattern, who, r.status)
			case !allowed && who != "nobody" && who != "revoked" && who != "garbage" && r.status != 403:
				t.Errorf("%s as %s: status %d, want 403", rt.Pattern, who, r.status)
			}
		}
	}
	for p := range policies {
		if !seen[p] {
			t.Errorf("policy table names %q, which is no route", p)
		}
	}
	for who, hdr := range callers {
		r := e.do(t, "GET", "/api/v1/events", "", "Authorization", hdr)
		// Without an upgrade header an allowed caller reaches the hub
		// (absent here: 503) and a refused one gets 401/403.
		refused := r.status == 401 || r.status == 403
		if allowed := who == "kiosk" || who == "display" || who == "counsellor" || who == "admin"; allowed == refused {
			t.Errorf("events as %s: status %d", who, r.status)
		}
	}
}

// revokedKiosk pairs a kiosk and revokes it.
func (e *env) revokedKiosk(tb testing.TB) string {
	tb.Helper()
	token := e.device(tb, auth.Kiosk)
	p, err := e.auth.Identify(tb.Context(), token)
	if err != nil {
		tb.Fatal(err)
	}
	if r := e.do(tb, "DELETE", "/api/v1/devices/"+p.Device.ID, ""); r.status != 204 {
		tb.Fatalf("revoke: %d %s", r.status, r.body)
	}
	return token
}

func cookie(r response, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestSignInOut(t *testing.T) {
	e := MustServe(t)
	e.user(t, "berater1", auth.RoleCounsellor)
	r := e.do(t, "POST", "/api/v1/session", `{"name":"berater1","password":"a long test password"}`, "Authorization", "none")
	if r.status != 200 {
		t.Fatalf("sign in: %d %s", r.status, r.body)
	}
	c := cookie(r, api.SessionCookie)
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Value == "" {
		t.Fatalf("session cookie=%+v", c)
	}
	if strings.Contains(string(r.body), "password") {
		t.Fatalf("answer mentions the password: %s", r.body)
	}
	// The cookie alone works for a browser.
	if r := e.do(t, "GET", "/api/v1/session", "", "Authorization", "none", "Cookie", api.SessionCookie+"="+c.Value); r.status != 200 || !strings.Contains(string(r.body), `"berater1"`) {
		t.Fatalf("whoami by cookie: %d %s", r.status, r.body)
	}
	// The token works for an API client.
	if r := e.do(t, "POST", "/api/v1/desks/A/next", `{"lines":["mbe"]}`, "Authorization", "Bearer "+c.Value); r.status != 204 {
		t.Fatalf("next with the token: %d %s", r.status, r.body)
	}
	if r := e.do(t, "DELETE", "/api/v1/session", "", "Authorization", "none", "Cookie", api.SessionCookie+"="+c.Value); r.status != 204 {
		t.Fatalf("sign out: %d %s", r.status, r.body)
	} else if gone := cookie(r, api.SessionCookie); gone == nil || gone.MaxAge >= 0 {
		t.Fatalf("sign-out did not clear the cookie: %+v", gone)
	}
	if r := e.do(t, "GET", "/api/v1/session", "", "Authorization", "Bearer "+c.Value); r.status != 401 {
		t.Fatalf("after sign-out: %d %s", r.status, r.body)
	}
}

func TestSignInThrottled(t *testing.T) {
	e := MustServe(t)
	e.user(t, "berater1", auth.RoleCounsellor)
	for i := range 5 {
		r := e.do(t, "POST", "/api/v1/session", `{"name":"berater1","password":"guess number `+string(rune('a'+i))+`"}`, "Authorization", "none")
		if r.status != 401 || r.errorCode(t) != "unauthorized" {
			t.Fatalf("guess %d: %d %s", i, r.status, r.body)
		}
	}
	// Now even the right password waits: the guesser learns nothing.
	r := e.do(t, "POST", "/api/v1/session", `{"name":"berater1","password":"a long test password"}`, "Authorization", "none")
	if r.status != 429 || r.errorCode(t) != "too_many" || r.header.Get("Retry-After") == "" {
		t.Fatalf("after 5 failures: %d %s (Retry-After %q)", r.status, r.body, r.header.Get("Retry-After"))
	}
}

func TestPairingAndRevoke(t *testing.T) {
	e := MustServe(t)
	r := e.do(t, "POST", "/api/v1/devices", `{"kind":"kiosk","name":"Eingang"}`)
	if r.status != 201 {
		t.Fatalf("add device: %d %s", r.status, r.body)
	}
	var added struct {
		Device   auth.Device `json:"device"`
		PairCode string      `json:"pair_code"`
		PairURL  string      `json:"pair_url"`
	}
	decodeJSON(t, r.body, &added)
	if !strings.HasSuffix(added.PairURL, "/pair?code="+added.PairCode) {
		t.Fatalf("pair url %q", added.PairURL)
	}
	r = e.do(t, "POST", "/api/v1/pair", `{"code":"`+strings.ToLower(added.PairCode)+`"}`, "Authorization", "none")
	c := cookie(r, api.DeviceCookie)
	if r.status != 200 || c == nil || !c.HttpOnly || c.MaxAge < 300*24*3600 {
		t.Fatalf("pair: %d %s cookie %+v", r.status, r.body, c)
	}
	asKiosk := []string{"Authorization", "none", "Cookie", api.DeviceCookie + "=" + c.Value}
	if r := e.do(t, "POST", "/api/v1/tickets", `{"line":"mbe"}`, asKiosk...); r.status != 201 {
		t.Fatalf("draw by cookie: %d %s", r.status, r.body)
	}
	if r := e.do(t, "POST", "/api/v1/pair", `{"code":"`+added.PairCode+`"}`, "Authorization", "none"); r.status != 401 {
		t.Fatalf("second use of a pairing code: %d %s", r.status, r.body)
	}
	var list []struct {
		ID       string     `json:"id"`
		Active   bool       `json:"active"`
		LastSeen *time.Time `json:"last_seen"`
	}
	decodeJSON(t, e.do(t, "GET", "/api/v1/devices", "").body, &list)
	found := false
	for _, d := range list {
		if d.ID == added.Device.ID {
			found = d.Active && d.LastSeen != nil
		}
	}
	if !found {
		t.Fatalf("device list does not show the paired, seen kiosk: %+v", list)
	}
	if r := e.do(t, "DELETE", "/api/v1/devices/"+added.Device.ID, ""); r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := e.do(t, "POST", "/api/v1/tickets", `{"line":"mbe"}`, asKiosk...); r.status != 401 {
		t.Fatalf("draw by a revoked kiosk: %d %s", r.status, r.body)
	}
}

// TestCrossSite checks that a cookie-authenticated change from another
// site is refused, while the same from the page's own origin works.
func TestCrossSite(t *testing.T) {
	e := MustServe(t)
	cookieHdr := api.SessionCookie + "=" + e.staff
	r := e.do(t, "POST", "/api/v1/desks/A/next", `{"lines":["mbe"]}`, "Authorization", "none", "Cookie", cookieHdr, "Sec-Fetch-Site", "cross-site")
	if r.status != 403 {
		t.Fatalf("cross-site POST: %d %s", r.status, r.body)
	}
	r = e.do(t, "POST", "/api/v1/desks/A/next", `{"lines":["mbe"]}`, "Authorization", "none", "Cookie", cookieHdr, "Origin", "https://evil.example")
	if r.status != 403 {
		t.Fatalf("foreign-origin POST: %d %s", r.status, r.body)
	}
	r = e.do(t, "POST", "/api/v1/desks/A/next", `{"lines":["mbe"]}`, "Authorization", "none", "Cookie", cookieHdr, "Sec-Fetch-Site", "same-origin")
	if r.status != 204 {
		t.Fatalf("same-origin POST: %d %s", r.status, r.body)
	}
}

func TestDrawRateLimit(t *testing.T) {
	e := MustServeWith(t, func(s *api.Server) { s.DrawRate = 6 })
	ok, limited := 0, 0
	for range 12 {
		switch r := e.do(t, "POST", "/api/v1/tickets", `{"line":"jmd"}`); r.status {
		case 201:
			ok++
		case 429:
			limited++
			if r.errorCode(t) != "too_many" || r.header.Get("Retry-After") == "" {
				t.Fatalf("limited draw: %s", r.body)
			}
		default:
			t.Fatalf("draw: %d %s", r.status, r.body)
		}
	}
	if ok != 5 || limited != 7 {
		t.Fatalf("%d draws passed, %d limited; want a burst of 5", ok, limited)
	}
	// Another kiosk has its own allowance.
	other := e.device(t, auth.Kiosk)
	if r := e.do(t, "POST", "/api/v1/tickets", `{"line":"jmd"}`, "Authorization", "Bearer "+other); r.status != 201 {
		t.Fatalf("other kiosk: %d %s", r.status, r.body)
	}
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func TestPageGates(t *testing.T) {
	e := MustServeWith(t, func(s *api.Server) {
		s.UIs["console"] = s.UIs["kiosk"]
		s.UIs["display"] = s.UIs["kiosk"]
	})
	display := e.device(t, auth.Display)
	for _, tc := range []struct {
		page, token, wantTo string
	}{
		{"/kiosk", "", "/pair"},
		{"/kiosk", display, "/pair"},
		{"/kiosk", e.kiosk, ""},
		{"/display", "", "/pair"},
		{"/display", display, ""},
		{"/display", e.staff, ""},
		{"/console", "", "/signin?next=/console"},
		{"/console", e.kiosk, "/signin?next=/console"},
		{"/console", e.staff, ""},
	} {
		req, _ := http.NewRequest("GET", e.srv.URL+tc.page, nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		res, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if tc.wantTo == "" && res.StatusCode != 200 || tc.wantTo != "" && (res.StatusCode != 303 || res.Header.Get("Location") != tc.wantTo) {
			t.Errorf("GET %s: %d to %q, want %q", tc.page, res.StatusCode, res.Header.Get("Location"), tc.wantTo)
		}
	}
}

func TestPairAndSignInForms(t *testing.T) {
	e := MustServe(t)
	_, code, err := e.auth.AddDevice(t.Context(), auth.Display, "Wartebereich")
	if err != nil {
		t.Fatal(err)
	}
	post := func(path, form string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := post("/pair", "code=WRONG-CODE"); res.StatusCode != 401 {
		t.Fatalf("wrong code: %d", res.StatusCode)
	}
	res := post("/pair", "code="+code)
	if res.StatusCode != 303 || res.Header.Get("Location") != "/display" {
		t.Fatalf("pair form: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	var got *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == api.DeviceCookie {
			got = c
		}
	}
	if got == nil || !got.HttpOnly {
		t.Fatalf("no device cookie: %v", res.Cookies())
	}
	e.user(t, "berater1", auth.RoleCounsellor)
	if res := post("/signin", "name=berater1&password=wrong+password+here&next=/console"); res.StatusCode != 401 {
		t.Fatalf("wrong password: %d", res.StatusCode)
	}
	res = post("/signin", "name=berater1&password=a+long+test+password&next=//evil.example/")
	if res.StatusCode != 303 || res.Header.Get("Location") != "/console" {
		t.Fatalf("sign-in form: %d to %q (a foreign next must not be followed)", res.StatusCode, res.Header.Get("Location"))
	}
}
