package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// sameOrigin accepts a state-changing request only when the browser says it
// comes from this console: Sec-Fetch-Site same-origin, or else an Origin (or,
// failing that, a Referer) whose host is the request's Host. A request with
// none of them is refused: every browser sends Origin on a form POST, and a
// script that wants to redrive can call the SQS API instead.
func sameOrigin(r *http.Request) error {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin":
		return nil
	case "cross-site", "same-site":
		return fmt.Errorf("%w (Sec-Fetch-Site %s)", errCrossOrigin, r.Header.Get("Sec-Fetch-Site"))
	}
	from := r.Header.Get("Origin")
	if from == "" || from == "null" {
		from = r.Header.Get("Referer")
	}
	if from == "" {
		return fmt.Errorf("%w (no Origin or Referer header)", errCrossOrigin)
	}
	u, err := url.Parse(from)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%w (origin %q)", errCrossOrigin, from)
	}
	if !strings.EqualFold(u.Host, r.Host) {
		return fmt.Errorf("%w (origin %s, host %s)", errCrossOrigin, u.Host, r.Host)
	}
	return nil
}
