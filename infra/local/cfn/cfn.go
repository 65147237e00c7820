// Package cfn is the local stack's CloudFormation, read-only: the local
// deployment described as the stacks the CDK app deploys, under the same
// stack names and output keys, over CloudFormation's query protocol
// (DescribeStacks, ListStacks, ListExports). A tool that finds a deployment
// by reading its stack's outputs (test/cloud) runs unchanged against the
// local stack.
package cfn

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"loanflow/infra/local/awsquery"
)

// The query protocol.
const (
	// APIVersion is the Version parameter of CloudFormation requests.
	APIVersion = "2010-05-15"
	// Namespace is the XML namespace of CloudFormation responses.
	Namespace = "http://cloudformation.amazonaws.com/doc/2010-05-15/"
	// MaxBody is the largest request body read.
	MaxBody = 1 << 20
)

// actions are the actions served.
var actions = map[string]bool{"DescribeStacks": true, "ListStacks": true, "ListExports": true}

// Output is one stack output.
type Output struct {
	Key, Value, Description string
	// ExportName, when set, exports the value under that name.
	ExportName string
}

// Stack is one deployed stack.
type Stack struct {
	Name        string
	Description string
	Outputs     []Output
}

type stack struct {
	Stack
	id      string
	created time.Time
}

// Service holds the stacks.
type Service struct {
	region, account string

	mu     sync.Mutex
	stacks map[string]*stack
}

// New returns a service without stacks.
func New(region, account string) *Service {
	return &Service{region: region, account: account, stacks: map[string]*stack{}}
}

// Put adds or replaces a stack.
func (s *Service) Put(st Stack) {
	s.mu.Lock()
	defer s.mu.Unlock()
	created := time.Now().UTC().Truncate(time.Second)
	if old, ok := s.stacks[st.Name]; ok {
		created = old.created
	}
	sum := sha256.Sum256([]byte(s.region + "/" + s.account + "/" + st.Name))
	h := hex.EncodeToString(sum[:16])
	id := fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/%s-%s-%s-%s-%s", s.region, s.account, st.Name, h[:8], h[8:12], h[12:16], h[16:20], h[20:32])
	s.stacks[st.Name] = &stack{Stack: st, id: id, created: created}
}

// Outputs returns a stack's outputs by key.
func (s *Service) Outputs(name string) (map[string]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.stacks[name]
	if !ok {
		return nil, false
	}
	out := map[string]string{}
	for _, o := range st.Outputs {
		out[o.Key] = o.Value
	}
	return out, true
}

// IsRequest reports whether r is for CloudFormation: a query-protocol
// request to / whose SigV4 credential scope names cloudformation or,
// unsigned, whose Action is one this package serves (a form body is read
// to find it, and put back).
func IsRequest(r *http.Request) bool {
	if r.Header.Get("X-Amz-Target") != "" || (r.URL.Path != "/" && r.URL.Path != "") {
		return false
	}
	if svc, ok := awsquery.CredentialService(r); ok {
		return svc == "cloudformation"
	}
	return actions[awsquery.Action(r, MaxBody)]
}

// apiError is a CloudFormation error: its code and message.
type apiError struct {
	code, message string
	status        int
}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := requestID()
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		writeError(w, reqID, apiError{"InvalidAction", "CloudFormation requests are POST or GET", http.StatusMethodNotAllowed})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	if err := r.ParseForm(); err != nil {
		writeError(w, reqID, apiError{"MalformedQueryString", "The request could not be read as form-encoded parameters: " + err.Error(), 0})
		return
	}
	action := r.Form.Get("Action")
	if v := r.Form.Get("Version"); v != "" && v != APIVersion {
		writeError(w, reqID, apiError{"InvalidParameterValue", fmt.Sprintf("Version %s is not supported; CloudFormation's API version is %s.", v, APIVersion), 0})
		return
	}
	var result any
	var err *apiError
	switch action {
	case "DescribeStacks":
		result, err = s.describeStacks(r.Form.Get("StackName"))
	case "ListStacks":
		result = s.listStacks()
	case "ListExports":
		result = s.listExports()
	case "":
		err = &apiError{"MissingAction", "The request must contain the parameter Action.", 0}
	default:
		err = &apiError{"InvalidAction", "The action " + action + " is not supported by the loanflow local stack, which describes its deployment read-only (DescribeStacks, ListStacks, ListExports).", 0}
	}
	if err != nil {
		writeError(w, reqID, *err)
		return
	}
	writeResult(w, reqID, action, result)
}

