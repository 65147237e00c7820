package sns

import (
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// MaxMessageSize is Publish's limit on a message with its attributes
// (256 KiB).
const MaxMessageSize = 256 * 1024

// MessageAttribute is a typed message attribute. DataType is String,
// String.Array (StringValue a JSON array), Number or Binary.
type MessageAttribute struct {
	DataType    string `json:"DataType"`
	StringValue string `json:"StringValue,omitempty"`
	BinaryValue []byte `json:"BinaryValue,omitempty"`
}

// storedMessage is a published message as kept in sns_messages.
type storedMessage struct {
	id, topicARN string
	subject      string // "" when the message has none
	message      string
	structure    string // "json" or ""
	attrs        map[string]MessageAttribute
	publishedAt  int64

	perProtocol map[string]string // the parsed message when structure is json; set before the message is shared
}

// textFor is the message a subscription of the protocol receives.
func (m *storedMessage) textFor(protocol string) string {
	if m.structure != "json" {
		return m.message
	}
	if t, ok := m.perProtocol[protocol]; ok {
		return t
	}
	return m.perProtocol["default"]
}

// parseStructured reads a MessageStructure=json message: a JSON object
// whose string members are the messages of the protocols they name and
// "default" the message of every other; members of other types are ignored.
func parseStructured(message string) (map[string]string, *Error) {
	failParse := fail(ErrInvalidParameter, "Invalid parameter: Message Structure - JSON message body failed to parse")
	dec := json.NewDecoder(strings.NewReader(message))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, failParse
	}
	out := map[string]string{}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, failParse
		}
		key, _ := t.(string)
		if seen[key] {
			return nil, fail(ErrInvalidParameter, "Invalid parameter: Message Structure - Duplicate key %q in JSON message body", key)
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, failParse
		}
		var str string
		if json.Unmarshal(raw, &str) == nil {
			out[key] = str
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return nil, failParse
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, failParse // something after the object
	}
	if _, ok := out["default"]; !ok {
		return nil, fail(ErrInvalidParameter, "Invalid parameter: Message Structure - No default entry in JSON message body")
	}
	return out, nil
}

// Compiled on first use: its counted repetition costs milliseconds at every
// process start otherwise.
var attrNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`) })

// checkMessageAttributes checks attributes as Publish does and returns
// their size toward MaxMessageSize.
func checkMessageAttributes(attrs map[string]MessageAttribute) (int, *Error) {
	size := 0
	for name, a := range attrs {
		lower := strings.ToLower(name)
		if !attrNameRE().MatchString(name) || strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") ||
			strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
			return 0, fail(ErrInvalidParameterValue, "The message attribute name '%s' is invalid: names are 1 to 256 characters "+
				"A-Z, a-z, 0-9, _, - and ., must not start or end with a period nor hold two in a row, and must not start with AWS. or Amazon.", name)
		}
		if a.DataType == "" {
			return 0, fail(ErrInvalidParameterValue, "The message attribute '%s' must contain non-empty message attribute type.", name)
		}
		if len(a.DataType) > 256 || !utf8.ValidString(a.DataType) {
			return 0, fail(ErrInvalidParameterValue, "The message attribute '%s' has an invalid message attribute type.", name)
		}
		switch baseType(a.DataType) {
		case "String":
			if a.StringValue == "" {
				return 0, fail(ErrInvalidParameterValue, "The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, a.DataType)
			}
			if !utf8.ValidString(a.StringValue) {
				return 0, fail(ErrInvalidParameterValue, "The message attribute '%s' value is not valid UTF-8.", name)
			}
			if a.DataType == "String.Array" {
				var arr []any
				if err := json.Unmarshal([]byte(a.StringValue), &arr); err != nil {
					return 0, fail(ErrInvalidParameterValue, "The message attribute '%s' with type 'String.Array' must hold a JSON array: %v", name, err)
				}
			}
		case "Number":
			if _, err := strconv.ParseFloat(strings.TrimSpace(a.StringValue), 64); err != nil || a.StringValue == "" {
				return 0, fail(ErrInvalidParameterValue, "Could not cast message attribute '%s' value to number.", name)
			}
		case "Binary":
			if len(a.BinaryValue) == 0 {
				return 0, fail(ErrInvalidParameterValue, "The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, a.DataType)
			}
		default:
			return 0, fail(ErrInvalidParameterValue, "The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
		}
		size += len(name) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
	}
	return size, nil
}

// checkSubject checks a Subject: UTF-8 text of at most 100 characters,
// without line breaks or control characters.
func checkSubject(subject string) *Error {
	if !utf8.ValidString(subject) || utf8.RuneCountInString(subject) > 100 {
		return invalidParam("Subject", "")
	}
	for _, r := range subject {
		if r < 0x20 || r == 0x7f {
			return invalidParam("Subject", "")
		}
	}
	return nil
}

func encodeAttrs(attrs map[string]MessageAttribute) any {
	if len(attrs) == 0 {
		return nil
	}
	b, _ := json.Marshal(attrs)
	return string(b)
}

func decodeAttrs(text []byte) (map[string]MessageAttribute, error) {
	if len(bytes.TrimSpace(text)) == 0 {
		return nil, nil
	}
	var m map[string]MessageAttribute
	err := json.Unmarshal(text, &m)
	return m, err
}
