"""The operation registry through boto3: every operation served
(OPERATIONS, from eventbus.Operations) is in boto3's EventBridge model, and
the model's other operations answer UnknownOperationException."""
import os

from botocore.exceptions import ClientError

from common import events, done

served = set(os.environ["OPERATIONS"].split(","))
model = events.meta.service_model
assert served <= set(model.operation_names), f"served but not in boto3's model: {served - set(model.operation_names)}"
unserved = sorted(set(model.operation_names) - served)
for name in unserved:
    try:
        # The raw call skips boto3's parameter validation: the answer is the server's.
        events._make_api_call(name, {})
    except ClientError as e:
        assert e.response["Error"]["Code"] == "UnknownOperationException", (name, e.response)
    except Exception as e:  # boto3 refused to build the request: not this test's concern
        if "Parameter validation failed" not in str(e):
            raise
    else:
        raise AssertionError(f"{name} succeeded")
events.list_archives()
events.list_replays()
done(ok=True, unserved=len(unserved))