func (s *Service) sorted() []*stack {
	out := make([]*stack, 0, len(s.stacks))
	for _, st := range s.stacks {
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

type xmlOutput struct {
	OutputKey   string
	OutputValue string
	Description string `xml:",omitempty"`
	ExportName  string `xml:",omitempty"`
}

type xmlStack struct {
	StackID      string `xml:"StackId"`
	StackName    string
	Description  string `xml:",omitempty"`
	CreationTime string
	StackStatus  string
	Outputs      []xmlOutput `xml:"Outputs>member"`
}

func (s *Service) describeStacks(name string) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []*stack
	for _, st := range s.sorted() {
		if name == "" || name == st.Name || name == st.id {
			list = append(list, st)
		}
	}
	if len(list) == 0 && name != "" {
		return nil, &apiError{"ValidationError", "Stack with id " + name + " does not exist", 0}
	}
	var out struct {
		Stacks []xmlStack `xml:"Stacks>member"`
	}
	for _, st := range list {
		x := xmlStack{StackID: st.id, StackName: st.Name, Description: st.Description,
			CreationTime: st.created.Format(time.RFC3339), StackStatus: "CREATE_COMPLETE"}
		for _, o := range st.Outputs {
			x.Outputs = append(x.Outputs, xmlOutput{OutputKey: o.Key, OutputValue: o.Value, Description: o.Description, ExportName: o.ExportName})
		}
		out.Stacks = append(out.Stacks, x)
	}
	return out, nil
}

func (s *Service) listStacks() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	type summary struct {
		StackID      string `xml:"StackId"`
		StackName    string
		CreationTime string
		StackStatus  string
	}
	var out struct {
		StackSummaries []summary `xml:"StackSummaries>member"`
	}
	for _, st := range s.sorted() {
		out.StackSummaries = append(out.StackSummaries, summary{StackID: st.id, StackName: st.Name,
			CreationTime: st.created.Format(time.RFC3339), StackStatus: "CREATE_COMPLETE"})
	}
	return out
}

func (s *Service) listExports() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	type export struct {
		ExportingStackID string `xml:"ExportingStackId"`
		Name             string
		Value            string
	}
	var out struct {
		Exports []export `xml:"Exports>member"`
	}
	for _, st := range s.sorted() {
		for _, o := range st.Outputs {
			if o.ExportName != "" {
				out.Exports = append(out.Exports, export{ExportingStackID: st.id, Name: o.ExportName, Value: o.Value})
			}
		}
	}
	return out
}

func writeResult(w http.ResponseWriter, reqID, action string, result any) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<%sResponse xmlns="%s">`, action, Namespace)
	enc := xml.NewEncoder(&b)
	if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
		writeError(w, reqID, apiError{"InternalFailure", "encode response: " + err.Error(), http.StatusInternalServerError})
		return
	}
	fmt.Fprintf(&b, `<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`, reqID, action)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", reqID)
	_, _ = w.Write(b.Bytes())
}

func writeError(w http.ResponseWriter, reqID string, e apiError) {
	status := e.status
	if status == 0 {
		status = http.StatusBadRequest
	}
	fault := "Sender"
	if status >= 500 {
		fault = "Receiver"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>`, Namespace, fault)
	_ = xml.EscapeText(&b, []byte(e.code))
	b.WriteString("</Code><Message>")
	_ = xml.EscapeText(&b, []byte(e.message))
	fmt.Fprintf(&b, "</Message></Error><RequestId>%s</RequestId></ErrorResponse>", reqID)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", reqID)
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
