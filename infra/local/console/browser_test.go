package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromium runs headless Chromium once with args and returns its stdout.
func chromium(t *testing.T, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not on PATH: skipping the real-browser test (apt-get install -y chromium to run it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}

// screenshotDir keeps the screenshots when CONSOLE_SCREENSHOTS names a
// directory, so a person can look at them.
func screenshotDir(t *testing.T) string {
	if dir := os.Getenv("CONSOLE_SCREENSHOTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

func TestInABrowser(t *testing.T) {
	if _, err := exec.LookPath("chromium"); err != nil {
		t.Skip("chromium is not on PATH: skipping the real-browser test (apt-get install -y chromium to run it)")
	}
	opts := Options{Title: "loanflow", Now: func() time.Time { return now }, Location: time.UTC, RefreshInterval: 300 * time.Millisecond}
	// A topic message whose subject is markup, on both sides of a refresh.
	hostileSubject := func(src *fakeSource) *fakeSource {
		src.topics[0].Recent[0].Subject = hostileBody
		return src
	}
	first := New(hostileSubject(newFakeSource()), opts)
	// The live part the page polls for comes from a stack that has moved
	// on: a new queue shows that the script fetched it and swapped it in.
	later := hostileSubject(newFakeSource())
	later.queues = append(later.queues, Queue{Name: "arrived-while-watching", Visible: 7})
	next := New(later, opts)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("fragment") == "1" {
			next.ServeHTTP(w, r)
			return
		}
		first.ServeHTTP(w, r)
	}))
	defer srv.Close()
	shots := screenshotDir(t)
	detail := srv.URL + "/executions/detail?arn=" + url.QueryEscape(execARN("loan-app-1002"))

	t.Run("overview refreshes live", func(t *testing.T) {
		dom := chromium(t, "--virtual-time-budget=5000", "--dump-dom", srv.URL+"/")
		mustContain(t, "overview DOM", dom, `id="live" data-state="on"`, "Live · 10:00:00",
			"arrived-while-watching", "valuation-requests-dlq", "valuation-completed-to-callback", "no rule matched")
		if strings.Contains(dom, secretToken) {
			t.Error("the DOM holds a whole task token")
		}
	})
	t.Run("finished execution stays still", func(t *testing.T) {
		dom := chromium(t, "--dump-dom", detail)
		mustContain(t, "detail DOM", dom, `id="live" data-state="static"`, `data-state="ValuationTimedOut" data-status="succeeded"`,
			"TaskTimedOut", "States.Timeout")
	})
	t.Run("queue page escapes bodies", func(t *testing.T) {
		dom := chromium(t, "--dump-dom", srv.URL+"/queues/detail?name=valuation-requests-dlq")
		mustContain(t, "queue DOM", dom, "&lt;script&gt;alert(1)&lt;/script&gt;", "Redrive all")
		if strings.Contains(dom, hostileBody) {
			t.Error("the message body became a script")
		}
	})
	t.Run("topics page escapes and hides", func(t *testing.T) {
		dom := chromium(t, "--virtual-time-budget=2000", "--dump-dom", srv.URL+"/topics")
		mustContain(t, "topics DOM", dom, `id="live" data-state="on"`, `<a href="/topics" aria-current="page">Topics</a>`,
			"loanflow-loan-notifications", "https://ops.example/hooks/referrals", `<span class="badge s-pending">pending</span>`,
			"&lt;script&gt;alert(1)&lt;/script&gt;", "signed with "+keyShown)
		for _, s := range []string{hostileBody, secretToken, goneToken, secretSigningKey} {
			if strings.Contains(dom, s) {
				t.Errorf("the DOM holds %.12s…", s)
			}
		}
	})
	t.Run("screenshots", func(t *testing.T) {
		for _, s := range []struct{ file, size, url string }{
			{"overview.png", "1280,1600", srv.URL + "/"},
			{"detail.png", "1280,1600", detail},
			{"failed.png", "1280,1200", srv.URL + "/executions/detail?arn=" + url.QueryEscape(execARN("loan-app-1003"))},
			{"running.png", "1280,1000", srv.URL + "/executions/detail?arn=" + url.QueryEscape(execARN("loan-app-1004"))},
			{"missing.png", "1280,600", srv.URL + "/queues/detail?name=nope"},
			{"queue.png", "1280,1000", srv.URL + "/queues/detail?name=valuation-requests-dlq"},
			{"executions.png", "1280,800", srv.URL + "/executions"},
			{"topics.png", "1280,1400", srv.URL + "/topics"},
			{"phone.png", "390,1400", srv.URL + "/"},
		} {
			path := filepath.Join(shots, s.file)
			chromium(t, "--screenshot="+path, "--window-size="+s.size, s.url)
			if st, err := os.Stat(path); err != nil || st.Size() < 10_000 {
				t.Errorf("%s: no real screenshot (%v)", s.file, err)
			}
		}
		t.Logf("screenshots in %s", shots)
	})
}
