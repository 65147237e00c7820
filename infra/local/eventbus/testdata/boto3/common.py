"""Shared by the boto3 scripts that boto3_test.go runs against a local
EventBridge.

ENDPOINT is the server. Against a bus alone (not the whole stack), POST
{ENDPOINT}/_clock?advance=<seconds> moves the bus's fake clock and GET
{ENDPOINT}/_delivered?arn=<target ARN> lists what the fake targets
received. A failed check raises AssertionError with its reason; the Go test
prints it.
"""
import json
import os
import sys
import time
import urllib.parse
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["ENDPOINT"]
REGION = os.environ.get("REGION", "us-east-1")
ACCOUNT = "000000000000"


def client(name):
    return boto3.client(
        name,
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}),
    )


events = client("events")


def arn(kind, name):
    """An EventBridge ARN of this account and region."""
    return f"arn:aws:events:{REGION}:{ACCOUNT}:{kind}/{name}"


def queue_arn(name):
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def advance(seconds):
    """Moves the bus's clock forward and lets its scheduler run."""
    req = urllib.request.Request(f"{ENDPOINT}/_clock?advance={seconds}", method="POST")
    with urllib.request.urlopen(req) as resp:
        assert resp.status == 200, resp.status


def delivered(target_arn, want=None, timeout=10):
    """What a fake target received; with want, waits until it has that many."""
    deadline = time.time() + timeout
    while True:
        with urllib.request.urlopen(f"{ENDPOINT}/_delivered?arn={urllib.parse.quote(target_arn)}") as resp:
            got = json.loads(resp.read())
        if want is None or len(got) >= want or time.time() > deadline:
            return got
        time.sleep(0.02)


def expect_error(fn, code, message=None, **kwargs):
    """Calls fn(**kwargs) and checks the ClientError it must raise."""
    try:
        fn(**kwargs)
    except ClientError as e:
        err = e.response["Error"]
        assert err["Code"] == code, f"{fn.__name__}: code {err['Code']!r}, want {code!r} ({err})"
        if message is not None:
            assert err.get("Message") == message, f"{fn.__name__}: message {err.get('Message')!r}, want {message!r}"
        return e.response
    raise AssertionError(f"{fn.__name__}({kwargs}) succeeded; want {code}")


def eq(what, want, got):
    assert want == got, f"{what}: got {got!r}, want {want!r}"


def done(**summary):
    """Prints the script's summary as the last line of its output."""
    print(json.dumps(summary))
    sys.stdout.flush()
