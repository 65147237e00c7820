package template

import (
	"encoding/json"
	"testing"
)

func TestWildcard(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		fold, want bool
	}{
		{"*", "anything", false, true},
		{"arn:aws:secretsmanager:r:1:secret:key-??????", "arn:aws:secretsmanager:r:1:secret:key-AbC123", false, true},
		{"arn:aws:secretsmanager:r:1:secret:key-??????", "arn:aws:secretsmanager:r:1:secret:key", false, false},
		{"arn:aws:secretsmanager:r:1:secret:key-??????", "arn:aws:secretsmanager:r:1:secret:key-AbC1234", false, false},
		{"sqs:*", "SQS:SendMessage", true, true},
		{"kms:GenerateDataKey*", "kms:GenerateDataKeyWithoutPlaintext", true, true},
		{"arn:aws:execute-api:r:1:api/*/*/valuations", "arn:aws:execute-api:r:1:api/$default/POST/valuations", false, true},
		{"arn:aws:execute-api:r:1:api/*/*/valuations", "arn:aws:execute-api:r:1:api/$default/POST/valuations/x", false, false},
		{"a*b*c", "aXXbYYbZc", false, true},
		{"Arn", "arn", false, false},
	} {
		if got := wildcard(c.pattern, c.s, c.fold); got != c.want {
			t.Errorf("wildcard(%q, %q, %v) = %v", c.pattern, c.s, c.fold, got)
		}
	}
}

func TestConditions(t *testing.T) {
	st := Statement{Conditions: map[string]map[string][]string{
		"ArnLike":      {"aws:SourceArn": {"arn:aws:states:r:1:stateMachine:*"}},
		"StringEquals": {"aws:SourceAccount": {"1"}},
	}}
	if !st.conditionsHold(map[string]string{"aws:SourceArn": "arn:aws:states:r:1:stateMachine:LoanProcessor", "aws:SourceAccount": "1"}) {
		t.Error("matching context refused")
	}
	if st.conditionsHold(map[string]string{"aws:SourceAccount": "1"}) {
		t.Error("a missing key held")
	}
	ifExists := Statement{Conditions: map[string]map[string][]string{"StringEqualsIfExists": {"aws:SourceAccount": {"1"}}}}
	if !ifExists.conditionsHold(map[string]string{}) {
		t.Error("...IfExists with the key missing did not hold")
	}
	tls := Statement{Conditions: map[string]map[string][]string{"Bool": {"aws:SecureTransport": {"false"}}}}
	if tls.conditionsHold(map[string]string{"aws:SecureTransport": "true"}) {
		t.Error("the TLS-only deny matched a TLS request")
	}
}

// A statement Denies over an Allow; a service principal is allowed only
// by the resource's own policy; NotAction excludes.
func TestEvaluate(t *testing.T) {
	role := ResourceID{"S", "Role"}
	p := &Policies{
		Identity: map[ResourceID][]Statement{role: {
			{Origin: "allow", Effect: "Allow", Actions: []string{"sqs:*"}, Resources: []string{"arn:q"}},
			{Origin: "deny", Effect: "Deny", Actions: []string{"sqs:PurgeQueue"}, Resources: []string{"*"}},
			{Origin: "not", Effect: "Allow", NotActions: []string{"iam:*"}, Resources: []string{"arn:other"}},
		}},
		Resource: []ResourcePolicy{{Origin: "fn policy", Attached: []string{"arn:fn"}, Statements: []Statement{
			{Origin: "perm", Effect: "Allow", Actions: []string{"lambda:InvokeFunction"}, Resources: []string{"arn:fn"},
				Principal:  map[string][]string{"Service": {"events.amazonaws.com"}},
				Conditions: map[string]map[string][]string{"ArnLike": {"aws:SourceArn": {"arn:rule/a"}}}},
		}}},
	}
	who := Who{Role: role, RoleARN: "arn:aws:iam::1:role/r"}
	for _, c := range []struct {
		req  Request
		want bool
	}{
		{Request{Who: who, Action: "sqs:SendMessage", Resource: "arn:q"}, true},
		{Request{Who: who, Action: "sqs:PurgeQueue", Resource: "arn:q"}, false},
		{Request{Who: who, Action: "sqs:SendMessage", Resource: "arn:other"}, true},
		{Request{Who: who, Action: "iam:PassRole", Resource: "arn:other"}, false},
		{Request{Who: Who{Service: "events.amazonaws.com"}, Action: "lambda:InvokeFunction", Resource: "arn:fn",
			Context: map[string]string{"aws:SourceArn": "arn:rule/a"}}, true},
		{Request{Who: Who{Service: "events.amazonaws.com"}, Action: "lambda:InvokeFunction", Resource: "arn:fn",
			Context: map[string]string{"aws:SourceArn": "arn:rule/b"}}, false},
		{Request{Who: who, Action: "lambda:InvokeFunction", Resource: "arn:fn"}, false},
	} {
		if got := p.Evaluate(c.req); got.Allowed != c.want {
			t.Errorf("%s %s by %+v: %+v, want allowed=%v", c.req.Action, c.req.Resource, c.req.Who, got, c.want)
		}
	}
}

func TestResolve(t *testing.T) {
	var a, b Template
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(json.Unmarshal([]byte(`{"Resources":{"Q":{"Type":"AWS::SQS::Queue"},"Logs":{"Type":"AWS::Logs::LogGroup"}},
		"Outputs":{"X":{"Value":{"Ref":"Q"},"Export":{"Name":"q-url"}}}}`), &a))
	must(json.Unmarshal([]byte(`{"Resources":{}}`), &b))
	w := &World{Templates: Templates{"A": &a, "B": &b}, Region: "eu-west-2", Account: "1",
		Bindings: map[ResourceID]Binding{{"A", "Q"}: {Ref: "http://q", Attrs: map[string]string{"Arn": "arn:aws:sqs:eu-west-2:1:q"}}}}
	for _, c := range []struct {
		in   string
		want string
	}{
		{`{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":x:",{"Ref":"AWS::Region"},":",{"Ref":"AWS::AccountId"}]]}`, "arn:aws:x:eu-west-2:1"},
		{`{"Fn::Sub":"${Q.Arn}/${AWS::Region}/${!Literal}"}`, "arn:aws:sqs:eu-west-2:1:q/eu-west-2/${Literal}"},
		{`{"Fn::Sub":["${V}-x",{"V":{"Ref":"Q"}}]}`, "http://q-x"},
		{`{"Fn::Select":["1",{"Fn::Split":[":",{"Fn::GetAtt":["Q","Arn"]}]}]}`, "aws"},
	} {
		var v any
		must(json.Unmarshal([]byte(c.in), &v))
		got, err := w.ResolveString("A", v)
		if err != nil || got != c.want {
			t.Errorf("%s = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	got, err := w.ResolveString("B", map[string]any{"Fn::ImportValue": "q-url"})
	if err != nil || got != "http://q" {
		t.Errorf("import = %q, %v", got, err)
	}
	got, _ = w.ResolveString("A", map[string]any{"Fn::GetAtt": []any{"Logs", "Arn"}})
	if !IsUnbound(got) {
		t.Errorf("an unbound resource resolved to %q", got)
	}
	if _, err := w.ResolveString("A", map[string]any{"Ref": "Missing"}); err == nil {
		t.Error("a Ref to no resource resolved")
	}
}
