"""Archives and replays through boto3: an archive keeps the matching events
of its bus; a replay sends them again, with replay-name, to the rules it
names; AWS's errors."""
import datetime
import json
import time

from common import arn, delivered, eq, events, expect_error, done, queue_arn

bus = "callbacks"
bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
pattern = json.dumps({"source": ["boto.archive"]})
created = events.create_archive(ArchiveName="kept", EventSourceArn=bus_arn, Description="for replay", EventPattern=pattern,
                                RetentionDays=30)
eq("ArchiveArn", arn("archive", "kept"), created["ArchiveArn"])
eq("State", "ENABLED", created["State"])
assert isinstance(created["CreationTime"], datetime.datetime), created
expect_error(events.create_archive, "ResourceAlreadyExistsException", "Archive kept already exists.", ArchiveName="kept",
             EventSourceArn=bus_arn)
expect_error(events.create_archive, "ResourceNotFoundException", "Event bus nobus does not exist.", ArchiveName="other",
             EventSourceArn=arn("event-bus", "nobus"))
expect_error(events.describe_archive, "ResourceNotFoundException", "Archive nope does not exist.", ArchiveName="nope")

rules = {}
for name in ["first", "second"]:
    rules[name] = events.put_rule(Name=name, EventBusName=bus, EventPattern=pattern)["RuleArn"]
    events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn(name)}])
ids = []
for n in range(2):
    out = events.put_events(Entries=[{"Source": "boto.archive", "DetailType": "t", "Detail": json.dumps({"n": n}), "EventBusName": bus}])
    ids.append(out["Entries"][0]["EventId"])
events.put_events(Entries=[{"Source": "elsewhere", "DetailType": "t", "Detail": "{}", "EventBusName": bus}])
first = delivered(queue_arn("first"), want=2)
# The events' own time (the bus's clock) decides what a replay sends.
at = datetime.datetime.strptime(json.loads(first[0])["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
start, end = at - datetime.timedelta(minutes=1), at + datetime.timedelta(minutes=1)
d = events.describe_archive(ArchiveName="kept")
eq("EventCount", 2, d["EventCount"])
eq("EventPattern", pattern, d.get("EventPattern"))
eq("RetentionDays", 30, d["RetentionDays"])
assert d["SizeBytes"] > 0, d
eq("ListArchives by source", ["kept"], [a["ArchiveName"] for a in events.list_archives(EventSourceArn=bus_arn)["Archives"]])
events.update_archive(ArchiveName="kept", Description="updated")
eq("updated Description", "updated", events.describe_archive(ArchiveName="kept")["Description"])
expect_error(events.update_archive, "ValidationException", "At least one of EventPattern, RetentionDays or Description must be provided.",
             ArchiveName="kept")

started = events.start_replay(ReplayName="again", EventSourceArn=created["ArchiveArn"], EventStartTime=start, EventEndTime=end,
                              Destination={"Arn": bus_arn, "FilterArns": [rules["first"]]})
eq("State", "STARTING", started["State"])
eq("ReplayArn", arn("replay", "again"), started["ReplayArn"])
got = delivered(queue_arn("first"), want=4)
replayed = [json.loads(b) for b in got[2:]]
eq("replay-name", ["again", "again"], [e.get("replay-name") for e in replayed])
eq("replayed ids", sorted(ids), sorted(e["id"] for e in replayed))
eq("the rule the replay does not name", 2, len(delivered(queue_arn("second"))))
for _ in range(200):
    r = events.describe_replay(ReplayName="again")
    if r["State"] == "COMPLETED":
        break
    time.sleep(0.02)
eq("State", "COMPLETED", r["State"])
eq("Destination", {"Arn": bus_arn, "FilterArns": [rules["first"]]}, r["Destination"])
assert isinstance(r.get("ReplayEndTime"), datetime.datetime), r
assert isinstance(r.get("EventLastReplayedTime"), datetime.datetime), r
eq("ListReplays", ["again"], [x["ReplayName"] for x in events.list_replays(NamePrefix="ag")["Replays"]])
eq("EventCount after the replay", 2, events.describe_archive(ArchiveName="kept")["EventCount"])

expect_error(events.start_replay, "ResourceAlreadyExistsException", "Replay again already exists.", ReplayName="again",
             EventSourceArn=created["ArchiveArn"], EventStartTime=start, EventEndTime=end, Destination={"Arn": bus_arn})
expect_error(events.start_replay, "ValidationException",
             "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.", ReplayName="r",
             EventSourceArn=created["ArchiveArn"], EventStartTime=end, EventEndTime=start, Destination={"Arn": bus_arn})
expect_error(events.start_replay, "ValidationException", "Parameter EventSourceArn is not valid. Reason: Archive nope does not exist.",
             ReplayName="r", EventSourceArn=arn("archive", "nope"), EventStartTime=start, EventEndTime=end,
             Destination={"Arn": bus_arn})
expect_error(events.start_replay, "ValidationException",
             "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.", ReplayName="r",
             EventSourceArn=created["ArchiveArn"], EventStartTime=start, EventEndTime=end, Destination={"Arn": arn("event-bus", "default")})
expect_error(events.describe_replay, "ResourceNotFoundException", "Replay nope does not exist.", ReplayName="nope")
expect_error(events.cancel_replay, "IllegalStatusException", "Replay again is not in a valid state for this operation.", ReplayName="again")
events.delete_archive(ArchiveName="kept")
expect_error(events.delete_archive, "ResourceNotFoundException", "Archive kept does not exist.", ArchiveName="kept")
done(ok=True)
