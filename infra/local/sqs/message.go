package sqs

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// MessageAttribute is a typed message attribute, with the JSON names of the
// SQS protocol. DataType is String, Number or Binary, optionally followed by
// a custom type (".label").
type MessageAttribute struct {
	DataType    string `json:"DataType"`
	StringValue string `json:"StringValue,omitempty"`
	BinaryValue []byte `json:"BinaryValue,omitempty"`
}

// NewMessage is a message to send.
type NewMessage struct {
	Body string
	// Delay overrides the queue's DelaySeconds when not nil.
	Delay      *time.Duration
	Attributes map[string]MessageAttribute
	// TraceHeader is the AWSTraceHeader system attribute.
	TraceHeader string
	// GroupID is the MessageGroupId: required by a FIFO queue, optional on
	// a standard one (where it names a fair queue's tenant).
	GroupID string
	// DeduplicationID is a FIFO message's MessageDeduplicationId; when it
	// is empty, a queue with ContentBasedDeduplication uses the SHA-256 of
	// the body.
	DeduplicationID string
}

// Sent describes a message accepted by Send. A FIFO message that repeats a
// deduplication id of the last 5 minutes is accepted but not stored: its
// MessageID and SequenceNumber are the first message's.
type Sent struct {
	MessageID       string
	MD5OfBody       string
	MD5OfAttributes string
	// MD5OfSystemAttributes is the MD5OfMessageSystemAttributes of a
	// message sent with an AWSTraceHeader, empty otherwise.
	MD5OfSystemAttributes string
	// SequenceNumber is a FIFO message's, empty on a standard queue.
	SequenceNumber string
	// Duplicate reports a FIFO message dropped as a duplicate.
	Duplicate bool
}

// Message is a received or peeked message.
type Message struct {
	ID string
	// ReceiptHandle is empty for peeked messages.
	ReceiptHandle   string
	Body            string
	MD5OfBody       string
	MD5OfAttributes string
	Attributes      map[string]MessageAttribute
	SentAt          time.Time
	// FirstReceivedAt is zero until the message is first received.
	FirstReceivedAt time.Time
	ReceiveCount    int
	TraceHeader     string
	// DeadLetterSourceARN is the queue a dead-lettered message came from.
	DeadLetterSourceARN string
	// GroupID, DeduplicationID and SequenceNumber are a FIFO message's
	// (GroupID also a fair standard queue's).
	GroupID, DeduplicationID, SequenceNumber string
}

// Compiled on first use: its counted repetition costs milliseconds at every
// process start otherwise.
var attrNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`) })

// validate checks a message against the queue's limits, like SQS does.
func validate(q *queue, m NewMessage) error {
	if m.Body == "" {
		return fail(ErrMissingParameter, "The request must contain the parameter MessageBody.")
	}
	if err := checkBodyChars(m.Body); err != nil {
		return err
	}
	if m.Delay != nil && (*m.Delay < 0 || *m.Delay > 900*time.Second) {
		return invalidParam("DelaySeconds", int64(*m.Delay/time.Second), "DelaySeconds must be >= 0 and <= 900.")
	}
	if err := validateFIFOFields(q, m); err != nil {
		return err
	}
	if len(m.Attributes) > 10 {
		return fail(ErrInvalidParameterValue, "Number of message attributes [%d] exceeds the allowed maximum [10].", len(m.Attributes))
	}
	size := len(m.Body)
	for name, a := range m.Attributes {
		if err := validateAttribute(name, a); err != nil {
			return err
		}
		size += len(name) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
	}
	if size > q.maxSize {
		return fail(ErrInvalidParameterValue, "One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", q.maxSize)
	}
	return nil
}

// fifoIDRE is a MessageGroupId, MessageDeduplicationId or
// ReceiveRequestAttemptId: 1 to 128 alphanumeric or punctuation characters.
var fifoIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[!-~]{1,128}$`) })

// checkFIFOID refuses a malformed id of the named parameter, in AWS's words.
func checkFIFOID(param, id string) error {
	if !fifoIDRE().MatchString(id) {
		return fail(ErrInvalidParameterValue, "Value %s for parameter %s is invalid. Reason: %s can only include alphanumeric and punctuation characters. 1 to 128 in length.", id, param, param)
	}
	return nil
}

