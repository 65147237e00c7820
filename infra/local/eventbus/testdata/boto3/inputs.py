"""Target input settings through boto3: Input, InputPath and
InputTransformer are kept (ListTargetsByRule returns them) and shape what
the target receives, the predefined placeholders included."""
import json

from common import delivered, eq, events, done, queue_arn

events.put_rule(Name="shaped", EventPattern=json.dumps({"source": ["boto.inputs"]}))
transformer = {"InputPathsMap": {"loan": "$.detail.loan", "kind": "$.detail-type"},
               "InputTemplate": '{"application": <loan>, "kind": "<kind>", "rule": <aws.events.rule-name>}'}
events.put_targets(Rule="shaped", Targets=[
    {"Id": "constant", "Arn": queue_arn("constant"), "Input": '{"fixed": true}'},
    {"Id": "path", "Arn": queue_arn("path"), "InputPath": "$.detail"},
    {"Id": "json", "Arn": queue_arn("json"), "InputTransformer": transformer},
    {"Id": "text", "Arn": queue_arn("text"), "InputTransformer": {"InputPathsMap": {"loan": "$.detail.loan"},
                                                                   "InputTemplate": '"loan <loan> on <aws.events.rule-name>"'}},
    {"Id": "event", "Arn": queue_arn("event"), "InputTransformer": {"InputTemplate": '{"e": <aws.events.event>}'}},
])
listed = {t["Id"]: t for t in events.list_targets_by_rule(Rule="shaped")["Targets"]}
eq("constant Input", '{"fixed": true}', listed["constant"].get("Input"))
eq("path InputPath", "$.detail", listed["path"].get("InputPath"))
eq("json InputTransformer", transformer, listed["json"].get("InputTransformer"))

out = events.put_events(Entries=[{"Source": "boto.inputs", "DetailType": "Loan Decided", "Detail": json.dumps({"loan": "L-9"})}])
eq("FailedEntryCount", 0, out["FailedEntryCount"])
eq("Input", '{"fixed": true}', delivered(queue_arn("constant"), 1)[0])
eq("InputPath", {"loan": "L-9"}, json.loads(delivered(queue_arn("path"), 1)[0]))
eq("InputTransformer (JSON)", '{"application":"L-9","kind":"Loan Decided","rule":"shaped"}', delivered(queue_arn("json"), 1)[0])
eq("InputTransformer (text)", '"loan L-9 on shaped"', delivered(queue_arn("text"), 1)[0])
e = json.loads(delivered(queue_arn("event"), 1)[0])["e"]
eq("<aws.events.event> id", out["Entries"][0]["EventId"], e["id"])
eq("<aws.events.event> detailType", "Loan Decided", e["detailType"])
assert "detail" not in e, e
done(ok=True)
