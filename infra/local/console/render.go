package console

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"
)

//go:embed templates/*.html assets/console.css assets/console.js
var files embed.FS

// pages are the templates that render a whole page; each defines "main",
// the live part of the page, inside the shared layout.
var pages = []string{"overview", "executions", "execution", "queue", "topics", "tables", "error"}

// templates holds one template set per page.
type templates struct {
	sets      map[string]*template.Template
	css       template.CSS
	js        template.JS
	refreshMS int64
	title     string
}

func mustParseTemplates(o Options) *templates {
	t, err := parseTemplates(o)
	if err != nil {
		panic(fmt.Sprintf("console: templates: %v", err)) // the files are embedded: a bug, caught by any test
	}
	return t
}

func parseTemplates(o Options) (*templates, error) {
	css, err := files.ReadFile("assets/console.css")
	if err != nil {
		return nil, fmt.Errorf("read stylesheet: %w", err)
	}
	js, err := files.ReadFile("assets/console.js")
	if err != nil {
		return nil, fmt.Errorf("read script: %w", err)
	}
	t := &templates{sets: map[string]*template.Template{}, css: template.CSS(css), js: template.JS(js), title: o.Title}
	if o.RefreshInterval > 0 {
		t.refreshMS = o.RefreshInterval.Milliseconds()
	}
	funcs := o.funcs()
	funcs["css"] = func() template.CSS { return t.css }
	funcs["js"] = func() template.JS { return t.js }
	base, err := template.New("layout").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/parts.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	for _, p := range pages {
		set, err := template.Must(base.Clone()).ParseFS(files, "templates/"+p+".html")
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", p, err)
		}
		t.sets[p] = set
	}
	return t, nil
}

// page is what the layout needs, around the page's own view.
type page struct {
	Title     string // this page's title
	App       string // the console's title
	Nav       string // the active navigation entry
	Nonce     string
	RefreshMS int64
	Live      bool   // keep refreshing; false once nothing on the page can change
	Self      string // this page's URL, for the refresh link
	Updated   time.Time
	HasTables bool // the Source lists tables: the navigation links them
	View      any
	// known are the secrets a handler listed already, to hide them before
	// it cut text short; render lists them itself when nil.
	known *Secrets
}

// render writes a page, or only its live part when the page's script asks
// for it with ?fragment=1. It renders into a buffer first, so that a
// template error becomes a clean 500 instead of half a page, and so that no
// whole secret the stack knows leaves in it (redact.go). A page whose
// secrets cannot be listed is not shown.
func (s *server) render(w http.ResponseWriter, r *http.Request, code int, name string, p page) {
	var sec Secrets
	var err error
	if p.known != nil {
		sec = *p.known
	} else {
		sec, err = s.src.Secrets(r.Context())
	}
	if err != nil {
		if name != "error" {
			s.fail(w, r, fmt.Errorf("list the secrets the %s page must hide: %w", name, err))
			return
		}
		s.log.ErrorContext(r.Context(), "console: cannot list the secrets to hide", "err", err)
	}
	if ev, ok := p.View.(errorView); ok {
		ev.Message = redactText(ev.Message)
		p.View = ev
	}
	set := s.tmpl.sets[name]
	p.App, p.RefreshMS, p.Updated = s.tmpl.title, s.tmpl.refreshMS, s.opts.Now()
	_, p.HasTables = s.src.(TableLister)
	p.Self = r.URL.Path
	if q := r.URL.Query(); len(q) > 0 {
		q.Del("fragment")
		q.Del("redriven")
		if enc := q.Encode(); enc != "" {
			p.Self += "?" + enc
		}
	}
	nonce, err := newNonce()
	if err != nil {
		s.log.ErrorContext(r.Context(), "console: nonce", "err", err)
	}
	p.Nonce = nonce
	tmpl := "layout"
	if r.URL.Query().Get("fragment") == "1" {
		tmpl = "main"
	}
	var b bytes.Buffer
	if err := set.ExecuteTemplate(&b, tmpl, p); err != nil {
		s.log.ErrorContext(r.Context(), "console: render", "page", name, "err", err)
		if name != "error" {
			s.render(w, r, http.StatusInternalServerError, "error", page{Title: "Error",
				View: errorView{Code: http.StatusInternalServerError, Message: fmt.Sprintf("render %s: %v", name, err)}})
			return
		}
		http.Error(w, "render error page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", strings.Join([]string{
		"default-src 'none'", "script-src 'nonce-" + nonce + "'", "style-src 'unsafe-inline'",
		"img-src 'self' data:", "connect-src 'self'", "form-action 'self'",
		"base-uri 'none'", "frame-ancestors 'none'",
	}, "; "))
	w.WriteHeader(code)
	_, _ = valueRedactor(sec).WriteString(w, b.String())
}

func newNonce() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// errorView is the error page's content.
type errorView struct {
	Code    int
	Message string
}

// fail logs err and answers a 500 page with its text; ErrNotFound becomes
// a 404 page instead, ErrInvalid a 400 page.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrNotFound) {
		s.render(w, r, http.StatusNotFound, "error", page{Title: "Not found",
			View: errorView{Code: http.StatusNotFound, Message: err.Error()}})
		return
	}
	if errors.Is(err, ErrInvalid) {
		s.render(w, r, http.StatusBadRequest, "error", page{Title: "Bad request",
			View: errorView{Code: http.StatusBadRequest, Message: err.Error()}})
		return
	}
	s.log.ErrorContext(r.Context(), "console: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	s.render(w, r, http.StatusInternalServerError, "error", page{Title: "Error",
		View: errorView{Code: http.StatusInternalServerError, Message: err.Error()}})
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, fmt.Errorf("no page at %s: %w", r.URL.Path, ErrNotFound))
}
