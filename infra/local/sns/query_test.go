package sns

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// postForm sends raw query-protocol parameters and returns the status and body.
func postForm(t *testing.T, base string, vals url.Values) (int, string) {
	t.Helper()
	resp, err := http.PostForm(base+"/", vals)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type errorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	NS      string   `xml:"xmlns,attr"`
	Type    string   `xml:"Error>Type"`
	Code    string   `xml:"Error>Code"`
	Message string   `xml:"Error>Message"`
	ReqID   string   `xml:"RequestId"`
}

func TestQueryProtocolErrors(t *testing.T) {
	st := newStack(t, Options{})
	topicARN := st.createTopic("t")
	// Straight to the Service: requests that IsRequest does not route to
	// SNS (no or unknown Action) still get SNS's errors from it.
	direct := httptest.NewServer(st.svc)
	defer direct.Close()
	big := strings.Repeat("x", MaxMessageSize+1)
	for _, c := range []struct {
		name   string
		vals   url.Values
		status int
		code   string
		msg    string
	}{
		{"no action", url.Values{"Version": {"2010-03-31"}}, 400, "MissingAction", "Action"},
		{"unknown action", url.Values{"Action": {"Explode"}}, 400, "InvalidAction", "not valid"},
		{"unsupported action", url.Values{"Action": {"CreatePlatformApplication"}}, 400, "InvalidAction", "not supported by the loanflow local stack"},
		{"bad version", url.Values{"Action": {"ListTopics"}, "Version": {"2099-01-01"}}, 400, "ParameterValueInvalid", "Version"},
		{"missing topic", url.Values{"Action": {"Publish"}, "TopicArn": {topicARN + "x"}, "Message": {"m"}}, 404, "NotFound", "Topic does not exist"},
		{"bad topic arn", url.Values{"Action": {"Publish"}, "TopicArn": {"arn:nope"}, "Message": {"m"}}, 400, "InvalidParameter", "Invalid parameter: TopicArn"},
		{"no target", url.Values{"Action": {"Publish"}, "Message": {"m"}}, 400, "InvalidParameter", "TopicArn or TargetArn"},
		{"sms", url.Values{"Action": {"Publish"}, "PhoneNumber": {"+15555550100"}, "Message": {"m"}}, 400, "InvalidParameter", "PhoneNumber"},
		{"no message", url.Values{"Action": {"Publish"}, "TopicArn": {topicARN}}, 400, "InvalidParameter", "Message"},
		{"empty message", url.Values{"Action": {"Publish"}, "TopicArn": {topicARN}, "Message": {""}}, 400, "InvalidParameter", "Empty message"},
		{"too long", url.Values{"Action": {"Publish"}, "TopicArn": {topicARN}, "Message": {big}}, 400, "InvalidParameter", "Message too long"},
		{"subject newline", url.Values{"Action": {"Publish"}, "TopicArn": {topicARN}, "Message": {"m"}, "Subject": {"a\nb"}}, 400, "InvalidParameter", "Invalid parameter: Subject"},
		{"bad structure", url.Values{"Action": {"Publish"}, "TopicArn": {topicARN}, "Message": {"m"}, "MessageStructure": {"xml"}}, 400, "InvalidParameter", "MessageStructure"},
		{"dedup id", url.Values{"Action": {"Publish"}, "TopicArn": {topicARN}, "Message": {"m"}, "MessageDeduplicationId": {"d"}}, 400, "InvalidParameter", "MessageDeduplicationId"},
		{"attribute type", url.Values{"Action": {"Publish"}, "TopicArn": {topicARN}, "Message": {"m"},
			"MessageAttributes.entry.1.Name": {"a"}, "MessageAttributes.entry.1.Value.DataType": {"Float"}, "MessageAttributes.entry.1.Value.StringValue": {"1"}},
			400, "ParameterValueInvalid", "supported type prefixes"},
		{"attribute number", url.Values{"Action": {"Publish"}, "TopicArn": {topicARN}, "Message": {"m"},
			"MessageAttributes.entry.1.Name": {"a"}, "MessageAttributes.entry.1.Value.DataType": {"Number"}, "MessageAttributes.entry.1.Value.StringValue": {"one"}},
			400, "ParameterValueInvalid", "Could not cast message attribute 'a' value to number."},
		{"attribute binary", url.Values{"Action": {"Publish"}, "TopicArn": {topicARN}, "Message": {"m"},
			"MessageAttributes.entry.1.Name": {"a"}, "MessageAttributes.entry.1.Value.DataType": {"Binary"}, "MessageAttributes.entry.1.Value.BinaryValue": {"%%%"}},
			400, "ParameterValueInvalid", "base64"},
		{"attribute name", url.Values{"Action": {"Publish"}, "TopicArn": {topicARN}, "Message": {"m"},
			"MessageAttributes.entry.1.Name": {"AWS.reserved"}, "MessageAttributes.entry.1.Value.DataType": {"String"}, "MessageAttributes.entry.1.Value.StringValue": {"v"}},
			400, "ParameterValueInvalid", "AWS.reserved"},
		{"bad topic name", url.Values{"Action": {"CreateTopic"}, "Name": {"has space"}}, 400, "InvalidParameter", "Invalid parameter: Topic Name"},
		{"fifo", url.Values{"Action": {"CreateTopic"}, "Name": {"t.fifo"}}, 400, "InvalidParameter", "FIFO"},
		{"no name", url.Values{"Action": {"CreateTopic"}}, 400, "InvalidParameter", "Name"},
		{"attributes without key", url.Values{"Action": {"CreateTopic"}, "Name": {"n"}, "Attributes.entry.1.value": {"v"}}, 400, "InvalidParameter", "Attributes"},
		{"bad bool", url.Values{"Action": {"Subscribe"}, "TopicArn": {topicARN}, "Protocol": {"sqs"}, "Endpoint": {"arn:aws:sqs:us-east-1:000000000000:q"}, "ReturnSubscriptionArn": {"yes"}}, 400, "InvalidParameter", "ReturnSubscriptionArn"},
		{"get subscription", url.Values{"Action": {"GetSubscriptionAttributes"}, "SubscriptionArn": {topicARN + ":nope"}}, 404, "NotFound", "Subscription does not exist"},
		{"tags of missing topic", url.Values{"Action": {"ListTagsForResource"}, "ResourceArn": {topicARN + "x"}}, 404, "ResourceNotFound", "Resource does not exist"},
	} {
		status, body := postForm(t, direct.URL, c.vals)
		var e errorResponse
		if err := xml.Unmarshal([]byte(body), &e); err != nil {
			t.Errorf("%s: %d %s: %v", c.name, status, body, err)
			continue
		}
		if status != c.status || e.Code != c.code || !strings.Contains(e.Message, c.msg) || e.Type != "Sender" || e.NS != Namespace || e.ReqID == "" {
			t.Errorf("%s: %d %+v; want %d %s containing %q", c.name, status, e, c.status, c.code, c.msg)
		}
	}
	// A successful answer has SNS's shape too.
	status, body := postForm(t, st.srv.URL, url.Values{"Action": {"ListTopics"}, "Version": {"2010-03-31"}})
	if status != 200 || !strings.HasPrefix(body, `<ListTopicsResponse xmlns="`+Namespace+`"><ListTopicsResult><Topics><member><TopicArn>`+topicARN) ||
		!strings.Contains(body, "<ResponseMetadata><RequestId>") {
		t.Errorf("ListTopics: %d %s", status, body)
	}
}

