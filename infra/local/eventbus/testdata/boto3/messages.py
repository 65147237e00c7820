"""AWS's wording of the pattern and event errors, through boto3."""
import json

from common import events, expect_error, done

event = json.dumps({"id": "1", "source": "order", "detail-type": "Test", "account": "123456789012", "region": "us-east-1",
                    "time": "2022-07-13T13:48:01Z", "detail": {}})
expect_error(events.test_event_pattern, "InvalidEventPatternException", "Event pattern is not valid. Reason: Empty arrays are not allowed",
             Event=event, EventPattern=json.dumps({"source": []}))
expect_error(events.put_rule, "InvalidEventPatternException", 'Event pattern is not valid. Reason: "source" must be an object or an array',
             Name="r", EventPattern=json.dumps({"source": "order"}))
pattern = json.dumps({"body": {"test2": [{"numeric": [">", 100]}]}})
expect_error(events.test_event_pattern, "ValidationException", "Parameter Event is not valid.", Event="plain string", EventPattern=pattern)
expect_error(events.test_event_pattern, "ValidationException", "Parameter Event is not valid.", Event=json.dumps({"testEvent": "value"}),
             EventPattern=pattern)
r = expect_error(events.put_events, "ValidationException",
                 Entries=[{"Source": "s", "DetailType": "d", "Detail": "{}"} for _ in range(11)])
assert r["Error"]["Message"].startswith("1 validation error detected: Value '[PutEventsRequestEntry("), r["Error"]
done(ok=True)
