// Package httpapi is the local twin of an API Gateway HTTP API with a Lambda
// proxy integration (payload format 2.0): it turns an HTTP request into an
// events.APIGatewayV2HTTPRequest, invokes the function and writes its response.
package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// Invoker invokes a function.
type Invoker interface {
	Invoke(ctx context.Context, nameOrARN string, payload []byte) ([]byte, error)
}

// Route maps a method and path to a function.
type Route struct {
	Method   string
	Path     string
	Function string
}

// API serves routes under a prefix (the stage URL).
type API struct {
	Prefix string
	Routes []Route
	Fn     Invoker
	Log    *slog.Logger
}

// MaxBody is API Gateway's payload limit (10 MB).
const MaxBody = 10 << 20

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, a.Prefix)
	if path == "" {
		path = "/"
	}
	var route *Route
	for i := range a.Routes {
		if a.Routes[i].Method == r.Method && a.Routes[i].Path == path {
			route = &a.Routes[i]
		}
	}
	if route == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"message": "Request Entity Too Large"})
		return
	}
	headers := map[string]string{}
	for k, v := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(v, ",")
	}
	now := time.Now()
	req := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: route.Method + " " + route.Path, RawPath: path, RawQueryString: r.URL.RawQuery,
		Headers: headers,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: route.Method + " " + route.Path, Stage: "$default", RequestID: fmt.Sprintf("%d", now.UnixNano()),
			DomainName: r.Host, TimeEpoch: now.UnixMilli(), Time: now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: r.Method, Path: path, Protocol: r.Proto,
				SourceIP: strings.Split(r.RemoteAddr, ":")[0], UserAgent: r.UserAgent()},
		},
	}
	if utf8.Valid(body) {
		req.Body = string(body)
	} else {
		req.Body, req.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	payload, err := json.Marshal(req)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal Server Error"})
		return
	}
	out, err := a.Fn.Invoke(r.Context(), route.Function, payload)
	if err != nil {
		a.log().ErrorContext(r.Context(), "http api: function failed", "route", req.RouteKey, "err", err.Error())
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal Server Error"})
		return
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode == 0 {
		a.log().ErrorContext(r.Context(), "http api: malformed function response", "route", req.RouteKey)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal Server Error"})
		return
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	respBody := []byte(resp.Body)
	if resp.IsBase64Encoded {
		if b, err := base64.StdEncoding.DecodeString(resp.Body); err == nil {
			respBody = b
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(respBody)
}

func (a *API) log() *slog.Logger {
	if a.Log != nil {
		return a.Log
	}
	return slog.Default()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
