"""Tags on buses and rules through boto3."""
import json

from common import arn, eq, events, expect_error, done


def tags(resource):
    return {t["Key"]: t["Value"] for t in events.list_tags_for_resource(ResourceARN=resource)["Tags"]}


bus_arn = events.create_event_bus(Name="tagged", Tags=[{"Key": "team", "Value": "loans"}])["EventBusArn"]
rule_arn = events.put_rule(Name="r", EventBusName="tagged", EventPattern=json.dumps({"source": ["x"]}),
                           Tags=[{"Key": "tag1", "Value": "value1"}])["RuleArn"]
eq("rule ARN", arn("rule", "tagged/r"), rule_arn)
for resource in [bus_arn, rule_arn, arn("event-bus", "default")]:
    events.tag_resource(ResourceARN=resource, Tags=[{"Key": "tag1", "Value": "v1"}, {"Key": "tag2", "Value": "value2"}])
    events.untag_resource(ResourceARN=resource, TagKeys=["tag2", "never-set"])
eq("bus tags", {"team": "loans", "tag1": "v1"}, tags(bus_arn))
eq("rule tags", {"tag1": "v1"}, tags(rule_arn))
eq("default bus tags", {"tag1": "v1"}, tags(arn("event-bus", "default")))
events.delete_rule(Name="r", EventBusName="tagged")
expect_error(events.list_tags_for_resource, "ResourceNotFoundException", "Rule r does not exist on EventBus tagged.", ResourceARN=rule_arn)
events.delete_event_bus(Name="tagged")
expect_error(events.list_tags_for_resource, "ResourceNotFoundException", "Event bus tagged does not exist.", ResourceARN=bus_arn)
expect_error(events.tag_resource, "ResourceNotFoundException", "Rule missing does not exist on EventBus default.",
             ResourceARN=arn("rule", "missing"), Tags=[{"Key": "k", "Value": "v"}])
done(ok=True)