// Errors of FIFO sends, in AWS's words.
var (
	errNoGroupID = func() error {
		return fail(ErrMissingParameter, "The request must contain the parameter MessageGroupId.")
	}
	errNoDedupID = func() error {
		return fail(ErrInvalidParameterValue, "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
	}
)

// validateFIFOFields checks the group and deduplication ids and the delay
// of m against the queue's type: a FIFO queue needs a group id, a
// deduplication id unless it deduplicates by content, and takes no delay
// of the message's own (its delay is the queue's).
func validateFIFOFields(q *queue, m NewMessage) error {
	if m.GroupID != "" {
		if err := checkFIFOID("MessageGroupId", m.GroupID); err != nil {
			return err
		}
	}
	if m.DeduplicationID != "" {
		if err := checkFIFOID("MessageDeduplicationId", m.DeduplicationID); err != nil {
			return err
		}
		if !q.fifo {
			return fail(ErrInvalidParameterValue, "Value %s for parameter MessageDeduplicationId is invalid. Reason: The request include parameter that is not valid for this queue type.", m.DeduplicationID)
		}
	}
	if !q.fifo {
		return nil
	}
	if m.GroupID == "" {
		return errNoGroupID()
	}
	if m.DeduplicationID == "" && !q.contentDedup {
		return errNoDedupID()
	}
	if m.Delay != nil && *m.Delay != 0 {
		return fail(ErrInvalidParameterValue, "Value %d for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.", int64(*m.Delay/time.Second))
	}
	return nil
}

// AllowedCharacters is the set of characters a message body and a String
// attribute value may hold, in AWS's words.
const AllowedCharacters = "#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"

func checkBodyChars(body string) error {
	return checkChars(body, "the message body")
}

// checkChars rejects text that is not UTF-8 or holds a character outside
// AllowedCharacters, as SQS does with InvalidMessageContents; where names
// the text ("the message body").
func checkChars(text, where string) error {
	for i, r := range text {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(text[i:]); size == 1 {
				return fail(ErrInvalidMessageContents, "Invalid UTF-8 was found in %s: byte 0x%02X at offset %d is not part of a UTF-8 encoded character, the set of allowed characters is %s", where, text[i], i, AllowedCharacters)
			}
		}
		if !allowedChar(r) {
			return fail(ErrInvalidMessageContents, "Invalid binary character '#x%X' was found in %s, the set of allowed characters is %s", r, where, AllowedCharacters)
		}
	}
	return nil
}

func allowedChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

func validateAttribute(name string, a MessageAttribute) error {
	lower := strings.ToLower(name)
	if !attrNameRE().MatchString(name) || strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") ||
		strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
		return fail(ErrInvalidParameterValue, "Message (user) attribute name '%s' is invalid.", name)
	}
	base, _, _ := strings.Cut(a.DataType, ".")
	switch base {
	case "String":
		if a.StringValue == "" {
			return fail(ErrInvalidParameterValue, "Message (user) attribute '%s' must contain a non-empty value of type 'String'.", name)
		}
		if err := checkChars(a.StringValue, "the value of message (user) attribute '"+name+"'"); err != nil {
			return err
		}
	case "Number":
		if !validNumber(a.StringValue) {
			return fail(ErrInvalidParameterValue, "Could not cast message attribute '%s' value to number.", name)
		}
	case "Binary":
		if len(a.BinaryValue) == 0 {
			return fail(ErrInvalidParameterValue, "Message (user) attribute '%s' must contain a non-empty value of type 'Binary'.", name)
		}
	default:
		return fail(ErrInvalidParameterValue, "The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name)
	}
	if len(a.DataType) > 256 {
		return fail(ErrInvalidParameterValue, "Message (user) attribute '%s' data type is too long.", name)
	}
	if err := checkChars(a.DataType, "the data type of message (user) attribute '"+name+"'"); err != nil {
		return err
	}
	return nil
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// md5OfAttributes is SQS's MD5OfMessageAttributes: for each attribute in name
// order, the length-prefixed name and data type, a transport byte (1 string,
// 2 binary) and the length-prefixed value. Empty when there are none.
func md5OfAttributes(attrs map[string]MessageAttribute) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	slices.Sort(names)
	h := md5.New()
	put := func(b []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	for _, n := range names {
		a := attrs[n]
		put([]byte(n))
		put([]byte(a.DataType))
		if strings.HasPrefix(a.DataType, "Binary") {
			h.Write([]byte{2})
			put(a.BinaryValue)
		} else {
			h.Write([]byte{1})
			put([]byte(a.StringValue))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// md5OfSystemAttributes is SQS's MD5OfMessageSystemAttributes: the
// message attributes' digest over the system attributes sent (the only one
// a sender may set is AWSTraceHeader, a String). Empty when none was sent.
func md5OfSystemAttributes(traceHeader string) string {
	if traceHeader == "" {
		return ""
	}
	return md5OfAttributes(map[string]MessageAttribute{"AWSTraceHeader": {DataType: "String", StringValue: traceHeader}})
}

// newToken returns a random token for receipt handles.
func newToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// validNumber says s is a Number attribute value SQS accepts: a decimal
// integer or floating-point number, optionally with an exponent ("Numbers
// ... can have up to 38 digits of precision, and can be between 10^-128 and
// 10^+126"; leading and trailing zeros do not count). Go's own syntaxes
// (Inf, NaN, 0x10, 1_000) are not numbers here.
func validNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	intStart := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intDigits := s[intStart:i]
	var fracDigits string
	if i < len(s) && s[i] == '.' {
		i++
		fracStart := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		fracDigits = s[fracStart:i]
	}
	if intDigits == "" && fracDigits == "" {
		return false
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		neg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			neg = s[i] == '-'
			i++
		}
		expStart := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if i-expStart >= 6 {
				return false // far outside the range whatever the digits
			}
			exp = exp*10 + int(s[i]-'0')
			i++
		}
		if i == expStart {
			return false
		}
		if neg {
			exp = -exp
		}
	}
	if i != len(s) {
		return false
	}
	digits := strings.TrimLeft(intDigits+fracDigits, "0")
	if digits == "" {
		return true // zero
	}
	leading := len(intDigits+fracDigits) - len(digits)
	if len(strings.TrimRight(digits, "0")) > 38 {
		return false
	}
	// The decimal exponent of the first significant digit.
	magnitude := exp + len(intDigits) - 1 - leading
	return magnitude >= -128 && magnitude < 126
}
