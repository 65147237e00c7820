"""The SQS mismatches of issue 18 through boto3: PurgeQueueInProgress,
QueueDeletedRecently, SqsManagedSseEnabled by default, KMS attributes,
MD5OfMessageSystemAttributes."""
from common import advance, done, expect_error, sqs

url = sqs.create_queue(QueueName="purged")["QueueUrl"]
sqs.purge_queue(QueueUrl=url)
expect_error(sqs.purge_queue, "AWS.SimpleQueueService.PurgeQueueInProgress",
             "Only one PurgeQueue operation on purged is allowed every 60 seconds.", status=403,
             query_error="PurgeQueueInProgress", QueueUrl=url)
advance(60)
sqs.purge_queue(QueueUrl=url)

sqs.delete_queue(QueueUrl=url)
expect_error(sqs.create_queue, "AWS.SimpleQueueService.QueueDeletedRecently",
             "You must wait 60 seconds after deleting a queue before you can create another with the same name.",
             query_error="QueueDeletedRecently", QueueName="purged")
advance(60)
url = sqs.create_queue(QueueName="purged")["QueueUrl"]

attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
assert attrs["SqsManagedSseEnabled"] == "true", attrs
sqs.set_queue_attributes(QueueUrl=url, Attributes={"KmsMasterKeyId": "testKeyId", "KmsDataKeyReusePeriodSeconds": "6000"})
got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled"])["Attributes"]
assert got == {"KmsMasterKeyId": "testKeyId", "KmsDataKeyReusePeriodSeconds": "6000", "SqsManagedSseEnabled": "false"}, got
expect_error(sqs.set_queue_attributes, "InvalidAttributeName",
             "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.",
             QueueUrl=url, Attributes={"KmsMasterKeyId": "k", "SqsManagedSseEnabled": "true"})

# AWS's value for this trace header (LocalStack's AWS-validated test).
trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
attrs = {"timestamp": {"StringValue": "1493147359900", "DataType": "Number"}}
plain = sqs.send_message(QueueUrl=url, MessageBody="test", MessageAttributes=attrs)
traced = sqs.send_message(QueueUrl=url, MessageBody="test", MessageAttributes=attrs,
                          MessageSystemAttributes={"AWSTraceHeader": {"StringValue": trace, "DataType": "String"}})
assert "MD5OfMessageSystemAttributes" not in plain, plain
assert traced["MD5OfMessageSystemAttributes"] == "5ae4d5d7636402d80f4eb6d213245a88", traced
assert traced["MD5OfMessageAttributes"] == plain["MD5OfMessageAttributes"]
expect_error(sqs.get_queue_url, "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.",
             QueueName="missing")
done(ok=True)
