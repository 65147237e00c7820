"""Message move tasks through boto3: StartMessageMoveTask with a rate,
ListMessageMoveTasks, CancelMessageMoveTask, statuses and AWS's errors."""
import base64
import json

from common import advance, done, expect_error, sqs

dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
src = sqs.create_queue(QueueName="src", Attributes={
    "VisibilityTimeout": "5", "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})})["QueueUrl"]
for i in range(4):
    sqs.send_message(QueueUrl=src, MessageBody=f"m{i}")
sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10)
advance(5)
assert "Messages" not in sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10)

handle = sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
res = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
assert len(res) == 1 and res[0]["Status"] == "RUNNING" and res[0]["TaskHandle"] == handle, res
assert res[0]["ApproximateNumberOfMessagesMoved"] == 1 and res[0]["ApproximateNumberOfMessagesToMove"] == 4, res
assert res[0]["MaxNumberOfMessagesPerSecond"] == 1 and "DestinationArn" not in res[0], res
expect_error(sqs.start_message_move_task, "InvalidParameterValue",
             "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
             SourceArn=dlq_arn)
advance(1)
moved = sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]
assert moved == 2, moved
assert sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]["Status"] == "CANCELLING"
advance(1)
res = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
assert res[0]["Status"] == "CANCELLED" and "TaskHandle" not in res[0] and res[0]["ApproximateNumberOfMessagesMoved"] == 2, res

sqs.start_message_move_task(SourceArn=dlq_arn)
res = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)["Results"]
assert [r["Status"] for r in res] == ["COMPLETED", "CANCELLED"], res
assert res[0]["ApproximateNumberOfMessagesMoved"] == 2, res
assert len(sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10)["Messages"]) == 4

def handle_of(doc):
    return base64.b64encode(json.dumps(doc).encode()).decode()

expect_error(sqs.cancel_message_move_task, "InvalidParameterValue", "Value for parameter TaskHandle is invalid.", status=400,
             TaskHandle="garbage")
expect_error(sqs.cancel_message_move_task, "ResourceNotFoundException", "Task does not exist.", status=404,
             TaskHandle=handle_of({"taskId": "nope", "sourceArn": dlq_arn}))
expect_error(sqs.cancel_message_move_task, "ResourceNotFoundException",
             "The resource that you specified for the SourceArn parameter doesn't exist.", status=404,
             TaskHandle=handle_of({"taskId": "nope", "sourceArn": dlq_arn + "-gone"}))
expect_error(sqs.list_message_move_tasks, "ResourceNotFoundException",
             "The resource that you specified for the SourceArn parameter doesn't exist.", SourceArn=dlq_arn + "-gone")
expect_error(sqs.list_message_move_tasks, "InvalidParameterValue", SourceArn=dlq_arn, MaxResults=11)
for _ in range(10):
    sqs.start_message_move_task(SourceArn=dlq_arn)
assert len(sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)["Results"]) == 10
done(ok=True)
