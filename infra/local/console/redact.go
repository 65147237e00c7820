package console

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"loanflow/consumers/lambdalog"
)

// Task tokens, callback ids and signatures are secrets: whoever holds one can
// resume a loan, or forge the callback that does. No page shows one whole;
// a short prefix (consumers/lambdalog) is left, enough to correlate with the
// logs. Two passes hide them. By structure: the handlers redact what the
// Source gives before it reaches a template (the JSON keys that carry a
// secret, at any depth and inside JSON held in strings, in JSON cut short
// too; signature values and callback URLs anywhere in text). By value:
// render replaces every whole token and callback id the stack knows
// (Source.Secrets) in the page it is about to send, and every signing or
// API key by a mark that keeps nothing of it.

// secretKeys are the JSON keys whose string value is a secret, lower case,
// with how each is shown.
var secretKeys = map[string]func(string) string{
	"tasktoken":             lambdalog.Token,
	"callbackid":            lambdalog.ID,
	"signature":             lambdalog.ID, // a bare header value
	"x-valuation-signature": lambdalog.ID,
	"bodybase64":            bodySize, // covered by the signature, shown by its size
}

// secretMember is the key a member's value is judged by: the "value" of a
// "signature" object ({"timestamp": ..., "value": "v1=..."}) is a signature.
func secretMember(parent, member string) string {
	if strings.EqualFold(parent, "signature") && strings.EqualFold(member, "value") {
		return parent
	}
	return member
}

// signatureValues are signature header entries ("v1=<hex>"), and callback
// URLs, whose last segment is a callback id, wherever they are in text.
var (
	signatureValues = regexp.MustCompile(`v1=[0-9a-fA-F]{16,}`)
	callbackURLs    = regexp.MustCompile(`(/valuations/)([A-Za-z0-9_-]{9,})`)
)

// secretMembers finds, in JSON that does not parse because it was cut
// short, a member whose key is in secretKeys and its string value, which
// may run to the end of the text; JSON held in a string (\"taskToken\":
// \"...) too. Its groups: what precedes the value, the key, the value.
var secretMembers = func() *regexp.Regexp {
	keys := make([]string, 0, len(secretKeys))
	for k := range secretKeys {
		keys = append(keys, regexp.QuoteMeta(k))
	}
	sort.Strings(keys)
	return regexp.MustCompile(`(?i)(\\*"(` + strings.Join(keys, "|") + `)\\*"\s*:\s*\\*")([^"\\]*)`)
}()

// keyShown stands for a signing or API key: not even a prefix of a key is
// shown.
const keyShown = "(key hidden)"

// bodySize stands for a base64 body: its length, not its bytes.
func bodySize(b64 string) string {
	if b, err := base64.StdEncoding.DecodeString(b64); err == nil {
		return fmt.Sprintf("(%d bytes)", len(b))
	}
	return fmt.Sprintf("(%d base64 characters)", len(b64))
}

// redactText hides the signature values and the callback ids of callback
// URLs in free text.
func redactText(s string) string {
	s = signatureValues.ReplaceAllStringFunc(s, lambdalog.ID)
	return callbackURLs.ReplaceAllStringFunc(s, func(m string) string {
		p := callbackURLs.FindStringSubmatch(m)
		return p[1] + lambdalog.ID(p[2])
	})
}

// redactJSON hides the secrets a JSON document carries by structure, then
// in its text. A document without secrets keeps its formatting; text that is
// not JSON gets the text pass only.
func redactJSON(s string) string {
	t := strings.TrimSpace(s)
	if t == "" || (t[0] != '{' && t[0] != '[') {
		return redactText(s)
	}
	var b bytes.Buffer
	changed, err := rewriteJSON(&b, []byte(t), "", 0)
	if err != nil || !changed {
		return redactText(s)
	}
	return redactText(b.String())
}

// redactCut is redactJSON for a body that may have been cut short (a
// topic's message as the Source keeps it): when it does not parse, the
// members whose key is a secret are hidden by a text pass that needs no
// closing quote, before the usual text pass.
func redactCut(s string) string {
	if t := strings.TrimSpace(s); t == "" || json.Valid([]byte(t)) {
		return redactJSON(s)
	}
	s = secretMembers.ReplaceAllStringFunc(s, func(m string) string {
		p := secretMembers.FindStringSubmatch(m)
		return p[1] + secretKeys[strings.ToLower(p[2])](p[3])
	})
	return redactText(s)
}

// maxDepth bounds the walk, JSON held in strings included.
const maxDepth = 64

