package sqs

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"loanflow/infra/local/awsjson"
)

// postRaw sends body, bytes as they are, to the SQS JSON protocol.
func postRaw(t *testing.T, url, op, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("X-Amz-Target", "AmazonSQS."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s: answer is not JSON: %s", op, raw)
	}
	return resp.StatusCode, out
}

// A string that Go's JSON decoder would silently turn into U+FFFD (a byte
// that is not UTF-8, an escaped lone surrogate) is refused, naming the
// field, and nothing is stored (issue 14: SQS stored U+FFFD and answered
// the MD5 of the replaced body, which matched nothing the sender had).
func TestRawRequestsThatAreNotUTF8AreRefused(t *testing.T) {
	b := newTestBroker(t, newFakeClock())
	mustCreate(t, b, "u", nil)
	srv := httptest.NewServer(awsjson.NewMux(slog.New(slog.DiscardHandler), b.Service()))
	t.Cleanup(srv.Close)
	qu := `"QueueUrl":"` + b.QueueURL("u") + `"`
	for _, tc := range []struct {
		name, op, body, code, message string
	}{
		{"body not UTF-8", "SendMessage", `{` + qu + `,"MessageBody":"Caf` + "\xe9" + `"}`, "InvalidMessageContents",
			"Invalid UTF-8 was found in the message body (MessageBody): byte 0xE9, which is not part of a UTF-8 encoded character, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"},
		{"body with a lone surrogate", "SendMessage", `{` + qu + `,"MessageBody":"a\ud800b"}`, "InvalidMessageContents",
			"Invalid binary character '#xD800' was found in the message body (MessageBody), the set of allowed characters is"},
		{"low surrogate first", "SendMessage", `{` + qu + `,"MessageBody":"\udc00\ud800"}`, "InvalidMessageContents",
			"Invalid binary character '#xDC00' was found in the message body (MessageBody)"},
		{"batch entry", "SendMessageBatch", `{` + qu + `,"Entries":[{"Id":"a","MessageBody":"ok"},{"Id":"b","MessageBody":"` + "\xff" + `"}]}`, "InvalidMessageContents",
			"Invalid UTF-8 was found in the message body (Entries[1].MessageBody): byte 0xFF"},
		{"attribute value", "SendMessage", `{` + qu + `,"MessageBody":"ok","MessageAttributes":{"color":{"DataType":"String","StringValue":"r` + "\xc3" + `d"}}}`, "InvalidMessageContents",
			"Invalid UTF-8 was found in message (user) attribute 'color' (MessageAttributes.color.StringValue): byte 0xC3"},
		{"attribute value, batch", "SendMessageBatch", `{` + qu + `,"Entries":[{"Id":"a","MessageBody":"ok","MessageAttributes":{"a.b":{"DataType":"String","StringValue":"\udfff"}}}]}`, "InvalidMessageContents",
			"Invalid binary character '#xDFFF' was found in message (user) attribute 'a.b' (Entries[0].MessageAttributes.a.b.StringValue)"},
		{"attribute value with a control character", "SendMessage", `{` + qu + `,"MessageBody":"ok","MessageAttributes":{"color":{"DataType":"String","StringValue":"\u0001"}}}`, "InvalidMessageContents",
			"Invalid binary character '#x1' was found in the value of message (user) attribute 'color'"},
		{"attribute name", "SendMessage", `{` + qu + `,"MessageBody":"ok","MessageAttributes":{"c` + "\xff" + `":{"DataType":"String","StringValue":"x"}}}`, "InvalidParameterValue",
			"A member name of MessageAttributes is invalid: it holds byte 0xFF"},
		{"queue URL", "SendMessage", `{"QueueUrl":"` + b.QueueURL("u") + "\xff" + `","MessageBody":"ok"}`, "InvalidParameterValue",
			"Value for parameter QueueUrl is invalid. Reason: it holds byte 0xFF, which is not part of a UTF-8 encoded character."},
	} {
		status, out := postRaw(t, srv.URL, tc.op, tc.body)
		if status != http.StatusBadRequest || out["__type"] != tc.code || !strings.HasPrefix(out["message"].(string), tc.message) {
			t.Errorf("%s: %d %v; want 400 %s: %s", tc.name, status, out, tc.code, tc.message)
		}
	}
	if s := stats(t, b, "u"); s.Visible+s.Delayed != 0 {
		t.Fatalf("refused requests stored %d messages", s.Visible+s.Delayed)
	}

	// What decodes to exactly what was meant is stored, and its MD5 is that
	// of the text: an escaped pair, an escaped character, an escaped
	// backslash before "ud800" (the text \ud800, not a surrogate).
	for body, want := range map[string]string{
		`a\ud83d\ude00b`: "a\U0001F600b",
		`caf\u00e9`:      "café",
		`\\ud800`:        `\ud800`,
		"caf\u00e9 ok":   "café ok",
	} {
		status, out := postRaw(t, srv.URL, "SendMessage", `{`+qu+`,"MessageBody":"`+body+`"}`)
		if status != http.StatusOK || out["MD5OfMessageBody"] != md5Hex(want) {
			t.Errorf("body %s: %d %v; want 200 with the MD5 of %q", body, status, out, want)
		}
	}
	var got []string
	for _, m := range receiveNow(t, b, "u", 10) {
		got = append(got, m.Body)
	}
	if len(got) != 4 || !strings.Contains(strings.Join(got, "|"), "a\U0001F600b") || !strings.Contains(strings.Join(got, "|"), `\ud800`) {
		t.Errorf("stored %q", got)
	}
}

// Attribute values and data types meet the body's rules through the Go API
// too: stored, they were re-encoded (U+FFFD) while their MD5 was not.
func TestAttributeValuesMeetTheBodysCharacterRules(t *testing.T) {
	b := newTestBroker(t, newFakeClock())
	mustCreate(t, b, "q", nil)
	for name, a := range map[string]MessageAttribute{
		"not UTF-8":         {DataType: "String", StringValue: "r\xffd"},
		"control character": {DataType: "String", StringValue: "a\x00b"},
		"noncharacter":      {DataType: "String", StringValue: "\uFFFF"},
		"data type label":   {DataType: "String.\xff", StringValue: "x"},
	} {
		_, err := b.Send(context.Background(), "q", NewMessage{Body: "ok", Attributes: map[string]MessageAttribute{"attr": a}})
		if !errors.Is(err, ErrInvalidMessageContents) || !strings.Contains(err.Error(), "message (user) attribute 'attr'") {
			t.Errorf("%s: %v; want InvalidMessageContents naming the attribute", name, err)
		}
	}
	_, err := b.Send(context.Background(), "q", NewMessage{Body: "caf\xe9"})
	if !errors.Is(err, ErrInvalidMessageContents) || !strings.Contains(err.Error(), "byte 0xE9 at offset 3") {
		t.Errorf("body not UTF-8: %v", err)
	}
	if _, err := b.Send(context.Background(), "q", NewMessage{Body: "ok", Attributes: map[string]MessageAttribute{
		"attr": {DataType: "String.label", StringValue: "café \U0001F600 \uFFFD"}}}); err != nil {
		t.Errorf("valid attribute: %v", err)
	}
}
