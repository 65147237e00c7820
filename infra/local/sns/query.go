package sns

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"loanflow/infra/local/awsquery"
	"loanflow/infra/local/internal/ids"
)

// The SNS query protocol.
const (
	// APIVersion is the Version parameter of SNS requests.
	APIVersion = "2010-03-31"
	// Namespace is the XML namespace of SNS responses.
	Namespace = "http://sns.amazonaws.com/doc/2010-03-31/"
	// MaxBody is the largest request body read (a 256 KiB message is at
	// most three times as long form-encoded).
	MaxBody = 8 << 20
)

// certPathPrefix starts the path of SigningCertURL.
const certPathPrefix = "/SimpleNotificationService-"

// modelActions are every action of SNS's API, so that one this stack does
// not serve is told apart from one that does not exist.
var modelActions = map[string]bool{}

func init() {
	for _, a := range strings.Fields(`AddPermission CheckIfPhoneNumberIsOptedOut ConfirmSubscription CreatePlatformApplication
		CreatePlatformEndpoint CreateSMSSandboxPhoneNumber CreateTopic DeleteEndpoint DeletePlatformApplication
		DeleteSMSSandboxPhoneNumber DeleteTopic GetDataProtectionPolicy GetEndpointAttributes GetPlatformApplicationAttributes
		GetSMSAttributes GetSMSSandboxAccountStatus GetSubscriptionAttributes GetTopicAttributes ListEndpointsByPlatformApplication
		ListOriginationNumbers ListPhoneNumbersOptedOut ListPlatformApplications ListSMSSandboxPhoneNumbers ListSubscriptions
		ListSubscriptionsByTopic ListTagsForResource ListTopics OptInPhoneNumber Publish PublishBatch PutDataProtectionPolicy
		RemovePermission SetEndpointAttributes SetPlatformApplicationAttributes SetSMSAttributes SetSubscriptionAttributes
		SetTopicAttributes Subscribe TagResource Unsubscribe UntagResource VerifySMSSandboxPhoneNumber`) {
		modelActions[a] = true
	}
}

// IsRequest reports whether r is for SNS: a query-protocol request whose
// SigV4 credential scope names sns or, unsigned, whose Action is one of
// SNS's (a form-encoded POST body is read to find it, and put back), or a
// GET of the signing certificate. The AWS JSON protocols (X-Amz-Target)
// are never SNS.
func IsRequest(r *http.Request) bool {
	if r.Header.Get("X-Amz-Target") != "" {
		return false
	}
	if strings.HasPrefix(r.URL.Path, certPathPrefix) && strings.HasSuffix(r.URL.Path, ".pem") {
		return r.Method == http.MethodGet || r.Method == http.MethodHead
	}
	if r.URL.Path != "/" && r.URL.Path != "" {
		return false
	}
	if svc, ok := awsquery.CredentialService(r); ok {
		return svc == "sns"
	}
	return modelActions[awsquery.Action(r, MaxBody)]
}

func isSigned(r *http.Request) bool {
	_, ok := awsquery.CredentialService(r)
	return ok
}

// action handles one SNS action; the result is encoded in <ActionResult>
// (nil: the response has none).
type action func(ctx context.Context, q *query) (any, error)

// ServeHTTP serves the SNS query protocol (POST or GET /, Action=...),
// including the SubscribeURL and UnsubscribeURL links, and the signing
// certificate.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, certPathPrefix) {
		s.signer.serveCert(w, r)
		return
	}
	reqID := ids.UUID()
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		writeError(w, reqID, fail(ErrInvalidAction, "SNS requests are POST or GET"), http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	if err := r.ParseForm(); err != nil {
		writeError(w, reqID, fail(ErrMalformedQueryString, "The request could not be read as form-encoded parameters: %v", err), 0)
		return
	}
	name := r.Form.Get("Action")
	act := s.actions()[name]
	switch {
	case name == "":
		writeError(w, reqID, fail(ErrMissingAction, "The request must contain the parameter Action."), 0)
		return
	case act == nil && modelActions[name]:
		writeError(w, reqID, fail(ErrInvalidAction, "The action %s is not supported by the loanflow local stack.", name), 0)
		return
	case act == nil:
		writeError(w, reqID, fail(ErrInvalidAction, "The action %s is not valid for this web service.", name), 0)
		return
	}
	if v := r.Form.Get("Version"); v != "" && v != APIVersion {
		writeError(w, reqID, fail(ErrInvalidParameterValue, "Version %s is not supported; SNS's API version is %s.", v, APIVersion), 0)
		return
	}
	res, err := s.call(r.Context(), act, &query{form: r.Form, signed: isSigned(r)})
	if err != nil {
		var e *Error
		var unavailable interface{ Unavailable() bool }
		switch {
		case errors.As(err, &e):
			writeError(w, reqID, e, 0)
		case errors.As(err, &unavailable) && unavailable.Unavailable():
			s.log.WarnContext(r.Context(), "sns: action not done: storage unavailable", "action", name, "err", err.Error())
			writeError(w, reqID, &Error{Kind: errors.New("ServiceUnavailable"), Message: err.Error()}, http.StatusServiceUnavailable)
		default:
			s.log.ErrorContext(r.Context(), "sns: action failed", "action", name, "err", err.Error())
			writeError(w, reqID, &Error{Kind: errors.New("InternalError"), Message: "internal error in SNS " + name}, http.StatusInternalServerError)
		}
		return
	}
	writeResult(w, reqID, name, res)
}

