"""Rule targets on the whole local stack through boto3: an SNS topic
publishes the (shaped) event to its subscribers, a state machine starts an
execution with it as input; the callback bus has the cloud stack's archive."""
import json
import os
import time

from common import ACCOUNT, REGION, client, eq, events, done

sqs, sns, sfn = client("sqs"), client("sns"), client("stepfunctions")
url = sqs.create_queue(QueueName="boto-topic-subscriber")["QueueUrl"]
topic = sns.create_topic(Name="boto-target-topic")["TopicArn"]
sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=f"arn:aws:sqs:{REGION}:{ACCOUNT}:boto-topic-subscriber")
machine = sfn.create_state_machine(name="boto-target", roleArn=f"arn:aws:iam::{ACCOUNT}:role/boto",
                                   definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}))["stateMachineArn"]
events.put_rule(Name="boto-to-every-kind", EventPattern=json.dumps({"source": ["boto.e2e"]}))
events.put_targets(Rule="boto-to-every-kind", Targets=[
    {"Id": "topic", "Arn": topic, "InputTransformer": {"InputPathsMap": {"loan": "$.detail.loan"}, "InputTemplate": '{"application": <loan>}'}},
    {"Id": "machine", "Arn": machine, "InputPath": "$.detail"},
])
events.put_events(Entries=[{"Source": "boto.e2e", "DetailType": "Loan Decided", "Detail": json.dumps({"loan": "L-8"})}])

deadline = time.time() + 60
msgs = []
while not msgs and time.time() < deadline:
    msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
assert msgs, "the topic's subscriber received nothing"
note = json.loads(msgs[0]["Body"])
eq("notification Type", "Notification", note["Type"])
eq("notification Message", '{"application":"L-8"}', note["Message"])

execs = []
while not execs and time.time() < deadline:
    execs = sfn.list_executions(stateMachineArn=machine)["executions"]
    time.sleep(0.02)
assert execs, "no execution started"
eq("execution input", {"loan": "L-8"}, json.loads(sfn.describe_execution(executionArn=execs[0]["executionArn"])["input"]))

a = events.describe_archive(ArchiveName=os.environ["CALLBACK_ARCHIVE"])
eq("archive source", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{os.environ['CALLBACK_BUS']}", a["EventSourceArn"])
eq("archive retention", 30, a["RetentionDays"])
done(ok=True)
