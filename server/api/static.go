package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// asset is one embedded file, read once at start with its content-hash ETag.
type asset struct {
	body  []byte
	etag  string
	ctype string
}

// contentTypes are set explicitly: a file served with an unknown type would
// be downloaded instead of shown, and every text type says utf-8.
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".json":  "application/json; charset=utf-8",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".woff2": "font/woff2",
	".ttf":   "font/ttf",
	".txt":   "text/plain; charset=utf-8",
	".wav":   "audio/wav",
	".ico":   "image/x-icon",
}

func loadAssets(files fs.FS) (map[string]*asset, error) {
	out := map[string]*asset{}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") {
			return err
		}
		b, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ct := contentTypes[path.Ext(p)]
		if ct == "" {
			ct = mime.TypeByExtension(path.Ext(p))
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		out[p] = &asset{body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ctype: ct}
		return nil
	})
	return out, err
}

// serveUI serves one file of an embedded UI.
func (s *Server) serveUI(w http.ResponseWriter, r *http.Request, ui, p string) {
	a, ok := s.assets[ui][p]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("ETag", a.etag)
	// Revalidate every time: an update of the server must reach a kiosk
	// that never reloads by hand; the ETag keeps it cheap.
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

// mountUIs serves each embedded UI at /{name} (its index.html) and
// /{name}/{file}; the phone page is served under /t/ by its own routes.
func (s *Server) mountUIs(mux *http.ServeMux) {
	s.assets = map[string]map[string]*asset{}
	for name, files := range s.UIs {
		assets, err := loadAssets(files)
		if err != nil {
			s.Logger.Error("embedded UI unreadable", "ui", name, "err", err)
			continue
		}
		s.assets[name] = assets
		if name == "phone" {
			continue
		}
		serve := func(w http.ResponseWriter, r *http.Request, p string) { s.serveUI(w, r, name, p) }
		mux.Handle("GET /"+name, s.pageGate(name, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			serve(w, r, "index.html")
		})))
		mux.HandleFunc("GET /"+name+"/{file...}", func(w http.ResponseWriter, r *http.Request) {
			f := r.PathValue("file")
			if f == "" {
				f = "index.html"
			}
			serve(w, r, f)
		})
	}
}