func TestSDKErrorsAreTyped(t *testing.T) {
	st := newStack(t, Options{})
	_, err := st.client.Publish(context.Background(), &awssns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-east-1:000000000000:nope"), Message: aws.String("m")})
	var nf *types.NotFoundException
	if !asType(err, &nf) {
		t.Errorf("Publish to a missing topic: %T %v", err, err)
	}
	_, err = st.client.Publish(context.Background(), &awssns.PublishInput{TopicArn: aws.String(st.createTopic("x")), Message: aws.String(strings.Repeat("y", MaxMessageSize+1))})
	var ip *types.InvalidParameterException
	if !asType(err, &ip) || apiMessage(err) != "Invalid parameter: Message too long" {
		t.Errorf("Publish too long: %T %v", err, err)
	}
}

func TestIsRequest(t *testing.T) {
	form := func(body string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		return r
	}
	r := form("Action=Publish&TopicArn=x&Message=hi&Version=2010-03-31")
	if !IsRequest(r) {
		t.Error("an unsigned form POST of Publish is not SNS")
	}
	if b, _ := io.ReadAll(r.Body); string(b) != "Action=Publish&TopicArn=x&Message=hi&Version=2010-03-31" {
		t.Errorf("the body was not put back: %q", b)
	}
	signed := form("Action=Publish")
	signed.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=abc")
	other := form("Action=Publish")
	other.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=abc")
	target := form("Action=Publish")
	target.Header.Set("X-Amz-Target", "AmazonSQS.SendMessage")
	for name, c := range map[string]struct {
		r    *http.Request
		want bool
	}{
		"signed for sns":        {signed, true},
		"signed for sqs":        {other, false},
		"json protocol":         {target, false},
		"other action":          {form("Action=GetCallerIdentity"), false},
		"console page":          {httptest.NewRequest(http.MethodGet, "/", nil), false},
		"console path":          {httptest.NewRequest(http.MethodGet, "/executions?Action=Publish", nil), false},
		"subscribe url":         {httptest.NewRequest(http.MethodGet, "/?Action=ConfirmSubscription&TopicArn=a&Token=b", nil), true},
		"unsubscribe url":       {httptest.NewRequest(http.MethodGet, "/?Action=Unsubscribe&SubscriptionArn=a", nil), true},
		"certificate":           {httptest.NewRequest(http.MethodGet, "/SimpleNotificationService-abc.pem", nil), true},
		"json body":             {httptest.NewRequest(http.MethodPost, "/", bytes.NewReader([]byte(`{"Action":"Publish"}`))), false},
		"form, no action":       {form("a=b"), false},
		"form, malformed query": {form("%zz&Action=ListTopics"), true},
	} {
		if got := IsRequest(c.r); got != c.want {
			t.Errorf("%s: IsRequest = %v, want %v", name, got, c.want)
		}
	}
}

func TestGarbageNeverPanics(t *testing.T) {
	st := newStack(t, Options{})
	topicARN := st.createTopic("g")
	for _, vals := range []url.Values{
		{"Action": {"Publish"}, "TopicArn": {topicARN}, "Message": {"\xff\xfe"}},
		{"Action": {"Publish"}, "TopicArn": {topicARN}, "Message": {"m"}, "MessageAttributes.entry.0.Name": {"a"}},
		{"Action": {"Publish"}, "TopicArn": {topicARN}, "Message": {"m"}, "MessageAttributes.entry.1.Value.DataType": {"String"}},
		{"Action": {"PublishBatch"}, "TopicArn": {topicARN}, "PublishBatchRequestEntries.member.1.Id": {"bad id!"}},
		{"Action": {"PublishBatch"}, "TopicArn": {topicARN}},
		{"Action": {"Subscribe"}, "TopicArn": {topicARN}, "Protocol": {"http"}, "Endpoint": {"http://[::1"}},
		{"Action": {"SetSubscriptionAttributes"}, "SubscriptionArn": {":"}, "AttributeName": {"x"}},
		{"Action": {"SetTopicAttributes"}, "TopicArn": {topicARN}, "AttributeName": {"DeliveryPolicy"}, "AttributeValue": {`{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":0}}}`}},
		{"Action": {"ConfirmSubscription"}, "TopicArn": {topicARN}},
		{"Action": {"ListSubscriptionsByTopic"}, "TopicArn": {""}},
		{"Action": {"UntagResource"}, "ResourceArn": {topicARN}, "TagKeys.member.x": {"k"}},
	} {
		status, body := postForm(t, st.srv.URL, vals)
		if status >= 500 || (status != 200 && !strings.Contains(body, "<ErrorResponse")) {
			t.Errorf("%v: %d %s", vals, status, body)
		}
	}
}
