"""Queue tags through boto3: tags on CreateQueue, TagQueue, UntagQueue,
ListQueueTags, and AWS's tag quotas."""
from common import done, expect_error, sqs

url = sqs.create_queue(QueueName="tagged", tags={"team": "loans"})["QueueUrl"]
assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "loans"}
sqs.tag_queue(QueueUrl=url, Tags={"env": "dev", "Env": "Dev", "empty": ""})
assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "loans", "env": "dev", "Env": "Dev", "empty": ""}
sqs.tag_queue(QueueUrl=url, Tags={"env": "prod"})
sqs.untag_queue(QueueUrl=url, TagKeys=["Env", "empty", "not-there"])
assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "loans", "env": "prod"}
sqs.untag_queue(QueueUrl=url, TagKeys=["team", "env"])
assert "Tags" not in sqs.list_queue_tags(QueueUrl=url), "no tags left: AWS leaves Tags out"

expect_error(sqs.tag_queue, "InvalidParameterValue", "Too many tags added for queue tagged.",
             QueueUrl=url, Tags={f"k{i}": "v" for i in range(51)})
expect_error(sqs.tag_queue, "InvalidParameterValue", "Tag keys must be between 1 and 128 characters in length.",
             QueueUrl=url, Tags={"k" * 129: "v"})
expect_error(sqs.tag_queue, "InvalidParameterValue", "Tag values must be between 0 and 256 characters in length",
             QueueUrl=url, Tags={"k": "v" * 257})
expect_error(sqs.tag_queue, "InvalidParameterValue", "Tag keys and values must not begin with the reserved prefix aws:",
             QueueUrl=url, Tags={"aws:owner": "v"})
expect_error(sqs.create_queue, "InvalidParameterValue", "Too many tags added for queue many.",
             QueueName="many", tags={f"k{i}": "v" for i in range(51)})
expect_error(sqs.list_queue_tags, "AWS.SimpleQueueService.NonExistentQueue", QueueUrl=url + "-missing")
assert "Tags" not in sqs.list_queue_tags(QueueUrl=url)
done(ok=True)
