"""Scheduled rules through boto3 on the bus's fake clock: rate and cron
expressions, AWS's "Scheduled Event", the default bus only, and AWS's
errors."""
import json

from common import advance, arn, delivered, eq, events, expect_error, done, queue_arn

rule_arn = events.put_rule(Name="every-5", ScheduleExpression="rate(5 minutes)")["RuleArn"]
eq("RuleArn", arn("rule", "every-5"), rule_arn)
events.put_targets(Rule="every-5", Targets=[{"Id": "q", "Arn": queue_arn("scheduled")}])
listed = events.list_rules(NamePrefix="every-5")["Rules"][0]
eq("ScheduleExpression", "rate(5 minutes)", listed.get("ScheduleExpression"))
assert "EventPattern" not in listed, listed

advance(299)
eq("events before the rule is due", [], delivered(queue_arn("scheduled")))
advance(1)
got = delivered(queue_arn("scheduled"), want=1)
eq("scheduled events", 1, len(got))
ev = json.loads(got[0])
for k, v in {"version": "0", "detail-type": "Scheduled Event", "source": "aws.events", "account": "000000000000",
             "time": "2026-03-02T10:05:30Z", "region": "us-east-1", "resources": [rule_arn], "detail": {}}.items():
    eq(k, v, ev.get(k))

# Cron: the clock is at 10:05:30; cron(0/15 ...) is due at 10:15.
events.put_rule(Name="quarter", ScheduleExpression="cron(0/15 * * * ? *)")
events.put_targets(Rule="quarter", Targets=[{"Id": "q", "Arn": queue_arn("cron"), "Input": '{"custom-value": "somecustominput"}'}])
advance(9 * 60 + 30)
eq("the cron rule's target received its Input", ['{"custom-value": "somecustominput"}'], delivered(queue_arn("cron"), want=1))

events.create_event_bus(Name="custom")
expect_error(events.put_rule, "ValidationException", "ScheduleExpression is supported only on the default event bus.",
             Name="r", EventBusName="custom", ScheduleExpression="rate(1 minute)")
expect_error(events.put_rule, "ValidationException", "Parameter(s) EventPattern or ScheduleExpression must be specified.", Name="r")
for bad in ["rate(1 minutes)", "rate(10 seconds)", "cron(0 1 * * * *)", "cron(71 8 1 * ? *)", " rate(10 minutes)"]:
    expect_error(events.put_rule, "ValidationException", "Parameter ScheduleExpression is not valid.", Name="r", ScheduleExpression=bad)
done(ok=True)