func (s *Service) call(ctx context.Context, act action, q *query) (res any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return act(ctx, q)
}

// writeResult writes <NameResponse xmlns=...><NameResult>...</NameResult>
// <ResponseMetadata><RequestId/></ResponseMetadata></NameResponse>.
func writeResult(w http.ResponseWriter, reqID, name string, res any) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<%sResponse xmlns="%s">`, name, Namespace)
	if res != nil {
		enc := xml.NewEncoder(&b)
		if err := enc.EncodeElement(res, xml.StartElement{Name: xml.Name{Local: name + "Result"}}); err != nil {
			writeError(w, reqID, &Error{Kind: errors.New("InternalError"), Message: "encode response: " + err.Error()}, http.StatusInternalServerError)
			return
		}
		_ = enc.Flush()
	}
	fmt.Fprintf(&b, `<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`, reqID, name)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", reqID)
	_, _ = w.Write(b.Bytes())
}

// writeError writes SNS's ErrorResponse; status 0 means e's own.
func writeError(w http.ResponseWriter, reqID string, e *Error, status int) {
	if status == 0 {
		status = e.Status()
	}
	fault := "Sender"
	if status >= 500 {
		fault = "Receiver"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>`, Namespace, fault)
	_ = xml.EscapeText(&b, []byte(e.Kind.Error()))
	b.WriteString("</Code><Message>")
	_ = xml.EscapeText(&b, []byte(e.Message))
	fmt.Fprintf(&b, "</Message></Error><RequestId>%s</RequestId></ErrorResponse>", reqID)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", reqID)
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// query is a request's parameters.
type query struct {
	form   url.Values
	signed bool
}

func (q *query) str(name string) string { return q.form.Get(name) }

func (q *query) has(name string) bool { _, ok := q.form[name]; return ok }

func (q *query) boolean(name string) (bool, *Error) {
	switch strings.ToLower(q.str(name)) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, invalidParam(name, "must be true or false")
}

// indexes are the member numbers N of the parameters prefix+"N" and
// prefix+"N.…", in order.
func (q *query) indexes(prefix string) []int {
	seen := map[int]bool{}
	for k := range q.form {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		n, _, _ := strings.Cut(rest, ".")
		if i, err := strconv.Atoi(n); err == nil && i > 0 {
			seen[i] = true
		}
	}
	out := make([]int, 0, len(seen))
	for i := range seen {
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}

// attrMap reads a string map: name.entry.N.key and name.entry.N.value.
func (q *query) attrMap(name string) (map[string]string, *Error) {
	prefix := name + ".entry."
	idx := q.indexes(prefix)
	if len(idx) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(idx))
	for _, i := range idx {
		p := prefix + strconv.Itoa(i) + "."
		k := q.str(p + "key")
		if k == "" {
			return nil, invalidParam(name, "entry %d has no key", i)
		}
		out[k] = q.str(p + "value")
	}
	return out, nil
}

// tags reads name.member.N.Key and name.member.N.Value.
func (q *query) tags(name string) (map[string]string, *Error) {
	prefix := name + ".member."
	idx := q.indexes(prefix)
	if len(idx) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(idx))
	for _, i := range idx {
		p := prefix + strconv.Itoa(i) + "."
		if !q.has(p + "Key") {
			return nil, invalidParam(name, "tag %d has no Key", i)
		}
		out[q.str(p+"Key")] = q.str(p + "Value")
	}
	return out, nil
}

// list reads name.member.N.
func (q *query) list(name string) []string {
	prefix := name + ".member."
	var out []string
	for _, i := range q.indexes(prefix) {
		out = append(out, q.str(prefix+strconv.Itoa(i)))
	}
	return out
}

// messageAttributes reads name.entry.N.Name and name.entry.N.Value.{DataType,
// StringValue,BinaryValue}.
func (q *query) messageAttributes(name string) (map[string]MessageAttribute, *Error) {
	prefix := name + ".entry."
	idx := q.indexes(prefix)
	if len(idx) == 0 {
		return nil, nil
	}
	out := make(map[string]MessageAttribute, len(idx))
	for _, i := range idx {
		p := prefix + strconv.Itoa(i) + "."
		n := q.str(p + "Name")
		if n == "" {
			return nil, fail(ErrInvalidParameterValue, "The message attribute at %s%d has no Name.", prefix, i)
		}
		if _, dup := out[n]; dup {
			return nil, fail(ErrInvalidParameterValue, "Message attribute name '%s' has already been entered.", n)
		}
		a := MessageAttribute{DataType: q.str(p + "Value.DataType"), StringValue: q.str(p + "Value.StringValue")}
		if b := q.str(p + "Value.BinaryValue"); b != "" {
			v, err := base64.StdEncoding.DecodeString(b)
			if err != nil {
				return nil, fail(ErrInvalidParameterValue, "The message attribute '%s' has a BinaryValue that is not base64.", n)
			}
			a.BinaryValue = v
		}
		out[n] = a
	}
	return out, nil
}
