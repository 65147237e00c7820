package sns

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"time"
)

// Message types, as in the Type field and the x-amz-sns-message-type header.
const (
	kindNotification = "Notification"
	kindConfirmation = "SubscriptionConfirmation"
)

// envelope is a JSON message SNS sends: a Notification, or a
// SubscriptionConfirmation to an http(s) endpoint.
type envelope struct {
	Type, MessageID, Token, TopicARN, Subject, Message string
	SubscribeURL, Timestamp, UnsubscribeURL            string
	SignatureVersion, Signature, SigningCertURL        string
	Attrs                                              map[string]MessageAttribute
}

// timestamp formats a time as SNS does: UTC with milliseconds.
func timestamp(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

func (s *Service) unsubscribeURL(subARN string) string {
	return s.baseURL + "/?Action=Unsubscribe&SubscriptionArn=" + subARN
}

func (s *Service) subscribeURL(topicARN, token string) string {
	return s.baseURL + "/?Action=ConfirmSubscription&TopicArn=" + topicARN + "&Token=" + token
}

func (s *Service) signingCertURL() string { return s.baseURL + s.signer.certPath }

// signatureVersion is the topic's SignatureVersion ("1" unless set).
func (s *Service) signatureVersion(topicARN string) string {
	if t, ok := s.topic(topicARN); ok && t.attrs["SignatureVersion"] == "2" {
		return "2"
	}
	return "1"
}

// notification is the signed envelope of msg for sub, whose text is text.
func (s *Service) notification(msg *storedMessage, sub *subscription, text string) (*envelope, error) {
	e := &envelope{Type: kindNotification, MessageID: msg.id, TopicARN: msg.topicARN, Subject: msg.subject, Message: text,
		Timestamp: timestamp(msg.publishedAt), UnsubscribeURL: s.unsubscribeURL(sub.arn), Attrs: msg.attrs}
	return e, s.sign(e)
}

// confirmation is the signed SubscriptionConfirmation of sub.
func (s *Service) confirmation(sub *subscription, messageID string, at int64) (*envelope, error) {
	e := &envelope{Type: kindConfirmation, MessageID: messageID, Token: sub.token, TopicARN: sub.topicARN,
		Message: "You have chosen to subscribe to the topic " + sub.topicARN +
			".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		SubscribeURL: s.subscribeURL(sub.topicARN, sub.token), Timestamp: timestamp(at)}
	return e, s.sign(e)
}

// sign fills the signature fields; the signed fields and their order are
// those SNS documents for each message type.
func (s *Service) sign(e *envelope) error {
	e.SignatureVersion = s.signatureVersion(e.TopicARN)
	e.SigningCertURL = s.signingCertURL()
	var fields [][2]string
	if e.Type == kindNotification {
		fields = [][2]string{{"Message", e.Message}, {"MessageId", e.MessageID}, {"Subject", e.Subject},
			{"Timestamp", e.Timestamp}, {"TopicArn", e.TopicARN}, {"Type", e.Type}}
	} else {
		fields = [][2]string{{"Message", e.Message}, {"MessageId", e.MessageID}, {"SubscribeURL", e.SubscribeURL},
			{"Timestamp", e.Timestamp}, {"Token", e.Token}, {"TopicArn", e.TopicARN}, {"Type", e.Type}}
	}
	sig, err := s.signer.sign(e.SignatureVersion, fields)
	e.Signature = sig
	return err
}

// JSON lays the envelope out as SNS does (members in its order, `"k" : v`,
// two-space indent), which consumers that compare bytes or log the body
// see as on AWS.
func (e *envelope) JSON() []byte {
	var b bytes.Buffer
	b.WriteString("{\n")
	first := true
	field := func(name, value string) {
		if !first {
			b.WriteString(",\n")
		}
		first = false
		b.WriteString("  ")
		writeJSONString(&b, name)
		b.WriteString(" : ")
		writeJSONString(&b, value)
	}
	field("Type", e.Type)
	field("MessageId", e.MessageID)
	if e.Type == kindNotification {
		field("TopicArn", e.TopicARN)
		if e.Subject != "" {
			field("Subject", e.Subject)
		}
		field("Message", e.Message)
		field("Timestamp", e.Timestamp)
		field("SignatureVersion", e.SignatureVersion)
		field("Signature", e.Signature)
		field("SigningCertURL", e.SigningCertURL)
		field("UnsubscribeURL", e.UnsubscribeURL)
	} else {
		field("Token", e.Token)
		field("TopicArn", e.TopicARN)
		field("Message", e.Message)
		field("SubscribeURL", e.SubscribeURL)
		field("Timestamp", e.Timestamp)
		field("SignatureVersion", e.SignatureVersion)
		field("Signature", e.Signature)
		field("SigningCertURL", e.SigningCertURL)
	}
	if len(e.Attrs) > 0 {
		b.WriteString(",\n  \"MessageAttributes\" : {\n")
		for i, name := range slices.Sorted(maps.Keys(e.Attrs)) {
			if i > 0 {
				b.WriteString(",\n")
			}
			b.WriteString("    ")
			writeJSONString(&b, name)
			b.WriteString(" : ")
			a := envelopeAttr(e.Attrs[name])
			raw, _ := marshalNoEscape(a)
			b.Write(raw)
		}
		b.WriteString("\n  }")
	}
	b.WriteString("\n}")
	return b.Bytes()
}

// attrJSON is a message attribute as envelopes and Lambda events carry it.
type attrJSON struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

func envelopeAttr(a MessageAttribute) attrJSON {
	if baseType(a.DataType) == "Binary" {
		return attrJSON{Type: a.DataType, Value: base64.StdEncoding.EncodeToString(a.BinaryValue)}
	}
	return attrJSON{Type: a.DataType, Value: a.StringValue}
}

// writeJSONString writes s as a JSON string without HTML escaping (SNS
// leaves <, > and & as they are).
func writeJSONString(b *bytes.Buffer, s string) {
	raw, _ := marshalNoEscape(s)
	b.Write(raw)
}

func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// lambdaEvent is the event a lambda subscription is invoked with.
func lambdaEvent(e *envelope, subARN string) ([]byte, error) {
	type snsEntity struct {
		Type              string              `json:"Type"`
		MessageID         string              `json:"MessageId"`
		TopicARN          string              `json:"TopicArn"`
		Subject           *string             `json:"Subject"`
		Message           string              `json:"Message"`
		Timestamp         string              `json:"Timestamp"`
		SignatureVersion  string              `json:"SignatureVersion"`
		Signature         string              `json:"Signature"`
		SigningCertURL    string              `json:"SigningCertUrl"`
		UnsubscribeURL    string              `json:"UnsubscribeUrl"`
		MessageAttributes map[string]attrJSON `json:"MessageAttributes"`
	}
	type record struct {
		EventSource          string    `json:"EventSource"`
		EventVersion         string    `json:"EventVersion"`
		EventSubscriptionARN string    `json:"EventSubscriptionArn"`
		Sns                  snsEntity `json:"Sns"`
	}
	ent := snsEntity{Type: e.Type, MessageID: e.MessageID, TopicARN: e.TopicARN, Message: e.Message, Timestamp: e.Timestamp,
		SignatureVersion: e.SignatureVersion, Signature: e.Signature, SigningCertURL: e.SigningCertURL,
		UnsubscribeURL: e.UnsubscribeURL, MessageAttributes: map[string]attrJSON{}}
	if e.Subject != "" {
		ent.Subject = &e.Subject
	}
	for name, a := range e.Attrs {
		ent.MessageAttributes[name] = envelopeAttr(a)
	}
	return marshalNoEscape(struct {
		Records []record `json:"Records"`
	}{[]record{{EventSource: "aws:sns", EventVersion: "1.0", EventSubscriptionARN: subARN, Sns: ent}}})
}
