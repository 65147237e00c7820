"""FIFO queues through boto3: creation rules, send rules, deduplication with
its 5-minute interval, ordering and group locking, ReceiveRequestAttemptId,
FIFO dead-letter queues, durable state is tested in Go."""
import hashlib

from common import advance, bodies, done, expect_error, sqs

# Name and FifoQueue must agree.
expect_error(sqs.create_queue, "InvalidParameterValue",
             "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.",
             QueueName="jobs", Attributes={"FifoQueue": "true"})
expect_error(sqs.create_queue, "InvalidParameterValue", QueueName="jobs.fifo")
expect_error(sqs.create_queue, "InvalidAttributeName", "Unknown Attribute FifoQueue.",
             QueueName="jobs", Attributes={"FifoQueue": "false"})
expect_error(sqs.create_queue, "InvalidAttributeName", "You can specify the DeduplicationScope only when FifoQueue is set to true.",
             QueueName="jobs", Attributes={"DeduplicationScope": "queue"})

url = sqs.create_queue(QueueName="jobs.fifo", Attributes={"FifoQueue": "true", "VisibilityTimeout": "30"})["QueueUrl"]
attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
for k, v in {"FifoQueue": "true", "ContentBasedDeduplication": "false", "DeduplicationScope": "queue",
             "FifoThroughputLimit": "perQueue"}.items():
    assert attrs.get(k) == v, f"{k}={attrs.get(k)!r}, want {v!r}"
expect_error(sqs.set_queue_attributes, "InvalidAttributeValue",
             "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.",
             QueueUrl=url, Attributes={"FifoQueue": "false"})

# Send rules, with AWS's codes (the JSON type in QueryErrorCode).
expect_error(sqs.send_message, "MissingParameter", "The request must contain the parameter MessageGroupId.",
             QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
expect_error(sqs.send_message, "InvalidParameterValue",
             "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
             QueueUrl=url, MessageBody="x", MessageGroupId="g")
expect_error(sqs.send_message, "InvalidParameterValue",
             "Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.",
             QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d", DelaySeconds=2)
expect_error(sqs.send_message_batch, "InvalidParameterValue", "The request must contain the parameter MessageGroupId.",
             QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "x", "MessageDeduplicationId": "d"}])

# Deduplication: a duplicate answers the first MessageId and is not delivered; 5 minutes later it is new.
first = sqs.send_message(QueueUrl=url, MessageBody="g1-m1", MessageGroupId="g1", MessageDeduplicationId="a")
assert len(first["SequenceNumber"]) == 20, first
dup = sqs.send_message(QueueUrl=url, MessageBody="again", MessageGroupId="g1", MessageDeduplicationId="a")
assert dup["MessageId"] == first["MessageId"], (dup, first)
sqs.send_message(QueueUrl=url, MessageBody="g2-m1", MessageGroupId="g2", MessageDeduplicationId="b")
second = sqs.send_message(QueueUrl=url, MessageBody="g1-m2", MessageGroupId="g1", MessageDeduplicationId="c")
assert int(second["SequenceNumber"]) > int(first["SequenceNumber"]), (first, second)

# Order within a group, as many of one group as possible; a group in flight is locked.
r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, MessageSystemAttributeNames=["All"])
assert bodies(r) == ["g1-m1", "g1-m2"], bodies(r)
m = r["Messages"][0]["Attributes"]
assert m["MessageGroupId"] == "g1" and m["MessageDeduplicationId"] == "a" and m["SequenceNumber"] == first["SequenceNumber"], m
sqs.send_message(QueueUrl=url, MessageBody="g1-m3", MessageGroupId="g1", MessageDeduplicationId="e")
r2 = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
assert bodies(r2) == ["g2-m1"], f"group g1 is locked, got {bodies(r2)}"
for msg in r["Messages"]:
    sqs.delete_message(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"])
r3 = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
assert bodies(r3) == ["g1-m3"], bodies(r3)

# The deduplication interval, on the broker's clock.
advance(5 * 60)
late = sqs.send_message(QueueUrl=url, MessageBody="new", MessageGroupId="g1", MessageDeduplicationId="a")
assert late["MessageId"] != first["MessageId"], "5 minutes later the id was still taken"

# Content-based deduplication: the SHA-256 of the body.
content = sqs.create_queue(QueueName="content.fifo",
                           Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
c1 = sqs.send_message(QueueUrl=content, MessageBody="same", MessageGroupId="g")
c2 = sqs.send_message(QueueUrl=content, MessageBody="same", MessageGroupId="g")
assert c1["MessageId"] == c2["MessageId"], (c1, c2)
rc = sqs.receive_message(QueueUrl=content, MessageSystemAttributeNames=["MessageDeduplicationId"])
assert rc["Messages"][0]["Attributes"]["MessageDeduplicationId"] == hashlib.sha256(b"same").hexdigest(), rc

# ReceiveRequestAttemptId: a retry returns the same messages and receipt handles.
att = sqs.create_queue(QueueName="attempt.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
sqs.send_message(QueueUrl=att, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="x")
a1 = sqs.receive_message(QueueUrl=att, ReceiveRequestAttemptId="retry-1")
a2 = sqs.receive_message(QueueUrl=att, ReceiveRequestAttemptId="retry-1")
assert [m["ReceiptHandle"] for m in a1["Messages"]] == [m["ReceiptHandle"] for m in a2["Messages"]], (a1, a2)

# A FIFO queue's DLQ must be FIFO.
std_dlq = sqs.create_queue(QueueName="std-dlq")["QueueUrl"]
std_arn = sqs.get_queue_attributes(QueueUrl=std_dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
policy = '{"deadLetterTargetArn":"%s","maxReceiveCount":"2"}' % std_arn
expect_error(sqs.create_queue, "InvalidParameterValue",
             f"Value {policy} for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source..",
             QueueName="src.fifo", Attributes={"FifoQueue": "true", "RedrivePolicy": policy})

# Redrive at maxReceiveCount keeps the group's order.
dlq = sqs.create_queue(QueueName="dead.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
src = sqs.create_queue(QueueName="src.fifo", Attributes={
    "FifoQueue": "true", "VisibilityTimeout": "10",
    "RedrivePolicy": '{"deadLetterTargetArn":"%s","maxReceiveCount":"1"}' % dlq_arn})["QueueUrl"]
for i in range(3):
    sqs.send_message(QueueUrl=src, MessageBody=f"m{i}", MessageGroupId="g", MessageDeduplicationId=str(i))
assert bodies(sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10)) == ["m0", "m1", "m2"]
advance(10)
assert bodies(sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10)) == []
rd = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, MessageSystemAttributeNames=["MessageGroupId"])
assert bodies(rd) == ["m0", "m1", "m2"], bodies(rd)
assert all(m["Attributes"]["MessageGroupId"] == "g" for m in rd["Messages"]), rd

# Deleting with a handle whose visibility timeout is over: AWS's error.
advance(31)
h = sqs.receive_message(QueueUrl=att)["Messages"][0]["ReceiptHandle"]
advance(31)
expect_error(sqs.delete_message, "InvalidParameterValue", "Value " + h + " for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.",
             QueueUrl=att, ReceiptHandle=h)

done(ok=True, fifo=attrs["FifoQueue"])
