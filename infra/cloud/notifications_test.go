package cloud

import (
	"slices"
	"testing"
)

// Every loan's decision is published to the bus by the state machine, and
// the loans referred because their valuation failed or timed out reach an
// encrypted, TLS-only topic that EventBridge publishes to with a role of its
// own: nothing trusts the events service principal on the topic itself.
func TestLoanNotifications(t *testing.T) {
	d := defaults(t)
	lp := d.stacks.LoanProcessor

	// The state machine may publish its decisions to its bus, and only there.
	var putEvents []string
	for res, actions := range actionsOn(t, statements(t, d.lp, lp.Workflow.StateMachine.Role())) {
		if slices.Contains(actions, "events:PutEvents") {
			putEvents = append(putEvents, res)
		}
	}
	if want := toJSON(t, getAtt(lp.Bus, "Arn")); len(putEvents) != 1 || putEvents[0] != want {
		t.Fatalf("events:PutEvents on %v, want only the bus %s", putEvents, want)
	}

	check(t, "topic under its own key", has(d.lp, "AWS::SNS::Topic", map[string]any{
		"KmsMasterKeyId": getAtt(lp.Notifications.Key, "Arn"), "TopicName": "loanflow-loan-notifications",
	}))
	check(t, "the key rotates", has(d.lp, "AWS::KMS::Key", map[string]any{"EnableKeyRotation": true}))
	for id, p := range resources(t, d.lp, "AWS::SNS::TopicPolicy") {
		pp := p["Properties"].(map[string]any)
		if toJSON(t, pp["Topics"]) != toJSON(t, []any{ref(lp.Notifications.Topic)}) {
			continue
		}
		for _, x := range pp["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := x.(map[string]any)
			if st["Effect"] != "Deny" {
				t.Errorf("notification topic policy %s allows %s: EventBridge must publish with its role", id, toJSON(t, st))
			}
		}
	}

	// The rule's target publishes with a role that may publish to the topic
	// and use its key.
	var roleID string
	for _, r := range resources(t, d.lp, "AWS::Events::Rule") {
		targets, _ := r["Properties"].(map[string]any)["Targets"].([]any) // none on the counting rules
		for _, x := range targets {
			tg := x.(map[string]any)
			if toJSON(t, tg["Arn"]) != toJSON(t, ref(lp.Notifications.Topic)) {
				continue
			}
			arn, _ := tg["RoleArn"].(map[string]any)
			if ga, ok := arn["Fn::GetAtt"].([]any); ok {
				roleID, _ = ga[0].(string)
			}
		}
	}
	if roleID == "" {
		t.Fatal("no rule targets the notification topic with a role")
	}
	granted := map[string][]string{}
	for _, p := range resources(t, d.lp, "AWS::IAM::Policy") {
		pp := p["Properties"].(map[string]any)
		if toJSON(t, pp["Roles"]) != toJSON(t, []any{map[string]any{"Ref": roleID}}) {
			continue
		}
		var sts []map[string]any
		for _, x := range pp["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			sts = append(sts, x.(map[string]any))
		}
		for res, actions := range actionsOn(t, sts) {
			granted[res] = append(granted[res], actions...)
		}
	}
	if !slices.Contains(granted[toJSON(t, ref(lp.Notifications.Topic))], "sns:Publish") {
		t.Errorf("the rule's role may not publish to the topic: %v", granted)
	}
	keyActions := granted[toJSON(t, getAtt(lp.Notifications.Key, "Arn"))]
	if !slices.Contains(keyActions, "kms:GenerateDataKey*") || !slices.Contains(keyActions, "kms:Decrypt") {
		t.Errorf("the rule's role may not use the topic's key: %v", granted)
	}
}
