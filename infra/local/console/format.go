package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// funcs are the template helpers; the clock and zone come from the options.
func (o Options) funcs() template.FuncMap {
	return template.FuncMap{
		"age":         formatAge,
		"ago":         func(t time.Time) string { return since(o.Now(), t) },
		"until":       func(t time.Time) string { return until(o.Now(), t) },
		"clock":       func(t time.Time) string { return stamp(t, o.Location, "15:04:05") },
		"stamp":       func(t time.Time) string { return stamp(t, o.Location, "2006-01-02 15:04:05.000") },
		"short":       shorten,
		"pretty":      prettyJSON,
		"statusLabel": statusLabel,
		"execName":    execName,
		"queueHref":   queueHref,
		"execHref":    execHref,
		"topicHref":   topicHref,
		"topicAnchor": topicAnchor,
		"size":        formatSize,
		"duration":    func(a, b time.Time) string { return duration(o.Now(), a, b) },
		"lower":       strings.ToLower,
		"trimAgo":     func(s string) string { return strings.TrimSuffix(s, " ago") },
		"add":         func(a, b float64) float64 { return a + b },
		"sub":         func(a, b float64) float64 { return a - b },
		"half":        func(a float64) float64 { return a / 2 },
	}
}

// formatSize writes a size in bytes the way people read it: "512 B",
// "1.5 KB", "256.0 KB".
func formatSize(n int) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	if n < 1024*1024 {
		return fmt.Sprintf("%.1f KB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1024*1024))
}

// formatAge writes a duration the way people read an age: "42s", "3m 12s",
// "5h 4m", "2d 3h".
func formatAge(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
	}
}

func since(now, t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	if t.After(now) {
		return "just now"
	}
	return formatAge(now.Sub(t)) + " ago"
}

func until(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	if t.Before(now) {
		return "expired " + formatAge(now.Sub(t)) + " ago"
	}
	return "in " + formatAge(t.Sub(now))
}

func stamp(t time.Time, loc *time.Location, layout string) string {
	if t.IsZero() {
		return "–"
	}
	return t.In(loc).Format(layout)
}

// duration is how long an execution ran, or has been running.
func duration(now, start, stop time.Time) string {
	if start.IsZero() {
		return "–"
	}
	if stop.IsZero() {
		return formatAge(now.Sub(start)) + " so far"
	}
	return formatAge(stop.Sub(start))
}

// shorten keeps the first n runes of s and marks the cut with an ellipsis.
func shorten(n int, s string) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// prettyJSON indents s when it is JSON and returns it unchanged otherwise.
func prettyJSON(s string) string {
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(s), "", "  "); err != nil {
		return s
	}
	return b.String()
}

// statusLabel turns "TIMED_OUT" into "Timed out".
func statusLabel(s string) string {
	if s == "" {
		return "All"
	}
	l := strings.ToLower(strings.ReplaceAll(s, "_", " "))
	return strings.ToUpper(l[:1]) + l[1:]
}

// execName is the last part of an execution ARN: its name.
func execName(arn string) string {
	if i := strings.LastIndexByte(arn, ':'); i >= 0 && i < len(arn)-1 {
		return arn[i+1:]
	}
	return arn
}

// queueName accepts a queue's name, URL or ARN and returns its name.
func queueName(ref string) string {
	if i := strings.LastIndexAny(ref, "/:"); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

func queueHref(name string) string { return "/queues/detail?name=" + url.QueryEscape(name) }
func execHref(arn string) string   { return "/executions/detail?arn=" + url.QueryEscape(arn) }
