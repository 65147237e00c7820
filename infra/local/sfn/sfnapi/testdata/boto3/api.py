"""Step Functions through boto3 against the local engine (ENDPOINT): paging
and its limits, a malformed body, logging and tracing, AWS's error wording,
DeleteStateMachine, DescribeStateMachineForExecution,
ValidateStateMachineDefinition, tags, RedriveExecution and the served
operations (OPERATIONS). A failed check raises AssertionError with its
reason; the last line printed is a JSON summary."""
import json
import os
import time
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["ENDPOINT"]
sfn = boto3.client("stepfunctions", endpoint_url=ENDPOINT, region_name="us-east-1",
                   aws_access_key_id="x", aws_secret_access_key="x", config=Config(retries={"max_attempts": 1}))
ROLE = "arn:aws:iam::000000000000:role/r"
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
FAIL = json.dumps({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "c"}}})


def expect_error(fn, code, message=None, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        err = e.response["Error"]
        assert err["Code"] == code, (code, e.response)
        if message is not None:
            assert err["Message"] == message, (message, err["Message"])
        return e
    raise AssertionError(f"{fn.__name__}: want {code}, got success")


def finished(arn):
    for _ in range(2000):
        d = sfn.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING":
            return d
        time.sleep(0.005)
    raise AssertionError(f"{arn} still running")


# 1. paging, maxResults, a malformed body, logging/tracing, wording
arns = [sfn.create_state_machine(name=f"m{i}", definition=PASS, roleArn=ROLE)["stateMachineArn"] for i in range(3)]
pages = list(sfn.get_paginator("list_state_machines").paginate(PaginationConfig={"PageSize": 2}))
assert len(pages) == 2 and [m["stateMachineArn"] for p in pages for m in p["stateMachines"]] == arns, pages
expect_error(sfn.list_state_machines, "ValidationException",
             "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000",
             maxResults=1001)
req = urllib.request.Request(ENDPOINT, data=b"{not json", method="POST",
                             headers={"X-Amz-Target": "AWSStepFunctions.ListStateMachines", "Content-Type": "application/x-amz-json-1.0"})
try:
    urllib.request.urlopen(req)
    raise AssertionError("malformed body: want 400")
except urllib.error.HTTPError as e:
    assert e.code == 400 and json.loads(e.read())["__type"] == "SerializationException", e.code
d = sfn.describe_state_machine(stateMachineArn=arns[0])
assert d["loggingConfiguration"] == {"level": "OFF", "includeExecutionData": False}, d["loggingConfiguration"]
assert d["tracingConfiguration"] == {"enabled": False}, d["tracingConfiguration"]
expect_error(sfn.send_task_success, "InvalidToken", "Invalid Token: 'Invalid token'", taskToken="NoSuchTaskToken", output="{}")
expect_error(sfn.describe_execution, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: nope'", executionArn="nope")
expect_error(sfn.create_state_machine, "InvalidDefinition",
             "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /'",
             name="bad", definition='{"StartAt":"A"}', roleArn=ROLE)
e = expect_error(sfn.start_execution, "InvalidExecutionInput", stateMachineArn=arns[0], input="not json")
assert e.response["Error"]["Message"].startswith("Invalid State Machine Execution Input: '"), e.response

# 2. delete, describe for execution, validate, tags
x = sfn.start_execution(stateMachineArn=arns[1])["executionArn"]
finished(x)
f = sfn.describe_state_machine_for_execution(executionArn=x)
assert f["stateMachineArn"] == arns[1] and f["definition"] == PASS and f["roleArn"] == ROLE and "updateDate" in f, f
sfn.delete_state_machine(stateMachineArn=arns[2])
expect_error(sfn.describe_state_machine, "StateMachineDoesNotExist", stateMachineArn=arns[2])
sfn.delete_state_machine(stateMachineArn=arns[2])
v = sfn.validate_state_machine_definition(definition="{}")
assert v["result"] == "FAIL" and v["diagnostics"][0]["message"] == "These fields are required: [States, StartAt]", v
assert sfn.validate_state_machine_definition(definition=PASS)["result"] == "OK"
t = sfn.create_state_machine(name="tagged", definition=PASS, roleArn=ROLE, tags=[{"key": "a", "value": "1"}])["stateMachineArn"]
sfn.tag_resource(resourceArn=t, tags=[{"key": "b", "value": "2"}])
sfn.untag_resource(resourceArn=t, tagKeys=["a"])
assert sfn.list_tags_for_resource(resourceArn=t)["tags"] == [{"key": "b", "value": "2"}]

# 3. redrive
fm = sfn.create_state_machine(name="fails", definition=FAIL, roleArn=ROLE)["stateMachineArn"]
fx = sfn.start_execution(stateMachineArn=fm)["executionArn"]
d = finished(fx)
assert d["status"] == "FAILED" and d["redriveStatus"] == "REDRIVABLE" and d["redriveCount"] == 0, d
assert "redriveDate" in sfn.redrive_execution(executionArn=fx)
d = finished(fx)
assert d["redriveCount"] == 1 and "redriveDate" in d, d
events = [e["type"] for e in sfn.get_execution_history(executionArn=fx)["events"]]
assert "ExecutionRedriven" in events, events
expect_error(sfn.redrive_execution, "ExecutionNotRedrivable", executionArn=x)

# 6. every served operation is in boto3's model
served = set(os.environ["OPERATIONS"].split(","))
model = set(sfn.meta.service_model.operation_names)
assert served <= model, served - model
print(json.dumps({"ok": True, "unserved": sorted(model - served)}))
