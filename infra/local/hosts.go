package local

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"

	"loanflow/infra/local/awsjson"
)

// hostAllowList holds the Host headers the stack answers. A web page can
// point a name of its own at 127.0.0.1 (DNS rebinding) and then call the
// stack from the browser as its own origin: the browser's same-origin rules
// and the console's Origin check both pass, but the Host header still
// carries the page's name, which is not on the list. The stack's own
// clients (the functions' SDK clients, in-process or over TCP) call the
// endpoint, whose address is on it.
type hostAllowList struct {
	port  string
	exact map[string]bool // "name:port", lower case, IPv6 literals bracketed
	any   map[string]bool // names allowed on any port
	shown []string
}

// allowedHost is a name added to the list: on port, or on any port when
// port is empty.
type allowedHost struct{ name, port string }

// parseAllowHosts reads Options.AllowHosts: "name" or "name:port".
func parseAllowHosts(hosts []string) ([]allowedHost, error) {
	var out []allowedHost
	for _, h := range hosts {
		bad := fmt.Errorf("allowed host %q: want a host name, optionally with :port (no scheme, path or wildcard)", h)
		if h == "" || strings.ContainsAny(h, "/ \t*@") {
			return nil, bad
		}
		if name, port, err := net.SplitHostPort(h); err == nil {
			if _, err := strconv.ParseUint(port, 10, 16); err != nil || name == "" {
				return nil, bad
			}
			out = append(out, allowedHost{name: strings.ToLower(name), port: port})
			continue
		}
		name := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"))
		if name == "" || strings.ContainsAny(name, "[]") || strings.HasPrefix(h, "[") != strings.HasSuffix(h, "]") {
			return nil, bad
		}
		out = append(out, allowedHost{name: name})
	}
	return out, nil
}

// newHostAllowList allows localhost, 127.0.0.1 and [::1] on the bound
// port, the bound address (every interface's address when bound to all of
// them), and the extra names.
func newHostAllowList(bound *net.TCPAddr, extra []allowedHost) (*hostAllowList, error) {
	l := &hostAllowList{port: strconv.Itoa(bound.Port), exact: map[string]bool{}, any: map[string]bool{}}
	add := func(name, port string) {
		hp := strings.ToLower(net.JoinHostPort(name, port))
		if !l.exact[hp] {
			l.exact[hp] = true
			l.shown = append(l.shown, hp)
		}
	}
	for _, n := range []string{"127.0.0.1", "localhost", "::1"} {
		add(n, l.port)
	}
	if bound.IP.IsUnspecified() {
		addrs, err := net.InterfaceAddrs()
		if err != nil {
			return nil, fmt.Errorf("list the addresses of every interface: %w", err)
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLinkLocalUnicast() {
				add(n.IP.String(), l.port)
			}
		}
	} else {
		add(bound.IP.String(), l.port)
	}
	for _, h := range extra {
		if h.port != "" {
			add(h.name, h.port)
		} else if !l.any[h.name] {
			l.any[h.name] = true
			l.shown = append(l.shown, net.JoinHostPort(h.name, "*"))
		}
	}
	return l, nil
}

// allows reports whether a request's Host header is on the list.
func (l *hostAllowList) allows(host string) bool {
	h := strings.ToLower(host)
	if l.exact[h] {
		return true
	}
	name, port, err := net.SplitHostPort(h)
	if err != nil {
		name, port = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), "80"
	}
	return name != "" && (l.any[name] || l.exact[net.JoinHostPort(name, port)])
}

func (l *hostAllowList) list() []string { return append([]string(nil), l.shown...) }

// guard answers 403 to a request whose Host is not on the list, before any
// handler sees it: an AWS-style JSON error to AWS protocol requests, text
// to the rest.
func (l *hostAllowList) guard(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l.allows(r.Host) {
			next.ServeHTTP(w, r)
			return
		}
		log.WarnContext(r.Context(), "request refused: Host not allowed", "host", r.Host, "method", r.Method, "path", r.URL.Path,
			"remoteAddr", r.RemoteAddr)
		msg := fmt.Sprintf("Host %q is not allowed: the local stack answers only requests addressed to %s "+
			"(this keeps web pages that point their own name at this machine, by DNS rebinding, away from it); "+
			"to call it by another name, start it with --allow-host NAME", r.Host, strings.Join(l.shown, ", "))
		if awsjson.IsAWSRequest(r) {
			awsjson.WriteError(w, "1.1", &awsjson.Error{Code: "AccessDeniedException", Message: msg, Status: http.StatusForbidden})
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusForbidden)
		_, _ = fmt.Fprintln(w, msg)
	})
}
