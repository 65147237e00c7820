// Package unserved answers the AWS API requests that reach the local stack
// for a service or protocol it does not serve (`aws lambda list-functions`,
// SQS's query protocol from an older SDK, `aws s3 ls`) with an error in that
// protocol's own format, which the SDKs and the AWS CLI parse and print:
// "An error occurred (InvalidAction) ... The loanflow local stack does not
// serve sqs.ListQueues ...", instead of the console's HTML page, which they
// cannot parse.
//
// A request is an AWS API call when it carries a SigV4 signature (the
// Authorization header or a presigned URL), an X-Amz-Target header, or,
// sent to /, an Action parameter in a form-encoded POST body (or in the URL
// of a GET, with Version). A browser sends none of these, so the console's
// pages are never taken for one.
package unserved

import (
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"loanflow/infra/local/awsquery"
)

// maxBody is how much of a form-encoded body is read to find its Action.
const maxBody = 8 << 20

// Error codes: what AWS answers to an action it does not know, in the query
// protocols and in the JSON ones.
const (
	CodeInvalidAction    = "InvalidAction"
	CodeUnknownOperation = "UnknownOperationException"
)

// Signing names of the REST services whose errors are XML: S3's error
// document is <Error> at the root, the others' <ErrorResponse>.
var (
	s3Like  = map[string]bool{"s3": true, "s3-object-lambda": true, "s3-outposts": true}
	restXML = map[string]bool{"cloudfront": true, "route53": true}
)

// Handler answers every request with an AWS-style error saying that the
// stack does not serve what the request asks for, and what it serves.
type Handler struct {
	// Served lists what the stack serves, for the message ("DynamoDB",
	// "SQS (AWS JSON protocol)", ...).
	Served []string
	// Hints add a sentence to the message for a service, by signing name:
	// how to reach it when the stack serves it by another protocol.
	Hints map[string]string
	Log   *slog.Logger
}

// call is what an AWS API request names.
type call struct {
	service string // SigV4 signing name ("lambda"); "" when unsigned
	target  string // X-Amz-Target ("Logs_20140328.PutLogEvents")
	action  string // query protocol Action ("ListQueues")
}

// IsRequest reports whether r is an AWS API call (see the package comment).
// A form-encoded body read to find its Action is put back.
func IsRequest(r *http.Request) bool {
	if r.Header.Get("X-Amz-Target") != "" {
		return true
	}
	if _, ok := awsquery.CredentialService(r); ok {
		return true
	}
	if r.URL.Path != "/" && r.URL.Path != "" {
		return false
	}
	q := r.URL.Query()
	if q.Get("Action") != "" && (r.Method != http.MethodGet || q.Get("Version") != "") {
		return true
	}
	return awsquery.FormAction(r, maxBody) != ""
}

func identify(r *http.Request) call {
	c := call{target: r.Header.Get("X-Amz-Target")}
	c.service, _ = awsquery.CredentialService(r)
	if c.target == "" {
		if c.action = r.URL.Query().Get("Action"); c.action == "" {
			c.action = awsquery.FormAction(r, maxBody)
		}
	}
	return c
}

// what names the call in the message: service.Action, the target, or the
// service and the request line of a REST call.
func (c call) what(r *http.Request) string {
	switch {
	case c.target != "":
		return c.target
	case c.action != "" && c.service != "":
		return c.service + "." + c.action
	case c.action != "":
		return "the action " + c.action
	case c.service != "":
		return c.service + " (" + r.Method + " " + r.URL.Path + ")"
	}
	return r.Method + " " + r.URL.Path
}

// ServeHTTP answers the error: JSON with x-amzn-ErrorType for the JSON
// protocols (X-Amz-Target) and REST-JSON services, an XML ErrorResponse
// (EC2's Response, S3's Error) for the query protocol and REST-XML services.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := identify(r)
	msg := fmt.Sprintf("The loanflow local stack does not serve %s.", c.what(r))
	if hint := h.Hints[c.service]; hint != "" {
		msg += " " + hint
	}
	if len(h.Served) > 0 {
		msg += " It serves " + strings.Join(h.Served, ", ") + "."
	}
	if h.Log != nil {
		h.Log.WarnContext(r.Context(), "request for a service the local stack does not serve", "service", c.service,
			"target", c.target, "action", c.action, "method", r.Method, "path", r.URL.Path)
	}
	reqID := requestID()
	w.Header().Set("x-amzn-RequestId", reqID)
	switch {
	case c.target != "":
		writeJSON(w, "application/x-amz-json-1.1", CodeUnknownOperation, msg)
	case c.action != "" && c.service == "ec2":
		writeXML(w, ec2Error{RequestID: reqID, Errors: []xmlError{{Code: CodeInvalidAction, Message: msg}}})
	case c.action != "":
		writeXML(w, errorResponse{Error: xmlError{Type: "Sender", Code: CodeInvalidAction, Message: msg}, RequestID: reqID})
	case s3Like[c.service]:
		writeXML(w, s3Error{Code: CodeUnknownOperation, Message: msg, RequestID: reqID})
	case restXML[c.service]:
		writeXML(w, errorResponse{Error: xmlError{Type: "Sender", Code: CodeUnknownOperation, Message: msg}, RequestID: reqID})
	default:
		writeJSON(w, "application/json", CodeUnknownOperation, msg)
	}
}

type xmlError struct {
	Type    string `xml:"Type,omitempty"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// errorResponse is the query protocol's error document (and the REST-XML
// services' but S3's).
type errorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Error     xmlError `xml:"Error"`
	RequestID string   `xml:"RequestId"`
}

// ec2Error is EC2's.
type ec2Error struct {
	XMLName   xml.Name   `xml:"Response"`
	Errors    []xmlError `xml:"Errors>Error"`
	RequestID string     `xml:"RequestID"`
}

// s3Error is S3's.
type s3Error struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	RequestID string   `xml:"RequestId"`
}

func writeXML(w http.ResponseWriter, doc any) {
	out, err := xml.Marshal(doc)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write(append([]byte(xml.Header), out...))
}

func writeJSON(w http.ResponseWriter, contentType, code, msg string) {
	out, _ := json.Marshal(map[string]string{"__type": code, "message": msg})
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write(out)
}

func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