// rewriteJSON writes the JSON value raw, found under key, to w with every
// secret it carries replaced, keeping the order of object members. It
// reports whether anything was replaced.
func rewriteJSON(w *bytes.Buffer, raw []byte, key string, depth int) (bool, error) {
	if depth > maxDepth {
		return false, fmt.Errorf("JSON nested deeper than %d", maxDepth)
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return false, fmt.Errorf("empty JSON value")
	}
	switch raw[0] {
	case '{', '[':
		dec := json.NewDecoder(bytes.NewReader(raw))
		open, err := dec.Token()
		if err != nil {
			return false, err
		}
		w.WriteString(open.(json.Delim).String())
		changed, isObject := false, open == json.Delim('{')
		for i := 0; dec.More(); i++ {
			if i > 0 {
				w.WriteByte(',')
			}
			member := key // an array's elements are under the array's key
			if isObject {
				tok, err := dec.Token()
				if err != nil {
					return false, err
				}
				member, _ = tok.(string)
				writeString(w, member)
				w.WriteByte(':')
				member = secretMember(key, member)
			}
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return false, err
			}
			c, err := rewriteJSON(w, v, member, depth+1)
			if err != nil {
				return false, err
			}
			changed = changed || c
		}
		if _, err := dec.Token(); err != nil {
			return false, err
		}
		if open == json.Delim('{') {
			w.WriteByte('}')
		} else {
			w.WriteByte(']')
		}
		return changed, nil
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return false, err
		}
		if hide, ok := secretKeys[strings.ToLower(key)]; ok {
			writeString(w, hide(s))
			return true, nil
		}
		if t := strings.TrimSpace(s); t != "" && (t[0] == '{' || t[0] == '[') {
			var inner bytes.Buffer
			if changed, err := rewriteJSON(&inner, []byte(t), "", depth+1); err == nil && changed {
				writeString(w, inner.String())
				return true, nil
			}
		}
	}
	if !json.Valid(raw) {
		return false, fmt.Errorf("invalid JSON value %.20q", raw)
	}
	w.Write(raw)
	return false, nil
}

// writeString writes s as a JSON string, leaving <, > and & as they are
// (the templates escape them).
func writeString(w *bytes.Buffer, s string) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // a string always encodes
	w.Truncate(w.Len() - 1) // Encode's newline
}

// redactAny hides the secrets of a decoded JSON value (an event's details):
// by key, in strings that hold JSON, and in text.
func redactAny(key string, v any, depth int) any {
	switch x := v.(type) {
	case string:
		if hide, ok := secretKeys[strings.ToLower(key)]; ok {
			return hide(x)
		}
		return redactJSON(x)
	case map[string]any:
		if depth > maxDepth {
			return nil
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = redactAny(secretMember(key, k), e, depth+1)
		}
		return out
	case []any:
		if depth > maxDepth {
			return nil
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = redactAny(key, e, depth+1)
		}
		return out
	}
	return v
}

// redactDetails is redactAny for a history event's details.
func redactDetails(d map[string]any) map[string]any {
	if d == nil {
		return nil
	}
	out, _ := redactAny("", d, 0).(map[string]any)
	return out
}

// valueRedactor replaces every whole known secret in a rendered page, as
// written and as the templates escape it (HTML text and attributes, URL
// query values), by its short prefix, or a key by keyShown.
func valueRedactor(sec Secrets) *strings.Replacer {
	type pair struct{ old, new string }
	var pairs []pair
	seen := map[string]bool{}
	add := func(secret, shown string) {
		if len(secret) <= 8 { // shown whole anyway: nothing to hide
			return
		}
		for _, form := range []string{secret, template.HTMLEscapeString(secret),
			strings.ReplaceAll(template.HTMLEscapeString(secret), "+", "&#43;"), url.QueryEscape(secret)} {
			if !seen[form] {
				seen[form] = true
				pairs = append(pairs, pair{form, shown})
			}
		}
	}
	for _, t := range sec.TaskTokens {
		add(t, lambdalog.Token(t))
	}
	for _, id := range sec.CallbackIDs {
		add(id, lambdalog.ID(id))
	}
	for _, k := range sec.Keys {
		add(k, keyShown)
	}
	// Longest first: a secret that contains another is replaced whole.
	sort.SliceStable(pairs, func(i, j int) bool { return len(pairs[i].old) > len(pairs[j].old) })
	args := make([]string, 0, 2*len(pairs))
	for _, p := range pairs {
		args = append(args, p.old, p.new)
	}
	return strings.NewReplacer(args...)
}
