// Package awsjson serves AWS JSON 1.0/1.1 protocol operations
// (POST / with an X-Amz-Target header) and writes errors in the shape the AWS
// SDKs parse, so their retry and error-code logic behaves as against AWS.
package awsjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"loanflow/infra/local/internal/reqbody"
)

// MaxBody is the largest request body accepted (AWS payload limits are far below).
const MaxBody = 8 << 20

// maxPresized bounds the buffer set aside up front for a body's declared
// length; a longer body grows its buffer as it arrives. (A client that
// declared 8 MiB and then sent nothing held 8 MiB of heap until its body
// timed out.) Every AWS payload limit is below it.
const maxPresized = 1 << 20

// Error is an AWS-style error: a code such as ValidationException, a message and
// the HTTP status. QueryCode, when set, is sent in x-amzn-query-error for
// services whose SDKs are query-compatible (SQS).
type Error struct {
	Code      string
	Message   string
	Status    int
	QueryCode string
	// Fields are extra members of the error body, e.g. the Item that DynamoDB
	// returns with a ConditionalCheckFailedException.
	Fields map[string]any
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns a client (HTTP 400) error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

// Validation returns a ValidationException naming the field and the rule.
func Validation(field, rule string) *Error {
	return Errorf("ValidationException", "%s: %s", field, rule)
}

// Operation handles one action: body is the raw JSON request; the result is
// encoded as the JSON response. Returning an *Error sends it as is; any other
// error is an InternalFailure (500) whose text is logged, not sent.
type Operation func(ctx context.Context, body []byte) (any, error)

// Service is one AWS service's operations behind its target prefix, e.g.
// "AWSStepFunctions" for "AWSStepFunctions.StartExecution".
type Service struct {
	TargetPrefix string
	// JSONVersion is "1.0" or "1.1" (the response content type).
	JSONVersion string
	Ops         map[string]Operation
	// CRC32 adds an X-Amz-Crc32 header (IEEE CRC32 of the body, decimal) to
	// every response, as DynamoDB does; its SDK clients validate it.
	CRC32 bool
	// Namespace, when set, gives the namespace a service puts before an
	// error code in __type, as DynamoDB sends
	// "com.amazon.coral.service#SerializationException" ("" for none). The
	// SDKs and the aws CLI read the code after the '#'.
	Namespace func(code string) string
}

// Mux dispatches X-Amz-Target requests to services.
type Mux struct {
	services map[string]*Service
	log      *slog.Logger
}

// NewMux returns a Mux serving the given services.
func NewMux(log *slog.Logger, services ...*Service) *Mux {
	m := &Mux{services: map[string]*Service{}, log: log}
	for _, s := range services {
		m.services[s.TargetPrefix] = s
	}
	return m
}

// Handle adds (or replaces) a service.
func (m *Mux) Handle(s *Service) { m.services[s.TargetPrefix] = s }

// IsAWSRequest reports whether r is an AWS JSON protocol request.
func IsAWSRequest(r *http.Request) bool { return r.Header.Get("X-Amz-Target") != "" }

func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	prefix, op, ok := strings.Cut(target, ".")
	svc := m.services[prefix]
	version, crc := "1.0", false
	var ns func(string) string
	if svc != nil {
		version, crc, ns = svc.JSONVersion, svc.CRC32, svc.Namespace
	}
	fail := func(e *Error) { writeError(w, version, crc, ns, e) }
	if r.Method != http.MethodPost {
		fail(&Error{Code: "UnknownOperationException", Message: "AWS JSON requests must be POST", Status: http.StatusMethodNotAllowed})
		return
	}
	if !ok || svc == nil {
		fail(Errorf("UnknownOperationException", "unknown service target %q: this local stack serves %s", target, m.prefixes()))
		return
	}
	fn := svc.Ops[op]
	if fn == nil {
		fail(Errorf("UnknownOperationException", "%s.%s is not supported by the loanflow local stack", prefix, op))
		return
	}
	// An in-process caller's body is taken as it is, not copied again.
	body, taken := reqbody.Take(r.Body, MaxBody)
	if !taken {
		var err error
		body, err = reqbody.Read(http.MaxBytesReader(w, r.Body, MaxBody), r.ContentLength, maxPresized)
		if err != nil {
			fail(Errorf("SerializationException", "read request body: %v", err))
			return
		}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if !json.Valid(body) {
		// Every AWS JSON protocol service refuses a body that is not JSON
		// before the operation runs, even one that reads no member.
		var v any
		fail(Decode(body, &v).(*Error))
		return
	}
	res, err := m.call(r.Context(), fn, body)
	if err != nil {
		var ae *Error
		var unavailable interface{ Unavailable() bool }
		switch {
		case errors.As(err, &ae):
		case errors.As(err, &unavailable) && unavailable.Unavailable():
			// The state file cannot be written (a full disk): nothing was
			// done, and the SDKs retry a 503 on their own.
			m.log.WarnContext(r.Context(), "operation not done: storage unavailable", "target", target, "err", err.Error())
			ae = &Error{Code: "ServiceUnavailable", Message: err.Error(), Status: http.StatusServiceUnavailable}
		default:
			m.log.ErrorContext(r.Context(), "operation failed", "target", target, "err", err.Error())
			ae = &Error{Code: "InternalFailure", Message: "internal error in " + target, Status: http.StatusInternalServerError}
		}
		fail(ae)
		return
	}
	if res == nil {
		res = struct{}{}
	}
	buf := encodeBuffers.Get().(*bytes.Buffer)
	defer putEncodeBuffer(buf)
	out, err := encode(buf, res)
	if err != nil {
		m.log.ErrorContext(r.Context(), "encode response", "target", target, "err", err.Error())
		fail(&Error{Code: "InternalFailure", Message: "encode response", Status: http.StatusInternalServerError})
		return
	}
	h := w.Header()
	h[headerContentType] = []string{contentType(version)}
	h[headerRequestID] = []string{requestID()}
	if crc {
		setCRC32(w, out)
	}
	_, _ = w.Write(out)
}

// encodeBuffers hold responses while they are encoded and written: the
// writer copies what it is given, so the encoding need not be a copy of its own.
var encodeBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer is the largest buffer kept for the next response.
const maxPooledBuffer = 64 << 10

func putEncodeBuffer(buf *bytes.Buffer) {
	if buf.Cap() <= maxPooledBuffer {
		encodeBuffers.Put(buf)
	}
}

// encode encodes v into buf as json.Marshal would, and returns the bytes,
// valid until buf is used again.
func encode(buf *bytes.Buffer, v any) ([]byte, error) {
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil // Encode ends the value with a newline
}

// The response headers' keys, in their canonical form (as Header.Set would
// make them).
const (
	headerContentType = "Content-Type"
	headerRequestID   = "X-Amzn-Requestid"
	headerCRC32       = "X-Amz-Crc32"
)

// contentType is the content type of a response of that JSON version.
func contentType(version string) string {
	switch version {
	case "1.0":
		return "application/x-amz-json-1.0"
	case "1.1":
		return "application/x-amz-json-1.1"
	}
	return "application/x-amz-json-" + version
}

func setCRC32(w http.ResponseWriter, body []byte) {
	w.Header()[headerCRC32] = []string{strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10)}
}

