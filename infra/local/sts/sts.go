// Package sts serves the AWS STS action that scripts call before any other,
// GetCallerIdentity, over STS's query protocol (a form-encoded POST, or a
// GET, to / with Action=...; XML responses), so that
// `aws sts get-caller-identity --endpoint-url ...` works against the local
// stack. The stack accepts any credentials, so every caller is the
// account's root user. STS's other actions answer InvalidAction, in the
// protocol's XML error format.
package sts

import (
	"bytes"
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"loanflow/infra/local/awsquery"
)

// The STS query protocol.
const (
	// APIVersion is the Version parameter of STS requests.
	APIVersion = "2011-06-15"
	// Namespace is the XML namespace of STS responses.
	Namespace = "https://sts.amazonaws.com/doc/2011-06-15/"
	// maxBody is the largest request body read; STS requests are small.
	maxBody = 1 << 20
)

// actions are every action of STS's API (botocore's model), so that a
// request for one is recognised without a signature.
var actions = map[string]bool{}

func init() {
	for _, a := range strings.Fields(`AssumeRole AssumeRoleWithSAML AssumeRoleWithWebIdentity AssumeRoot
		DecodeAuthorizationMessage GetAccessKeyInfo GetCallerIdentity GetDelegatedAccessToken GetFederationToken
		GetSessionToken GetWebIdentityToken`) {
		actions[a] = true
	}
}

// Handler serves STS's query protocol.
type Handler struct {
	// AccountID is the account every caller belongs to.
	AccountID string
	// Log receives a warning for each action the stack does not serve.
	Log *slog.Logger
}

// IsRequest reports whether r is for STS: a request to / without
// X-Amz-Target whose SigV4 credential scope names sts or, unsigned, whose
// Action (in the URL or a form-encoded POST body, which is read and put
// back) is one of STS's.
func IsRequest(r *http.Request) bool {
	if r.Header.Get("X-Amz-Target") != "" || (r.URL.Path != "/" && r.URL.Path != "") {
		return false
	}
	if svc, ok := awsquery.CredentialService(r); ok {
		return svc == "sts"
	}
	return actions[awsquery.Action(r, maxBody)]
}

// Operations returns the names of the STS actions Handler serves: the
// operation registry the README's table is made from.
func Operations() []string { return []string{"GetCallerIdentity"} }

// CallerIdentity is the GetCallerIdentity result.
type CallerIdentity struct {
	ARN     string `xml:"Arn"`
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
}

// ServeHTTP answers GetCallerIdentity with the account's root user, and
// every other action with an XML error.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := requestID()
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		writeError(w, reqID, http.StatusMethodNotAllowed, "InvalidAction", "STS requests are POST or GET")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		writeError(w, reqID, http.StatusBadRequest, "MalformedQueryString", "The request could not be read as form-encoded parameters: "+err.Error())
		return
	}
	switch name := r.Form.Get("Action"); {
	case name == "":
		writeError(w, reqID, http.StatusBadRequest, "MissingAction", "The request must contain the parameter Action.")
	case name == "GetCallerIdentity":
		writeResult(w, reqID, name, CallerIdentity{ARN: "arn:aws:iam::" + h.AccountID + ":root", UserID: h.AccountID, Account: h.AccountID})
	case actions[name]:
		if h.Log != nil {
			h.Log.WarnContext(r.Context(), "sts: action not served", "action", name)
		}
		writeError(w, reqID, http.StatusBadRequest, "InvalidAction", fmt.Sprintf(
			"The loanflow local stack does not serve sts.%s: of STS it serves GetCallerIdentity only (every caller is the root user of account %s).",
			name, h.AccountID))
	default:
		writeError(w, reqID, http.StatusBadRequest, "InvalidAction", fmt.Sprintf("The action %s is not valid for this web service.", name))
	}
}

// writeResult writes <NameResponse xmlns=...><NameResult>...</NameResult>
// <ResponseMetadata><RequestId/></ResponseMetadata></NameResponse>.
func writeResult(w http.ResponseWriter, reqID, name string, res any) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<%sResponse xmlns="%s">`, name, Namespace)
	if err := xml.NewEncoder(&b).EncodeElement(res, xml.StartElement{Name: xml.Name{Local: name + "Result"}}); err != nil {
		writeError(w, reqID, http.StatusInternalServerError, "InternalError", "encode response: "+err.Error())
		return
	}
	fmt.Fprintf(&b, `<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`, reqID, name)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", reqID)
	_, _ = w.Write(b.Bytes())
}

// errorResponse is the query protocol's error document.
type errorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

func writeError(w http.ResponseWriter, reqID string, status int, code, msg string) {
	e := errorResponse{Xmlns: Namespace, RequestID: reqID}
	e.Error.Type, e.Error.Code, e.Error.Message = "Sender", code, msg
	if status >= 500 {
		e.Error.Type = "Receiver"
	}
	out, _ := xml.Marshal(e)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", reqID)
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
