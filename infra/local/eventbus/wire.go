package eventbus

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The PutEvents shapes of botocore's events service model (2015-10-07).

// Entry is one PutEvents request entry (PutEventsRequestEntry).
type Entry struct {
	Source     string `json:"Source"`
	DetailType string `json:"DetailType"`
	// Detail is the event's detail: JSON text that must be an object.
	Detail string `json:"Detail"`
	// EventBusName is the bus's name or ARN; empty means the default bus.
	EventBusName string   `json:"EventBusName,omitempty"`
	Resources    []string `json:"Resources,omitempty"`
	// Time is the event's time; empty means the time of the call.
	Time Timestamp `json:"Time,omitempty"`
	// TraceHeader is an X-Ray trace header; the bus accepts it and does not
	// use it.
	TraceHeader string `json:"TraceHeader,omitempty"`
}

// Timestamp is an entry's Time: RFC 3339 text, or, as the AWS SDKs and the
// CLI send it, a JSON number of epoch seconds (which it holds as RFC 3339).
type Timestamp string

// UnmarshalJSON accepts a string or a number of epoch seconds.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Timestamp(s)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return errors.New("Time: must be a timestamp (epoch seconds or RFC 3339)")
	}
	whole := int64(secs)
	*t = Timestamp(time.Unix(whole, int64((secs-float64(whole))*1e9)).UTC().Format(time.RFC3339Nano))
	return nil
}

// Result is one entry's outcome (PutEventsResultEntry): the event's id, or
// why the entry was refused.
type Result struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

// putEventsRequest is PutEvents' input (PutEventsRequest).
type putEventsRequest struct {
	Entries []Entry `json:"Entries"`
	// EndpointID names a global endpoint; the bus accepts it and does not
	// use it.
	EndpointID string `json:"EndpointId,omitempty"`
}

// putEventsResponse is PutEvents' output (PutEventsResponse).
type putEventsResponse struct {
	FailedEntryCount int      `json:"FailedEntryCount"`
	Entries          []Result `json:"Entries"`
}

// Event is an event as the bus delivers it to targets, and as rule
// patterns see it.
type Event struct {
	Version    string `json:"version"`
	ID         string `json:"id"`
	DetailType string `json:"detail-type"`
	Source     string `json:"source"`
	Account    string `json:"account"`
	Time       string `json:"time"`
	Region     string `json:"region"`
	// ReplayName names the replay that sent the event again; an event
	// sent the first time has none.
	ReplayName string          `json:"replay-name,omitempty"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// event wraps the entry, which PutEvents has validated (its detail is one
// JSON object), as the bus delivers it; an unreadable Time is the call's
// time.
func (e Entry) event(id, account, region string, now time.Time) Event {
	t := now.UTC()
	if e.Time != "" {
		if pt, err := time.Parse(time.RFC3339, string(e.Time)); err == nil {
			t = pt.UTC()
		}
	}
	res := e.Resources
	if res == nil {
		res = []string{}
	}
	return Event{
		Version: "0", ID: id, DetailType: e.DetailType, Source: e.Source, Account: account,
		Time: t.Format("2006-01-02T15:04:05Z"), Region: region, Resources: res, Detail: json.RawMessage(e.Detail),
	}
}

// javaString is the entry as AWS quotes it in a ValidationException: its
// Java request object's toString (LocalStack's
// test_put_events_exceed_limit_ten_entries, recorded against AWS).
func (e Entry) javaString() string {
	orNull := func(s string) string {
		if s == "" {
			return "null"
		}
		return s
	}
	resources := "null"
	if e.Resources != nil {
		resources = "[" + strings.Join(e.Resources, ", ") + "]"
	}
	at := "null"
	if e.Time != "" {
		if t, err := time.Parse(time.RFC3339, string(e.Time)); err == nil {
			at = t.UTC().Format("Mon Jan 02 15:04:05 MST 2006")
		}
	}
	return fmt.Sprintf("PutEventsRequestEntry(time=%s, source=%s, resources=%s, detailType=%s, detail=%s, eventBusName=%s, traceHeader=%s, "+
		"kmsKeyIdentifier=null, internalMetadata=null)", at, orNull(e.Source), resources, orNull(e.DetailType), orNull(e.Detail),
		orNull(e.EventBusName), orNull(e.TraceHeader))
}
