"""Rules through boto3: EnableRule and DisableRule (a disabled rule matches
nothing), DeleteRule of a missing rule succeeds, DeleteRule with targets,
DescribeRule's CreatedBy, five targets per rule, target id validation."""
import json

from common import ACCOUNT, delivered, eq, events, expect_error, done, queue_arn

events.put_rule(Name="toggled", EventPattern=json.dumps({"source": ["boto.test"]}))
events.put_targets(Rule="toggled", Targets=[{"Id": "q", "Arn": queue_arn("toggled")}])
d = events.describe_rule(Name="toggled")
eq("CreatedBy", ACCOUNT, d.get("CreatedBy"))
eq("State", "ENABLED", d["State"])

events.disable_rule(Name="toggled")
eq("State after DisableRule", "DISABLED", events.describe_rule(Name="toggled")["State"])
eq("listed State", "DISABLED", events.list_rules(NamePrefix="toggled")["Rules"][0]["State"])
entry = {"Source": "boto.test", "DetailType": "t", "Detail": json.dumps({"n": 1})}
events.put_events(Entries=[entry])
events.enable_rule(Name="toggled")
eq("State after EnableRule", "ENABLED", events.describe_rule(Name="toggled")["State"])
events.put_events(Entries=[dict(entry, Detail=json.dumps({"n": 2}))])
got = delivered(queue_arn("toggled"), want=1)
eq("deliveries", 1, len(got))
eq("the delivered event's detail", {"n": 2}, json.loads(got[0])["detail"])

expect_error(events.delete_rule, "ValidationException", "Rule can't be deleted since it has targets.", Name="toggled")
events.remove_targets(Rule="toggled", Ids=["q"])
events.delete_rule(Name="toggled")
events.delete_rule(Name="toggled")  # again: AWS succeeds
expect_error(events.describe_rule, "ResourceNotFoundException", "Rule toggled does not exist on EventBus default.", Name="toggled")

events.put_rule(Name="crowded", EventPattern=json.dumps({"source": ["boto.test"]}))
six = [{"Id": f"t{i}", "Arn": queue_arn("q")} for i in range(6)]
expect_error(events.put_targets, "LimitExceededException", "The requested resource exceeds the maximum number allowed.",
             Rule="crowded", Targets=six)
expect_error(events.put_targets, "ValidationException",
             "1 validation error detected: Value '!@#$@!#$' at 'targets.1.member.id' failed to satisfy constraint: "
             "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+",
             Rule="crowded", Targets=[{"Id": "!@#$@!#$", "Arn": queue_arn("q")}])
expect_error(events.put_targets, "ValidationException",
             "1 validation error detected: Value '" + "x" * 65 + "' at 'targets.1.member.id' failed to satisfy constraint: "
             "Member must have length less than or equal to 64",
             Rule="crowded", Targets=[{"Id": "x" * 65, "Arn": queue_arn("q")}])
events.put_targets(Rule="crowded", Targets=six[:5])
eq("targets", 5, len(events.list_targets_by_rule(Rule="crowded")["Targets"]))
done(ok=True)
