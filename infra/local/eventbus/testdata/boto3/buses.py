"""Event buses through boto3: CreationTime and LastModifiedTime parse to
timestamps, DeleteEventBus as AWS (the default bus can't go, nor one with
rules; a missing one is no error), PutEvents to a bus that does not exist
is accepted."""
import datetime
import json

from common import arn, eq, events, expect_error, done


def recent(what, t):
    assert isinstance(t, datetime.datetime), f"{what}: {t!r} is not a timestamp"


events.create_event_bus(Name="orders", Description="order events")
d = events.describe_event_bus(Name="orders")
eq("Arn", arn("event-bus", "orders"), d["Arn"])
eq("Description", "order events", d.get("Description"))
recent("CreationTime", d.get("CreationTime"))
recent("LastModifiedTime", d.get("LastModifiedTime"))
listed = events.list_event_buses(NamePrefix="ord")["EventBuses"]
eq("buses with the prefix", 1, len(listed))
recent("listed CreationTime", listed[0].get("CreationTime"))
recent("listed LastModifiedTime", listed[0].get("LastModifiedTime"))

events.put_rule(Name="r", EventBusName="orders", EventPattern=json.dumps({"source": ["x"]}))
expect_error(events.delete_event_bus, "ValidationException", "EventBus can't be deleted since it has rules.", Name="orders")
events.delete_rule(Name="r", EventBusName="orders")
events.delete_event_bus(Name="orders")
expect_error(events.describe_event_bus, "ResourceNotFoundException", "Event bus orders does not exist.", Name="orders")
events.delete_event_bus(Name="orders")  # again: no error
expect_error(events.delete_event_bus, "ValidationException", "Cannot delete event bus default.", Name="default")

out = events.put_events(Entries=[{"EventBusName": "nowhere", "Source": "MySource", "DetailType": "CustomType",
                                  "Detail": json.dumps({"message": "for the custom event bus"})}])
eq("FailedEntryCount", 0, out["FailedEntryCount"])
assert out["Entries"][0].get("EventId"), out
done(ok=True)
