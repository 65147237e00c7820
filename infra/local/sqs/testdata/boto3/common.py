"""Shared by the boto3 scripts that boto3_test.go runs against a local SQS.

ENDPOINT is the server; POST {ENDPOINT}/_clock?advance=<seconds> moves the
broker's fake clock. A failed check raises AssertionError with its reason;
the Go test prints it.
"""
import json
import os
import sys
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["ENDPOINT"]

sqs = boto3.client(
    "sqs",
    endpoint_url=ENDPOINT,
    region_name="us-east-1",
    aws_access_key_id="x",
    aws_secret_access_key="x",
    config=Config(retries={"max_attempts": 1}),
)


def advance(seconds):
    """Moves the broker's clock forward."""
    req = urllib.request.Request(f"{ENDPOINT}/_clock?advance={seconds}", method="POST")
    with urllib.request.urlopen(req) as resp:
        assert resp.status == 200, resp.status


def expect_error(fn, code, message=None, status=None, query_error=None, **kwargs):
    """Calls fn(**kwargs) and checks the ClientError it must raise."""
    try:
        fn(**kwargs)
    except ClientError as e:
        err = e.response["Error"]
        assert err["Code"] == code, f"{fn.__name__}: code {err['Code']!r}, want {code!r} ({err})"
        if message is not None:
            assert err.get("Message", "").startswith(message), f"{fn.__name__}: message {err.get('Message')!r}, want {message!r}"
        if status is not None:
            got = e.response["ResponseMetadata"]["HTTPStatusCode"]
            assert got == status, f"{fn.__name__}: HTTP {got}, want {status}"
        if query_error is not None:
            assert err.get("QueryErrorCode") == query_error, f"{fn.__name__}: QueryErrorCode {err.get('QueryErrorCode')!r}, want {query_error!r}"
        return e.response
    raise AssertionError(f"{fn.__name__}({kwargs}) succeeded; want {code}")


def bodies(resp):
    return [m["Body"] for m in resp.get("Messages", [])]


def done(**summary):
    """Prints the script's summary as the last line of its output."""
    print(json.dumps(summary))
    sys.stdout.flush()