func (m *Mux) call(ctx context.Context, fn Operation, body []byte) (res any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return fn(ctx, body)
}

func (m *Mux) prefixes() string {
	var ps []string
	for p := range m.services {
		ps = append(ps, p)
	}
	return strings.Join(ps, ", ")
}

// WriteError writes e in the AWS JSON error shape.
func WriteError(w http.ResponseWriter, version string, e *Error) {
	writeError(w, version, false, nil, e)
}

func writeError(w http.ResponseWriter, version string, crc bool, ns func(string) string, e *Error) {
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	h := w.Header()
	h[headerContentType] = []string{contentType(version)}
	h[headerRequestID] = []string{requestID()}
	h.Set("X-Amzn-ErrorType", e.Code)
	if e.QueryCode != "" {
		fault := "Sender"
		if status >= 500 {
			fault = "Receiver"
		}
		h.Set("x-amzn-query-error", e.QueryCode+";"+fault)
	}
	body := map[string]any{}
	for k, v := range e.Fields {
		body[k] = v
	}
	typ := e.Code
	if ns != nil && !strings.Contains(typ, "#") {
		if n := ns(e.Code); n != "" {
			typ = n + "#" + e.Code
		}
	}
	body["__type"] = typ
	body["message"] = e.Message
	out, err := json.Marshal(body)
	if err != nil {
		out, _ = json.Marshal(map[string]string{"__type": typ, "message": e.Message})
	}
	if crc {
		setCRC32(w, out)
	}
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

// Decode unmarshals a request body strictly enough to name bad fields:
// malformed JSON is a SerializationException, a wrong type names the field.
func Decode(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Errorf("SerializationException", "%s: expected %s, got %s", te.Field, te.Type, te.Value)
		}
		return Errorf("SerializationException", "request body is not valid JSON: %v", err)
	}
	return nil
}
