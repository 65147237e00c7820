package fidelity

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Sources the EventBridge facts cite.
const (
	lsEvents   = "LocalStack test_events.snapshot.json (recorded against AWS)"
	lsPatterns = "LocalStack test_events_patterns.snapshot.json (recorded against AWS)"
	lsInputs   = "LocalStack test_events_inputs.snapshot.json (recorded against AWS)"
	lsArchive  = "LocalStack test_archive_and_replay.snapshot.json (recorded against AWS)"
)

// testEvent is a TestEventPattern event with every field AWS requires.
const testEvent = `{"id":"1","source":"order","detail-type":"Test","account":"123456789012","region":"us-east-1","time":"2022-07-13T13:48:01Z","resources":[],"detail":{"amount":150}}`

func (e *env) busARN(name string) string {
	return "arn:aws:events:" + e.region + ":" + e.account + ":event-bus/" + name
}

func (e *env) newRule(ctx context.Context, bus, pattern string) (string, error) {
	name := e.name("rule")
	in := &eventbridge.PutRuleInput{Name: aws.String(name), EventPattern: aws.String(pattern)}
	if bus != "" {
		in.EventBusName = aws.String(bus)
	}
	if _, err := e.evb.PutRule(ctx, in); err != nil {
		return "", fmt.Errorf("PutRule: want success, got: %w", err)
	}
	return name, nil
}

func (e *env) newBus(ctx context.Context) (string, error) {
	name := e.name("bus")
	if _, err := e.evb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(name)}); err != nil {
		return "", fmt.Errorf("CreateEventBus: want success, got: %w", err)
	}
	return name, nil
}

