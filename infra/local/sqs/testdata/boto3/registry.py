"""The operation registry through boto3: every operation of boto3's SQS
model is either served (OPERATIONS, from sqs.Operations) or answers AWS's
error for an unknown operation."""
import os

from botocore import xform_name
from botocore.exceptions import ClientError

from common import done, sqs

served = set(os.environ["OPERATIONS"].split(","))
model = set(sqs.meta.service_model.operation_names)
assert served <= model, f"registered but not in boto3's model: {served - model}"
url = sqs.create_queue(QueueName="registry")["QueueUrl"]
params = {
    "AddPermission": {"QueueUrl": url, "Label": "l", "AWSAccountIds": ["111111111111"], "Actions": ["SendMessage"]},
    "RemovePermission": {"QueueUrl": url, "Label": "l"},
}
unserved = sorted(model - served)
for name in unserved:
    assert name in params, f"{name} is neither served nor known to this script"
    try:
        getattr(sqs, xform_name(name))(**params[name])
    except ClientError as e:
        assert e.response["Error"]["Code"] == "UnknownOperationException", e.response
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400, e.response
    else:
        raise AssertionError(f"{name} succeeded")
# Served operations are not answered as unknown.
sqs.list_queue_tags(QueueUrl=url)
sqs.list_queues()
done(ok=True, unserved=unserved)
