package api

import (
	"context"
	"html/template"
	"net/http"
	"strings"
	"time"

	"wartemarke/server/auth"
	"wartemarke/server/queue"
)

// The sign-in and pairing pages are rendered by the server, without
// scripts, so that they work before any web app has loaded and under the
// strict CSP.
var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="de"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} – Wartemarke</title>
<link rel="stylesheet" href="/common/base.css">
<link rel="stylesheet" href="/common/forms.css">
</head><body class="form-page">
<main class="form-card">
<h1>{{.Title}}</h1>
{{if .Intro}}<p>{{.Intro}}</p>{{end}}
{{if .Error}}<p class="form-error" role="alert" data-testid="form-error">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="next" value="{{.Next}}">
{{range .Fields}}<label for="f-{{.Name}}">{{.Label}}</label>
<input id="f-{{.Name}}" name="{{.Name}}" type="{{.Type}}" value="{{.Value}}" autocomplete="{{.Auto}}" {{if .Focus}}autofocus{{end}} required data-testid="field-{{.Name}}">
{{end}}<button type="submit" data-testid="submit">{{.Button}}</button>
</form>
</main></body></html>
`))

type pageField struct {
	Name, Label, Type, Value, Auto string
	Focus                          bool
}

type page struct {
	Title, Intro, Error, Action, Next, Button string
	Fields                                    []pageField
}

func (s *Server) renderPage(w http.ResponseWriter, status int, p page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := pageTmpl.Execute(w, p); err != nil {
		s.Logger.Error("page", "err", err)
	}
}

// safeNext keeps a redirect target on this site.
func safeNext(next, fallback string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return fallback
	}
	return next
}

func pairPage(code, errMsg string) page {
	return page{
		Title: "Gerät koppeln", Action: "/pair", Button: "Koppeln", Error: errMsg,
		Intro:  "Dieses Gerät wird als Kiosk oder Anzeige eingerichtet. Den Kopplungscode erzeugt ein Admin in der Konsole oder mit „wartemarke device add“.",
		Fields: []pageField{{Name: "code", Label: "Kopplungscode", Type: "text", Value: code, Auto: "off", Focus: code == ""}},
	}
}

func (s *Server) handlePairPage(w http.ResponseWriter, r *http.Request) {
	s.renderPage(w, http.StatusOK, pairPage(r.URL.Query().Get("code"), ""))
}

func (s *Server) handlePairForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	code := r.PostFormValue("code")
	now := time.Now()
	ip := "pair:" + clientIP(r)
	if blocked, _ := s.pairings.blocked(ip, now); blocked {
		s.renderPage(w, http.StatusTooManyRequests, pairPage(code, "Zu viele falsche Codes. Bitte später erneut versuchen."))
		return
	}
	d, token, err := s.Auth.Pair(r.Context(), code)
	if err != nil {
		status := statusOf(queue.ErrorCode(err))
		msg := "Der Code ist ungültig, schon benutzt oder abgelaufen."
		if status == http.StatusUnauthorized {
			s.pairings.fail(ip, now)
		} else {
			msg = "Das Koppeln hat nicht geklappt. Bitte erneut versuchen."
		}
		s.renderPage(w, status, pairPage(code, msg))
		return
	}
	s.Logger.Info("device paired", "device", d.ID, "kind", d.Kind, "name", d.Name)
	s.setCookie(w, r, DeviceCookie, token, deviceCookieAge)
	http.Redirect(w, r, "/"+string(d.Kind), http.StatusSeeOther)
}

func signInPage(name, next, errMsg string) page {
	return page{
		Title: "Anmelden", Action: "/signin", Next: next, Button: "Anmelden", Error: errMsg,
		Intro: "Beratungskonsole der Migrationsberatung",
		Fields: []pageField{
			{Name: "name", Label: "Name", Type: "text", Value: name, Auto: "username", Focus: name == ""},
			{Name: "password", Label: "Passwort", Type: "password", Auto: "current-password", Focus: name != ""},
		},
	}
}

func (s *Server) handleSignInPage(w http.ResponseWriter, r *http.Request) {
	s.renderPage(w, http.StatusOK, signInPage("", safeNext(r.URL.Query().Get("next"), "/console"), ""))
}

func (s *Server) handleSignInForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	name, pw := r.PostFormValue("name"), r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"), "/console")
	now := time.Now()
	acct, ip := "acct:"+name, "ip:"+clientIP(r)
	for _, key := range []string{acct, ip} {
		if blocked, _ := s.signIns.blocked(key, now); blocked {
			s.renderPage(w, http.StatusTooManyRequests, signInPage(name, next, "Zu viele Fehlversuche. Bitte einige Minuten warten."))
			return
		}
	}
	token, _, err := s.Auth.SignIn(r.Context(), name, pw)
	if err != nil {
		msg := "Anmeldung gerade nicht möglich. Bitte erneut versuchen."
		if queue.ErrorCode(err) == queue.Unauthorized {
			s.signIns.fail(acct, now)
			s.signIns.fail(ip, now)
			msg = "Name oder Passwort ist falsch."
		}
		s.renderPage(w, statusOf(queue.ErrorCode(err)), signInPage(name, next, msg))
		return
	}
	s.signIns.reset(acct)
	s.setCookie(w, r, SessionCookie, token, auth.SessionTTL)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// pageGate sends a browser that may not use a page to the pairing or
// sign-in page instead: /kiosk needs a paired kiosk, /display a paired
// display or kiosk or a signed-in person, /console a signed-in person,
// /admin/stats a signed-in admin.
func (s *Server) pageGate(ui string, next http.Handler) http.Handler {
	var pol Policy
	var to string
	switch ui {
	case "kiosk":
		pol, to = KioskOnly, "/pair"
	case "display":
		pol, to = Listener, "/pair"
	case "console":
		pol, to = Staff, "/signin?next=/console"
	case "admin/stats":
		pol, to = AdminOnly, "/signin?next=/admin/stats"
	default:
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Auth == nil {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		_, err := s.identify(r.WithContext(ctx), pol)
		switch queue.ErrorCode(err) {
		case "":
			next.ServeHTTP(w, r)
		case queue.Unauthorized, queue.Forbidden:
			http.Redirect(w, r, to, http.StatusSeeOther)
		default:
			writeError(w, r, s.Logger, err)
		}
	})
}