// targetQueue creates a queue EventBridge may send to (its policy allows
// events.amazonaws.com, as AWS requires) and returns its URL and ARN.
func (e *env) targetQueue(ctx context.Context) (url, arn string, err error) {
	name := e.name("evq")
	arn = e.queueARN(name)
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"` + arn + `"}]}`
	url, err = e.createQueue(ctx, name, map[string]string{"Policy": policy})
	return url, arn, err
}

// routeToQueue makes a rule on the default bus, matching source, whose one
// target is a new queue, and returns the queue URL.
func (e *env) routeToQueue(ctx context.Context, source string, target func(*ebtypes.Target)) (string, error) {
	url, arn, err := e.targetQueue(ctx)
	if err != nil {
		return "", err
	}
	rule, err := e.newRule(ctx, "", `{"source":["`+source+`"]}`)
	if err != nil {
		return "", err
	}
	t := ebtypes.Target{Id: aws.String("q"), Arn: aws.String(arn)}
	if target != nil {
		target(&t)
	}
	out, err := e.evb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(rule), Targets: []ebtypes.Target{t}})
	if err != nil {
		return "", noErr("PutTargets", err)
	}
	if out.FailedEntryCount != 0 {
		return "", fmt.Errorf("PutTargets FailedEntryCount: want 0, got %d (%v)", out.FailedEntryCount, out.FailedEntries)
	}
	return url, nil
}

// delivered waits for the one message EventBridge sends the queue.
func (e *env) delivered(ctx context.Context, url string) (string, error) {
	ms, err := e.receiveWithin(ctx, url, 1, 30*time.Second, func(in *sqs.ReceiveMessageInput) { in.WaitTimeSeconds = 1 })
	if err != nil {
		return "", fmt.Errorf("the event delivered to the target queue: %w", err)
	}
	return str(ms[0].Body), nil
}

func (e *env) putEvent(ctx context.Context, entry ebtypes.PutEventsRequestEntry) (*eventbridge.PutEventsOutput, error) {
	out, err := e.evb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{entry}})
	if err != nil {
		return nil, noErr("PutEvents", err)
	}
	return out, nil
}

func eventsCases() []fcase {
	putEntryError := func(name, fact, code, msg string, entry ebtypes.PutEventsRequestEntry) fcase {
		return fcase{
			name: "events/" + name,
			fact: fact,
			check: func(ctx context.Context, e *env) error {
				out, err := e.putEvent(ctx, entry)
				if err != nil {
					return err
				}
				if len(out.Entries) != 1 {
					return fmt.Errorf("Entries: want 1, got %d", len(out.Entries))
				}
				r := out.Entries[0]
				return first(eq("FailedEntryCount", int32(1), out.FailedEntryCount), eq("Entries[0].ErrorCode", code, str(r.ErrorCode)),
					eq("Entries[0].ErrorMessage", msg, str(r.ErrorMessage)), eq("Entries[0].EventId", "<nil>", str(r.EventId)))
			},
		}
	}
	return []fcase{
		{
			name: "events/PutEventsReturnsAnEventIdPerEntry",
			fact: "PutEvents returns FailedEntryCount 0 and an EventId for each accepted entry (" + lsEvents + ", test_put_events_with_time_field)",
			check: func(ctx context.Context, e *env) error {
				out, err := e.evb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
					{Source: aws.String("fidelity.test"), DetailType: aws.String("A"), Detail: aws.String(`{"n":1}`)},
					{Source: aws.String("fidelity.test"), DetailType: aws.String("B"), Detail: aws.String(`{"n":2}`)}}})
				if err != nil {
					return noErr("PutEvents", err)
				}
				if len(out.Entries) != 2 {
					return fmt.Errorf("Entries: want 2, got %d", len(out.Entries))
				}
				return first(eq("FailedEntryCount", int32(0), out.FailedEntryCount), eq("Entries[0].EventId present", true, out.Entries[0].EventId != nil),
					eq("Entries[1].EventId present", true, out.Entries[1].EventId != nil))
			},
		},
		{
			name: "events/PutEventsTimeSentAsEpochSecondsIsTheEventTime",
			fact: "PutEvents Time (sent by the SDKs as epoch seconds) becomes the delivered event's time, formatted YYYY-MM-DDTHH:MM:SSZ (" + lsEvents + ", test_put_events_time)",
			check: func(ctx context.Context, e *env) error {
				source := e.name("src")
				url, err := e.routeToQueue(ctx, source, nil)
				if err != nil {
					return err
				}
				at := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
				if _, err := e.putEvent(ctx, ebtypes.PutEventsRequestEntry{Source: aws.String(source), DetailType: aws.String("t"), Detail: aws.String(`{}`), Time: &at}); err != nil {
					return err
				}
				body, err := e.delivered(ctx, url)
				if err != nil {
					return err
				}
				var ev struct{ Time string }
				if err := json.Unmarshal([]byte(body), &ev); err != nil {
					return fmt.Errorf("delivered event: want JSON, got %q", body)
				}
				return eq("event time", "2022-01-01T00:00:00Z", ev.Time)
			},
		},
		{
			name: "events/DeliveredEventHasTheEnvelopeFields",
			fact: "an event delivered to a target is the envelope version 0, id (the EventId), detail-type, source, account, time, region, resources [] and detail (" + lsEvents + ", test_put_events_with_time_field)",
			check: func(ctx context.Context, e *env) error {
				source := e.name("src")
				url, err := e.routeToQueue(ctx, source, nil)
				if err != nil {
					return err
				}
				out, err := e.putEvent(ctx, ebtypes.PutEventsRequestEntry{Source: aws.String(source), DetailType: aws.String("test-detail-type"), Detail: aws.String(`{"message":"test message"}`)})
				if err != nil {
					return err
				}
				body, err := e.delivered(ctx, url)
				if err != nil {
					return err
				}
				var ev map[string]any
				if err := json.Unmarshal([]byte(body), &ev); err != nil {
					return fmt.Errorf("delivered event: want JSON, got %q", body)
				}
				res, _ := ev["resources"].([]any)
				det, _ := json.Marshal(ev["detail"])
				return first(eq("version", "0", fmt.Sprint(ev["version"])), eq("id", str(out.Entries[0].EventId), fmt.Sprint(ev["id"])),
					eq("detail-type", "test-detail-type", fmt.Sprint(ev["detail-type"])), eq("source", source, fmt.Sprint(ev["source"])),
					eq("account", e.account, fmt.Sprint(ev["account"])), eq("region", e.region, fmt.Sprint(ev["region"])),
					eq("resources is an empty list", true, res != nil && len(res) == 0), jsonEq("detail", `{"message":"test message"}`, string(det)))
			},
		},
		putEntryError("PutEventsEntryWithoutSourceFails",
			"a PutEvents entry without Source fails in its result entry: InvalidArgument 'Parameter Source is not valid. Reason: Source is a required argument.' ("+lsEvents+", test_put_events_without_source)",
			"InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument.",
			ebtypes.PutEventsRequestEntry{DetailType: aws.String("t"), Detail: aws.String(`{}`)}),
		putEntryError("PutEventsEntryWithoutDetailTypeFails",
			"a PutEvents entry without DetailType fails in its result entry: InvalidArgument 'Parameter DetailType is not valid. Reason: DetailType is a required argument.' ("+lsEvents+", test_put_event_without_detail_type)",
			"InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument.",
			ebtypes.PutEventsRequestEntry{Source: aws.String("fidelity.test"), Detail: aws.String(`{}`)}),
		putEntryError("PutEventsEntryWithoutDetailFails",
			"a PutEvents entry without Detail fails in its result entry: InvalidArgument 'Parameter Detail is not valid. Reason: Detail is a required argument.' ("+lsEvents+", test_put_event_without_detail)",
			"InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument.",
			ebtypes.PutEventsRequestEntry{Source: aws.String("fidelity.test"), DetailType: aws.String("t")}),
		putEntryError("PutEventsEntryWithNonObjectDetailIsMalformedDetail",
			"a PutEvents entry whose Detail is not a JSON object fails in its result entry: MalformedDetail 'Detail is malformed.' ("+lsEvents+", test_put_event_malformed_detail)",
			"MalformedDetail", "Detail is malformed.",
			ebtypes.PutEventsRequestEntry{Source: aws.String("fidelity.test"), DetailType: aws.String("t"), Detail: aws.String("plain string")}),
		{
			name: "events/PutEventsOver10EntriesIsValidation",
			fact: "PutEvents with 11 entries fails ValidationException '1 validation error detected: Value '[PutEventsRequestEntry(...' (" + lsEvents + ", test_put_events_exceed_limit_ten_entries)",
			check: func(ctx context.Context, e *env) error {
				var entries []ebtypes.PutEventsRequestEntry
				for i := range 11 {
					entries = append(entries, ebtypes.PutEventsRequestEntry{Source: aws.String("fidelity.test"), DetailType: aws.String("t"), Detail: aws.String(`{"i":` + strconv.Itoa(i) + `}`)})
				}
				_, err := e.evb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
				return apiErrPrefix(err, "ValidationException", "1 validation error detected: Value '[PutEventsRequestEntry(")
			},
		},
		{
			name: "events/PutEventsToUnknownBusStillReturnsEventIds",
			fact: "PutEvents naming an event bus that does not exist is accepted: FailedEntryCount 0 and an EventId (" + lsEvents + ", test_put_events_nonexistent_event_bus)",
			check: func(ctx context.Context, e *env) error {
				out, err := e.putEvent(ctx, ebtypes.PutEventsRequestEntry{EventBusName: aws.String(e.name("nobus")), Source: aws.String("MySource"),
					DetailType: aws.String("CustomType"), Detail: aws.String(`{"message":"for the custom event bus"}`)})
				if err != nil {
					return err
				}
				return first(eq("FailedEntryCount", int32(0), out.FailedEntryCount), eq("Entries[0].EventId present", true, len(out.Entries) == 1 && out.Entries[0].EventId != nil))
			},
		},
		{
			name: "events/TestEventPatternMatches",
			fact: "TestEventPattern returns Result true when the pattern matches the event and false when it does not (" + lsPatterns + ", test_event_pattern_source)",
			check: func(ctx context.Context, e *env) error {
				yes, err := e.evb.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{Event: aws.String(testEvent), EventPattern: aws.String(`{"source":["order"],"detail-type":["Test"]}`)})
				if err != nil {
					return noErr("TestEventPattern", err)
				}
				no, err := e.evb.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{Event: aws.String(testEvent), EventPattern: aws.String(`{"source":["shipment"],"detail-type":["Test"]}`)})
				if err != nil {
					return noErr("TestEventPattern", err)
				}
				return first(eq("Result of a matching pattern", true, yes.Result), eq("Result of a pattern that does not match", false, no.Result))
			},
		},
		{
			name: "events/TestEventPatternNumericRange",
			fact: "a numeric content filter [\">\", 100] matches detail.amount 150 (developer guide, content filtering: numeric matching; " + lsPatterns + ")",
			check: func(ctx context.Context, e *env) error {
				out, err := e.evb.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{Event: aws.String(testEvent), EventPattern: aws.String(`{"detail":{"amount":[{"numeric":[">",100]}]}}`)})
				if err != nil {
					return noErr("TestEventPattern", err)
				}
				return eq("Result", true, out.Result)
			},
		},
		{
			name: "events/TestEventPatternEventWithoutResourcesIsAccepted",
			fact: "TestEventPattern accepts an event without resources, though the API reference lists it as required: AWS answers with a Result (" + lsPatterns + ", test_event_pattern_source; LocalStack's provider notes it)",
			check: func(ctx context.Context, e *env) error {
				ev := `{"id":"1","source":"order","detail-type":"Test","account":"123456789012","region":"us-east-1","time":"2022-07-13T13:48:01Z"}`
				out, err := e.evb.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{Event: aws.String(ev), EventPattern: aws.String(`{"source":["order"]}`)})
				if err != nil {
					return noErr("TestEventPattern of an event without resources", err)
				}
				return eq("Result", true, out.Result)
			},
		},
		{
			name: "events/TestEventPatternEventWithoutMandatoryFieldIsValidation",
			fact: "TestEventPattern of an event without the mandatory envelope fields fails ValidationException 'Parameter Event is not valid.' (" + lsPatterns + ", test_invalid_event_payload)",
			check: func(ctx context.Context, e *env) error {
				_, err := e.evb.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{Event: aws.String(`{"testEvent":"value"}`),
					EventPattern: aws.String(`{"body":{"test2":[{"numeric":[">",100]}]}}`)})
				return apiErr(err, "ValidationException", "Parameter Event is not valid.")
			},
		},
		{
			name: "events/TestEventPatternPlainStringEventIsValidation",
			fact: "TestEventPattern of an event that is not a JSON object fails ValidationException 'Parameter Event is not valid.' (" + lsPatterns + ", test_plain_string_payload)",
			check: func(ctx context.Context, e *env) error {
				_, err := e.evb.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{Event: aws.String("plain string"),
					EventPattern: aws.String(`{"body":{"test2":[{"numeric":[">",100]}]}}`)})
				return apiErr(err, "ValidationException", "Parameter Event is not valid.")
			},
		},
		{
			name: "events/InvalidEventPatternMessageHasOnePrefix",
			fact: "TestEventPattern with an empty array in the pattern fails InvalidEventPatternException 'Event pattern is not valid. Reason: Empty arrays are not allowed' (" + lsPatterns + ", arrays_empty_EXC)",
			check: func(ctx context.Context, e *env) error {
				_, err := e.evb.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{Event: aws.String(testEvent), EventPattern: aws.String(`{"source":[]}`)})
				return apiErr(err, "InvalidEventPatternException", "Event pattern is not valid. Reason: Empty arrays are not allowed")
			},
		},
		{
			name: "events/PutRuleWithInvalidPatternIsInvalidEventPatternException",
			fact: "PutRule with a pattern value that is not an array or object fails InvalidEventPatternException 'Event pattern is not valid. Reason: \"source\" must be an object or an array' (" + lsPatterns + ", string_nolist_EXC)",
			check: func(ctx context.Context, e *env) error {
				_, err := e.evb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(e.name("rule")), EventPattern: aws.String(`{"source":"order"}`)})
				return apiErr(err, "InvalidEventPatternException", `Event pattern is not valid. Reason: "source" must be an object or an array`)
			},
		},
		{
			name: "events/PutRuleReturnsRuleArn",
			fact: "PutRule on the default bus returns RuleArn arn:aws:events:<region>:<account>:rule/<name> (" + lsEvents + ", test_put_list_with_prefix_describe_delete_rule)",
			check: func(ctx context.Context, e *env) error {
				name := e.name("rule")
				out, err := e.evb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventPattern: aws.String(`{"source":["x"]}`)})
				if err != nil {
					return noErr("PutRule", err)
				}
				return eq("RuleArn", "arn:aws:events:"+e.region+":"+e.account+":rule/"+name, str(out.RuleArn))
			},
		},
		{
			name: "events/PutRuleOnCustomBusArnNamesTheBus",
			fact: "PutRule on a custom bus returns RuleArn arn:aws:events:<region>:<account>:rule/<bus>/<name> (API reference, PutRule; EventBridge ARN format)",
			check: func(ctx context.Context, e *env) error {
				bus, err := e.newBus(ctx)
				if err != nil {
					return err
				}
				name := e.name("rule")
				out, err := e.evb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventBusName: aws.String(bus), EventPattern: aws.String(`{"source":["x"]}`)})
				if err != nil {
					return noErr("PutRule", err)
				}
				return eq("RuleArn", "arn:aws:events:"+e.region+":"+e.account+":rule/"+bus+"/"+name, str(out.RuleArn))
			},
		},
		{
			name: "events/DescribeRuleReturnsStateBusAndCreatedBy",
			fact: "DescribeRule returns Name, Arn, EventPattern, State ENABLED, EventBusName default and CreatedBy (the account) (" + lsEvents + ", test_put_list_with_prefix_describe_delete_rule)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newRule(ctx, "", `{"source":["core.update-account-command"]}`)
				if err != nil {
					return err
				}
				out, err := e.evb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(name)})
				if err != nil {
					return noErr("DescribeRule", err)
				}
				return first(eq("Name", name, str(out.Name)), eq("State", ebtypes.RuleStateEnabled, out.State), eq("EventBusName", "default", str(out.EventBusName)),
					eq("CreatedBy", e.account, str(out.CreatedBy)), jsonEq("EventPattern", `{"source":["core.update-account-command"]}`, str(out.EventPattern)),
					eq("Arn", "arn:aws:events:"+e.region+":"+e.account+":rule/"+name, str(out.Arn)))
			},
		},
		{
			name: "events/DescribeRuleOfUnknownRuleIsResourceNotFound",
			fact: "DescribeRule of a rule that does not exist fails ResourceNotFoundException 'Rule <name> does not exist on EventBus default.' (" + lsEvents + ", test_describe_nonexistent_rule)",
			check: func(ctx context.Context, e *env) error {
				name := e.name("missing")
				_, err := e.evb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(name)})
				return apiErr(err, "ResourceNotFoundException", "Rule "+name+" does not exist on EventBus default.")
			},
		},
		{
			name: "events/DeleteRuleOfDeletedRuleSucceeds",
			fact: "DeleteRule of a rule already deleted succeeds: 'If you call delete rule multiple times for the same rule, all calls will succeed.' (API reference, DeleteRule)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newRule(ctx, "", `{"source":["x"]}`)
				if err != nil {
					return err
				}
				for i := range 2 {
					if _, err := e.evb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String(name)}); err != nil {
						return noErr(fmt.Sprintf("DeleteRule call %d", i+1), err)
					}
				}
				return nil
			},
		},
		{
			name: "events/DeleteRuleWithTargetsIsValidation",
			fact: "DeleteRule of a rule that still has targets fails ValidationException \"Rule can't be deleted since it has targets.\" (" + lsEvents + ", test_delete_rule_with_targets)",
			check: func(ctx context.Context, e *env) error {
				_, arn, err := e.targetQueue(ctx)
				if err != nil {
					return err
				}
				name, err := e.newRule(ctx, "", `{"source":["x"]}`)
				if err != nil {
					return err
				}
				if _, err := e.evb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), Targets: []ebtypes.Target{{Id: aws.String("t"), Arn: aws.String(arn)}}}); err != nil {
					return noErr("PutTargets", err)
				}
				_, err = e.evb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String(name)})
				return apiErr(err, "ValidationException", "Rule can't be deleted since it has targets.")
			},
		},
		{
			name: "events/PutTargetsOverFivePerRuleIsLimitExceeded",
			fact: "a rule can have at most five targets: PutTargets of six fails LimitExceededException 'The requested resource exceeds the maximum number allowed.' (" + lsEvents + ", test_add_exceed_fife_targets_per_rule; developer guide, quotas)",
			check: func(ctx context.Context, e *env) error {
				_, arn, err := e.targetQueue(ctx)
				if err != nil {
					return err
				}
				name, err := e.newRule(ctx, "", `{"source":["x"]}`)
				if err != nil {
					return err
				}
				var ts []ebtypes.Target
				for i := range 6 {
					ts = append(ts, ebtypes.Target{Id: aws.String("t" + strconv.Itoa(i)), Arn: aws.String(arn)})
				}
				_, err = e.evb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), Targets: ts})
				return apiErr(err, "LimitExceededException", "The requested resource exceeds the maximum number allowed.")
			},
		},
		{
			name: "events/PutTargetsWithInvalidIdIsValidation",
			fact: "a target Id outside [.-_A-Za-z0-9] fails ValidationException \"1 validation error detected: Value '!@#$@!#$' at 'targets.1.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+\" (" + lsEvents + ", test_put_target_id_validation)",
			check: func(ctx context.Context, e *env) error {
				_, arn, err := e.targetQueue(ctx)
				if err != nil {
					return err
				}
				name, err := e.newRule(ctx, "", `{"source":["x"]}`)
				if err != nil {
					return err
				}
				_, err = e.evb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), Targets: []ebtypes.Target{{Id: aws.String("!@#$@!#$"), Arn: aws.String(arn)}}})
				return apiErr(err, "ValidationException",
					`1 validation error detected: Value '!@#$@!#$' at 'targets.1.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_A-Za-z0-9]+`)
			},
		},
		{
			name: "events/PutTargetsWithInputAndInputPathIsValidation",
			fact: "a target with both Input and InputPath fails ValidationException 'Only one of Input, InputPath, or InputTransformer must be provided for target <id>.' (" + lsInputs + ", test_put_event_input_path_and_input_transformer)",
			check: func(ctx context.Context, e *env) error {
				_, arn, err := e.targetQueue(ctx)
				if err != nil {
					return err
				}
				name, err := e.newRule(ctx, "", `{"source":["x"]}`)
				if err != nil {
					return err
				}
				_, err = e.evb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), Targets: []ebtypes.Target{{Id: aws.String("both"), Arn: aws.String(arn),
					InputPath: aws.String("$.detail"), InputTransformer: &ebtypes.InputTransformer{InputTemplate: aws.String(`"x"`)}}}})
				return apiErr(err, "ValidationException", "Only one of Input, InputPath, or InputTransformer must be provided for target both.")
			},
		},
		{
			name: "events/ListTargetsByRuleKeepsInputInputPathAndInputTransformer",
			fact: "ListTargetsByRule returns each target's Input, InputPath and InputTransformer as put (API reference, Target; ListTargetsByRule)",
			check: func(ctx context.Context, e *env) error {
				_, arn, err := e.targetQueue(ctx)
				if err != nil {
					return err
				}
				name, err := e.newRule(ctx, "", `{"source":["x"]}`)
				if err != nil {
					return err
				}
				tr := &ebtypes.InputTransformer{InputPathsMap: map[string]string{"src": "$.source"}, InputTemplate: aws.String(`{"from":<src>}`)}
				if _, err := e.evb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), Targets: []ebtypes.Target{
					{Id: aws.String("constant"), Arn: aws.String(arn), Input: aws.String(`{"fixed":true}`)},
					{Id: aws.String("path"), Arn: aws.String(arn), InputPath: aws.String("$.detail")},
					{Id: aws.String("shaped"), Arn: aws.String(arn), InputTransformer: tr}}}); err != nil {
					return noErr("PutTargets", err)
				}
				out, err := e.evb.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(name)})
				if err != nil {
					return noErr("ListTargetsByRule", err)
				}
				got := map[string]ebtypes.Target{}
				for _, t := range out.Targets {
					got[str(t.Id)] = t
				}
				var shapedMap map[string]string
				var shapedTemplate *string
				if s := got["shaped"].InputTransformer; s != nil {
					shapedMap, shapedTemplate = s.InputPathsMap, s.InputTemplate
				}
				return first(eq("targets", 3, len(out.Targets)), eq("constant.Input", `{"fixed":true}`, str(got["constant"].Input)),
					eq("path.InputPath", "$.detail", str(got["path"].InputPath)), deepEq("shaped.InputTransformer.InputPathsMap", tr.InputPathsMap, shapedMap),
					eq("shaped.InputTransformer.InputTemplate", *tr.InputTemplate, str(shapedTemplate)))
			},
		},
		{
			name: "events/InputPathDeliversThatPartOfTheEvent",
			fact: "a target with InputPath $.detail receives only the event's detail (developer guide, transforming target input; API reference, Target InputPath)",
			check: func(ctx context.Context, e *env) error {
				source := e.name("src")
				url, err := e.routeToQueue(ctx, source, func(t *ebtypes.Target) { t.InputPath = aws.String("$.detail") })
				if err != nil {
					return err
				}
				if _, err := e.putEvent(ctx, ebtypes.PutEventsRequestEntry{Source: aws.String(source), DetailType: aws.String("t"), Detail: aws.String(`{"loan":"L-1"}`)}); err != nil {
					return err
				}
				body, err := e.delivered(ctx, url)
				if err != nil {
					return err
				}
				return jsonEq("delivered body", `{"loan":"L-1"}`, body)
			},
		},
		{
			name: "events/InputTransformerShapesTheDeliveredInput",
			fact: "a target's InputTransformer fills InputTemplate's <placeholders> from InputPathsMap (developer guide, input transformation)",
			check: func(ctx context.Context, e *env) error {
				source := e.name("src")
				url, err := e.routeToQueue(ctx, source, func(t *ebtypes.Target) {
					t.InputTransformer = &ebtypes.InputTransformer{InputPathsMap: map[string]string{"loan": "$.detail.loan"}, InputTemplate: aws.String(`{"application":<loan>}`)}
				})
				if err != nil {
					return err
				}
				if _, err := e.putEvent(ctx, ebtypes.PutEventsRequestEntry{Source: aws.String(source), DetailType: aws.String("t"), Detail: aws.String(`{"loan":"L-2"}`)}); err != nil {
					return err
				}
				body, err := e.delivered(ctx, url)
				if err != nil {
					return err
				}
				return jsonEq("delivered body", `{"application":"L-2"}`, body)
			},
		},
		{
			name: "events/DisableRuleThenEnableRule",
			fact: "DisableRule sets the rule's State to DISABLED and EnableRule back to ENABLED (" + lsEvents + ", test_disable_re_enable_rule)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newRule(ctx, "", `{"source":["x"]}`)
				if err != nil {
					return err
				}
				state := func() (ebtypes.RuleState, error) {
					out, err := e.evb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(name)})
					if err != nil {
						return "", noErr("DescribeRule", err)
					}
					return out.State, nil
				}
				if _, err := e.evb.DisableRule(ctx, &eventbridge.DisableRuleInput{Name: aws.String(name)}); err != nil {
					return noErr("DisableRule", err)
				}
				s, err := state()
				if err != nil {
					return err
				}
				if err := eq("State after DisableRule", ebtypes.RuleStateDisabled, s); err != nil {
					return err
				}
				if _, err := e.evb.EnableRule(ctx, &eventbridge.EnableRuleInput{Name: aws.String(name)}); err != nil {
					return noErr("EnableRule", err)
				}
				s, err = state()
				if err != nil {
					return err
				}
				return eq("State after EnableRule", ebtypes.RuleStateEnabled, s)
			},
		},
		{
			name: "events/RemoveTargetsEmptiesListTargetsByRule",
			fact: "RemoveTargets removes the named targets; ListTargetsByRule then returns none (" + lsEvents + ", test_put_list_remove_target)",
			check: func(ctx context.Context, e *env) error {
				_, arn, err := e.targetQueue(ctx)
				if err != nil {
					return err
				}
				name, err := e.newRule(ctx, "", `{"source":["x"]}`)
				if err != nil {
					return err
				}
				if _, err := e.evb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), Targets: []ebtypes.Target{{Id: aws.String("t"), Arn: aws.String(arn)}}}); err != nil {
					return noErr("PutTargets", err)
				}
				out, err := e.evb.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String(name), Ids: []string{"t"}})
				if err != nil {
					return noErr("RemoveTargets", err)
				}
				list, err := e.evb.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(name)})
				if err != nil {
					return noErr("ListTargetsByRule", err)
				}
				return first(eq("RemoveTargets FailedEntryCount", int32(0), out.FailedEntryCount), eq("targets left", 0, len(list.Targets)))
			},
		},
		{
			name: "events/ListRulesWithNamePrefix",
			fact: "ListRules with NamePrefix returns only the rules whose name starts with it (" + lsEvents + ", test_put_list_with_prefix_describe_delete_rule)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newRule(ctx, "", `{"source":["x"]}`)
				if err != nil {
					return err
				}
				out, err := e.evb.ListRules(ctx, &eventbridge.ListRulesInput{NamePrefix: aws.String(name)})
				if err != nil {
					return noErr("ListRules", err)
				}
				var names []string
				for _, r := range out.Rules {
					names = append(names, str(r.Name))
				}
				return deepEq("rule names", []string{name}, names)
			},
		},
		{
			name: "events/ScheduleExpressionOnCustomBusIsValidation",
			fact: "PutRule with a ScheduleExpression on a custom bus fails ValidationException 'ScheduleExpression is supported only on the default event bus.' (LocalStack test_events_schedule.snapshot.json, tests_put_rule_with_schedule_custom_event_bus, recorded against AWS)",
			check: func(ctx context.Context, e *env) error {
				bus, err := e.newBus(ctx)
				if err != nil {
					return err
				}
				_, err = e.evb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(e.name("rule")), EventBusName: aws.String(bus), ScheduleExpression: aws.String("rate(1 minute)")})
				return apiErr(err, "ValidationException", "ScheduleExpression is supported only on the default event bus.")
			},
		},
		{
			name: "events/ListEventBusesGivesCreationAndLastModifiedTime",
			fact: "ListEventBuses returns each bus's Name, Arn arn:aws:events:<region>:<account>:event-bus/<name>, CreationTime and LastModifiedTime (" + lsEvents + ", test_create_list_describe_delete_custom_event_buses)",
			check: func(ctx context.Context, e *env) error {
				bus, err := e.newBus(ctx)
				if err != nil {
					return err
				}
				out, err := e.evb.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{NamePrefix: aws.String(bus)})
				if err != nil {
					return noErr("ListEventBuses", err)
				}
				if len(out.EventBuses) != 1 {
					return fmt.Errorf("EventBuses with the prefix: want 1, got %d", len(out.EventBuses))
				}
				b := out.EventBuses[0]
				return first(eq("Name", bus, str(b.Name)), eq("Arn", e.busARN(bus), str(b.Arn)), eq("CreationTime present", true, b.CreationTime != nil),
					eq("LastModifiedTime present", true, b.LastModifiedTime != nil))
			},
		},
		{
			name: "events/DescribeEventBusGivesCreationTime",
			fact: "DescribeEventBus returns Name, Arn, CreationTime and LastModifiedTime (" + lsEvents + ", test_create_list_describe_delete_custom_event_buses)",
			check: func(ctx context.Context, e *env) error {
				bus, err := e.newBus(ctx)
				if err != nil {
					return err
				}
				out, err := e.evb.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String(bus)})
				if err != nil {
					return noErr("DescribeEventBus", err)
				}
				return first(eq("Name", bus, str(out.Name)), eq("Arn", e.busARN(bus), str(out.Arn)), eq("CreationTime present", true, out.CreationTime != nil),
					eq("LastModifiedTime present", true, out.LastModifiedTime != nil))
			},
		},
		{
			name: "events/CreateEventBusThatExistsIsResourceAlreadyExists",
			fact: "CreateEventBus of an existing name fails ResourceAlreadyExistsException 'Event bus <name> already exists.' (" + lsEvents + ", test_create_multiple_event_buses_same_name)",
			check: func(ctx context.Context, e *env) error {
				bus, err := e.newBus(ctx)
				if err != nil {
					return err
				}
				_, err = e.evb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)})
				return apiErr(err, "ResourceAlreadyExistsException", "Event bus "+bus+" already exists.")
			},
		},
		{
			name: "events/DescribeEventBusOfUnknownBusIsResourceNotFound",
			fact: "DescribeEventBus of a bus that does not exist fails ResourceNotFoundException 'Event bus <name> does not exist.' (" + lsEvents + ", test_describe_delete_not_existing_event_bus)",
			check: func(ctx context.Context, e *env) error {
				name := e.name("nobus")
				_, err := e.evb.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String(name)})
				return apiErr(err, "ResourceNotFoundException", "Event bus "+name+" does not exist.")
			},
		},
		{
			name: "events/DeleteEventBusRemovesIt",
			fact: "after DeleteEventBus, DescribeEventBus fails ResourceNotFoundException 'Event bus <name> does not exist.' (" + lsEvents + ", test_create_list_describe_delete_custom_event_buses)",
			check: func(ctx context.Context, e *env) error {
				bus, err := e.newBus(ctx)
				if err != nil {
					return err
				}
				if _, err := e.evb.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String(bus)}); err != nil {
					return noErr("DeleteEventBus", err)
				}
				_, err = e.evb.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String(bus)})
				return apiErr(err, "ResourceNotFoundException", "Event bus "+bus+" does not exist.")
			},
		},
		{
			name: "events/DeleteDefaultEventBusIsValidation",
			fact: "DeleteEventBus of the default bus fails ValidationException 'Cannot delete event bus default.' (" + lsEvents + ", test_delete_default_event_bus)",
			check: func(ctx context.Context, e *env) error {
				_, err := e.evb.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String("default")})
				return apiErr(err, "ValidationException", "Cannot delete event bus default.")
			},
		},
		{
			name: "events/CreateArchiveThenDescribeArchive",
			fact: "CreateArchive returns ArchiveArn arn:aws:events:<region>:<account>:archive/<name> and State ENABLED; DescribeArchive returns its name, source, pattern, RetentionDays and EventCount 0 (" + lsArchive + ", test_create_list_describe_update_delete_archive)",
			check: func(ctx context.Context, e *env) error {
				bus, err := e.newBus(ctx)
				if err != nil {
					return err
				}
				name := e.name("arch")
				out, err := e.evb.CreateArchive(ctx, &eventbridge.CreateArchiveInput{ArchiveName: aws.String(name), EventSourceArn: aws.String(e.busARN(bus)),
					Description: aws.String("description of the archive"), EventPattern: aws.String(`{"source":["x"]}`), RetentionDays: aws.Int32(1)})
				if err != nil {
					return noErr("CreateArchive", err)
				}
				if err := first(eq("ArchiveArn", "arn:aws:events:"+e.region+":"+e.account+":archive/"+name, str(out.ArchiveArn)),
					eq("State", ebtypes.ArchiveStateEnabled, out.State)); err != nil {
					return err
				}
				d, err := e.evb.DescribeArchive(ctx, &eventbridge.DescribeArchiveInput{ArchiveName: aws.String(name)})
				if err != nil {
					return noErr("DescribeArchive", err)
				}
				return first(eq("ArchiveName", name, str(d.ArchiveName)), eq("EventSourceArn", e.busARN(bus), str(d.EventSourceArn)),
					jsonEq("EventPattern", `{"source":["x"]}`, str(d.EventPattern)), eq("RetentionDays", int32(1), aws.ToInt32(d.RetentionDays)),
					eq("EventCount", int64(0), d.EventCount), eq("Description", "description of the archive", str(d.Description)))
			},
		},
		{
			name: "events/CreateArchiveThatExistsIsResourceAlreadyExists",
			fact: "CreateArchive of an existing name fails ResourceAlreadyExistsException 'Archive <name> already exists.' (" + lsArchive + ", test_create_archive_error_duplicate)",
			check: func(ctx context.Context, e *env) error {
				name := e.name("arch")
				in := &eventbridge.CreateArchiveInput{ArchiveName: aws.String(name), EventSourceArn: aws.String(e.busARN("default"))}
				if _, err := e.evb.CreateArchive(ctx, in); err != nil {
					return noErr("CreateArchive", err)
				}
				_, err := e.evb.CreateArchive(ctx, in)
				return apiErr(err, "ResourceAlreadyExistsException", "Archive "+name+" already exists.")
			},
		},
		{
			name: "events/CreateArchiveOnUnknownBusIsResourceNotFound",
			fact: "CreateArchive whose EventSourceArn names no bus fails ResourceNotFoundException 'Event bus <name> does not exist.' (" + lsArchive + ", test_create_archive_error_unknown_event_bus)",
			check: func(ctx context.Context, e *env) error {
				bus := e.name("nobus")
				_, err := e.evb.CreateArchive(ctx, &eventbridge.CreateArchiveInput{ArchiveName: aws.String(e.name("arch")), EventSourceArn: aws.String(e.busARN(bus))})
				return apiErr(err, "ResourceNotFoundException", "Event bus "+bus+" does not exist.")
			},
		},
		{
			name: "events/DescribeArchiveOfUnknownArchiveIsResourceNotFound",
			fact: "DescribeArchive of an archive that does not exist fails ResourceNotFoundException 'Archive <name> does not exist.' (" + lsArchive + ", test_describe_archive_error_unknown_archive)",
			check: func(ctx context.Context, e *env) error {
				name := e.name("arch")
				_, err := e.evb.DescribeArchive(ctx, &eventbridge.DescribeArchiveInput{ArchiveName: aws.String(name)})
				return apiErr(err, "ResourceNotFoundException", "Archive "+name+" does not exist.")
			},
		},
	}
}
