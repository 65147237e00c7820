package fidelity

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// botoCase is a case checked through boto3, whose parsing differs from the
// Go SDK's: timestamps, error codes read from x-amzn-query-error, the query
// protocol's XML. py is the body of a Python function that raises on a
// mismatch; the harness (botoHarness) gives it client, want, want_error and
// uniq.
type botoCase struct {
	name, fact, py string
}

// botoHarness is the Python around the cases: clients pointed at the stack,
// and helpers that raise Mismatch with expected and got.
const botoHarness = `
import datetime, json, re, sys, time, traceback
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT, REGION, RUN = sys.argv[1], sys.argv[2], sys.argv[3]
_seq = [0]

class Mismatch(Exception):
    pass

def client(name):
    return boto3.client(name, endpoint_url=ENDPOINT, region_name=REGION, aws_access_key_id="fidelity",
                        aws_secret_access_key="fidelity", config=Config(retries={"max_attempts": 1, "mode": "standard"}))

def uniq(prefix):
    _seq[0] += 1
    return "fid-%s-%s-py%d" % (prefix, RUN, _seq[0])

def want(field, expected, got):
    if expected != got:
        raise Mismatch("%s: want %r, got %r" % (field, expected, got))

def want_error(fn, code, message=None):
    try:
        fn()
    except ClientError as e:
        err = e.response.get("Error", {})
        want("error code", code, err.get("Code"))
        if message is not None:
            want("error message", message, err.get("Message"))
        return
    raise Mismatch("want error %s, got success" % code)

def recent(field, value):
    if not isinstance(value, datetime.datetime):
        raise Mismatch("%s: want a timestamp, got %r" % (field, value))
    now = datetime.datetime.now(datetime.timezone.utc)
    if abs((now - value).total_seconds()) > 3600:
        raise Mismatch("%s: want about now (%s), got %s" % (field, now.isoformat(), value.isoformat()))

CASES = {}
`

const botoRunner = `
results = {}
for name, fn in CASES.items():
    try:
        fn()
        results[name] = None
    except Mismatch as e:
        results[name] = str(e)
    except Exception as e:
        results[name] = "%s: %s" % (type(e).__name__, e)
print("FIDELITY-RESULTS " + json.dumps(results))
`

func boto3Cases() []botoCase {
	return append(boto3ActivityCases(), []botoCase{
		{
			name: "boto3/sqs/GetQueueAttributesDefaults",
			fact: "through boto3 (AWS JSON protocol): a new queue's MaximumMessageSize is 1048576 and SqsManagedSseEnabled true (" + lsSQS + ", test_set_queue_attributes_default_values)",
			py: `sqs = client("sqs")
url = sqs.create_queue(QueueName=uniq("q"))["QueueUrl"]
attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
want("MaximumMessageSize", "1048576", attrs.get("MaximumMessageSize"))
want("SqsManagedSseEnabled", "true", attrs.get("SqsManagedSseEnabled"))`,
		},
		{
			name: "boto3/sqs/NonExistentQueueCodeComesFromTheQueryErrorHeader",
			fact: "boto3 reads SQS error codes from x-amzn-query-error: GetQueueUrl of an unknown queue fails AWS.SimpleQueueService.NonExistentQueue 'The specified queue does not exist.' (" + lsSQS + ", test_non_existent_queue)",
			py: `sqs = client("sqs")
want_error(lambda: sqs.get_queue_url(QueueName=uniq("missing")), "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")`,
		},
		{
			name: "boto3/sqs/ReceiveMessageMD5OfBody",
			fact: "through boto3, a received message carries MD5OfBody, the hex MD5 of its body (LocalStack test_send_receive_message, AWS-validated)",
			py: `sqs = client("sqs")
url = sqs.create_queue(QueueName=uniq("q"))["QueueUrl"]
sent = sqs.send_message(QueueUrl=url, MessageBody="message")
want("MD5OfMessageBody", "78e731027d8fd50ed642340b7c9a63b3", sent.get("MD5OfMessageBody"))
msgs = []
deadline = time.time() + 10
while not msgs and time.time() < deadline:
    msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
want("messages received", 1, len(msgs))
want("MD5OfBody", "78e731027d8fd50ed642340b7c9a63b3", msgs[0].get("MD5OfBody"))`,
		},
		{
			name: "boto3/dynamodb/CreateTableReturnsTableDescription",
			fact: "through boto3, CreateTable returns TableDescription with TableName, TableArn and CreationDateTime (epoch seconds, parsed to a timestamp of now) (" + lsDDB + ", test_table_crud)",
			py: `ddb = client("dynamodb")
name = uniq("t")
d = ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}]).get("TableDescription")
if d is None:
    raise Mismatch("TableDescription: want present, got absent")
want("TableName", name, d.get("TableName"))
want("TableArn", "arn:aws:dynamodb:%s:000000000000:table/%s" % (REGION, name), d.get("TableArn"))
recent("CreationDateTime", d.get("CreationDateTime"))`,
		},
		{
			name: "boto3/dynamodb/ConditionalCheckFailedException",
			fact: "through boto3, a failed condition is ConditionalCheckFailedException 'The conditional request failed' (" + lsDDB + ", test_return_values_on_conditions_check_failure)",
			py: `ddb = client("dynamodb")
name = uniq("t")
ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                 KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
ddb.put_item(TableName=name, Item={"pk": {"S": "k"}})
want_error(lambda: ddb.put_item(TableName=name, Item={"pk": {"S": "k"}}, ConditionExpression="attribute_not_exists(pk)"),
           "ConditionalCheckFailedException", "The conditional request failed")`,
		},
		{
			name: "boto3/sfn/CreationAndStartDatesAreTimestamps",
			fact: "through boto3, Step Functions' creationDate and startDate (epoch seconds) parse to timestamps of now (API reference, CreateStateMachine, StartExecution)",
			py: `sfn = client("stepfunctions")
created = sfn.create_state_machine(name=uniq("sm"), roleArn="arn:aws:iam::000000000000:role/fidelity-sfn",
    definition='{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}')
recent("creationDate", created.get("creationDate"))
started = sfn.start_execution(stateMachineArn=created["stateMachineArn"])
recent("startDate", started.get("startDate"))
recent("describe_state_machine creationDate", sfn.describe_state_machine(stateMachineArn=created["stateMachineArn"]).get("creationDate"))`,
		},
		{
			name: "boto3/sfn/StateMachineDoesNotExist",
			fact: "through boto3, DescribeStateMachine of an unknown machine fails StateMachineDoesNotExist \"State Machine Does Not Exist: '<arn>'\" (" + lsSFN + ", test_describe_nonexistent_sm)",
			py: `sfn = client("stepfunctions")
arn = "arn:aws:states:%s:000000000000:stateMachine:%s" % (REGION, uniq("missing"))
want_error(lambda: sfn.describe_state_machine(stateMachineArn=arn), "StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'" % arn)`,
		},
		{
			name: "boto3/events/PutEventsWithDatetimeTime",
			fact: "through boto3, PutEvents with Time given as a datetime (sent as epoch seconds) is accepted with FailedEntryCount 0 and an EventId (" + lsEvents + ", test_put_events_time)",
			py: `ev = client("events")
out = ev.put_events(Entries=[{"Source": "fidelity.boto3", "DetailType": "t", "Detail": "{}",
                              "Time": datetime.datetime(2022, 1, 1, tzinfo=datetime.timezone.utc)}])
want("FailedEntryCount", 0, out.get("FailedEntryCount"))
want("EventId present", True, bool(out["Entries"][0].get("EventId")))`,
		},
		{
			name: "boto3/events/ListEventBusesTimesAreTimestamps",
			fact: "through boto3, ListEventBuses' CreationTime and LastModifiedTime parse to timestamps of now (" + lsEvents + ", test_create_list_describe_delete_custom_event_buses)",
			py: `ev = client("events")
name = uniq("bus")
ev.create_event_bus(Name=name)
buses = ev.list_event_buses(NamePrefix=name)["EventBuses"]
want("buses with the prefix", 1, len(buses))
recent("CreationTime", buses[0].get("CreationTime"))
recent("LastModifiedTime", buses[0].get("LastModifiedTime"))`,
		},
		{
			name: "boto3/sns/CreateTopicPublishAndAttributesOverTheQueryProtocol",
			fact: "through boto3 (query protocol, XML answers): CreateTopic returns TopicArn, Publish a MessageId, GetTopicAttributes Owner the account (" + lsSNS + ", test_create_topic_different_attrs)",
			py: `sns = client("sns")
name = uniq("topic")
arn = sns.create_topic(Name=name)["TopicArn"]
want("TopicArn", "arn:aws:sns:%s:000000000000:%s" % (REGION, name), arn)
want("MessageId present", True, bool(sns.publish(TopicArn=arn, Message="hello").get("MessageId")))
want("Owner", "000000000000", sns.get_topic_attributes(TopicArn=arn)["Attributes"].get("Owner"))`,
		},
		{
			name: "boto3/sns/NotFoundErrorInXML",
			fact: "through boto3, GetTopicAttributes of an unknown topic fails NotFound 'Topic does not exist' in the query protocol's XML error (" + lsSNS + ", test_create_topic_with_attributes)",
			py: `sns = client("sns")
arn = "arn:aws:sns:%s:000000000000:%s" % (REGION, uniq("missing"))
want_error(lambda: sns.get_topic_attributes(TopicArn=arn), "NotFound", "Topic does not exist")`,
		},
		{
			name: "boto3/sfn/ListExecutionsRedriveFieldsAndFilter",
			fact: "through boto3, ListExecutions items carry redriveCount (0 until redriven) and, once redriven, redriveDate as a timestamp; redriveFilter REDRIVEN lists only those (" + lsSFN + ", test_start_execution exec_list_resp; API reference, ListExecutions redriveFilter)",
			py: `sfn = client("stepfunctions")
arn = sfn.create_state_machine(name=uniq("sm"), roleArn="arn:aws:iam::000000000000:role/fidelity-sfn",
    definition='{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E"}}}')["stateMachineArn"]
ex = [sfn.start_execution(stateMachineArn=arn)["executionArn"] for _ in range(2)]
def ended(x):
    deadline = time.time() + 30
    while sfn.describe_execution(executionArn=x)["status"] == "RUNNING":
        if time.time() > deadline:
            raise Mismatch("execution %s still RUNNING" % x)
        time.sleep(0.05)
for x in ex:
    ended(x)
items = {i["executionArn"]: i for i in sfn.list_executions(stateMachineArn=arn)["executions"]}
want("redriveCount before any redrive", [0, 0], [items[x].get("redriveCount") for x in ex])
sfn.redrive_execution(executionArn=ex[0])
ended(ex[0])
redriven = sfn.list_executions(stateMachineArn=arn, redriveFilter="REDRIVEN")["executions"]
want("REDRIVEN executions", [ex[0]], [i["executionArn"] for i in redriven])
want("redriveCount", 1, redriven[0].get("redriveCount"))
recent("redriveDate", redriven[0].get("redriveDate"))
want("NOT_REDRIVEN executions", [ex[1]], [i["executionArn"] for i in sfn.list_executions(stateMachineArn=arn, redriveFilter="NOT_REDRIVEN")["executions"]])`,
		},
		{
			name: "boto3/sfn/TestStateInspectionDataAndNextState",
			fact: "through boto3 (client with inject_host_prefix=False, as TestState's endpoint hostPrefix 'sync-' cannot resolve locally): TestState of a Pass state at DEBUG answers status SUCCEEDED, nextState, output and inspectionData afterInputPath/afterParameters/afterResultPath as JSON strings; a Task without roleArn fails ValidationException 'RoleArn must be specified when testing a Task state' (" + lsTestState + ", test_base_inspection_level_debug, test_base_lambda_service_task_state_no_role_arn_validation)",
			py: `sfn = boto3.client("stepfunctions", endpoint_url=ENDPOINT, region_name=REGION, aws_access_key_id="fidelity", aws_secret_access_key="fidelity",
                   config=Config(inject_host_prefix=False, retries={"max_attempts": 1, "mode": "standard"}))
data = {"initialData": {"fieldFromInput": "value from input", "otherField": "other"}, "unrelatedData": {"someOtherField": 1234}}
out = sfn.test_state(definition=json.dumps({"Type": "Pass", "InputPath": "$.initialData", "Parameters": {"staticValue": "some value", "inputValue.$": "$.fieldFromInput"},
                                            "ResultPath": "$.modifiedData", "Next": "After"}), input=json.dumps(data), inspectionLevel="DEBUG")
params = {"staticValue": "some value", "inputValue": "value from input"}
want("status", "SUCCEEDED", out.get("status"))
want("nextState", "After", out.get("nextState"))
want("output", dict(data, modifiedData=params), json.loads(out.get("output", "null")))
ins = out.get("inspectionData", {})
want("afterInputPath", data["initialData"], json.loads(ins.get("afterInputPath", "null")))
want("afterParameters", params, json.loads(ins.get("afterParameters", "null")))
want("afterResultPath", dict(data, modifiedData=params), json.loads(ins.get("afterResultPath", "null")))
want_error(lambda: sfn.test_state(definition=json.dumps({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "End": True})),
           "ValidationException", "RoleArn must be specified when testing a Task state")`,
		},
		{
			name: "boto3/sts/GetCallerIdentityXML",
			fact: "through boto3 (query protocol, XML answer), GetCallerIdentity returns Account (12 digits), Arn and UserId (API reference, GetCallerIdentity)",
			py: `out = client("sts").get_caller_identity()
want("Account is 12 digits", True, bool(re.fullmatch(r"\d{12}", out.get("Account") or "")))
want("Arn names the account", True, (out.get("Arn") or "").startswith("arn:aws:") and (":%s:" % out.get("Account")) in out.get("Arn", ""))
want("UserId present", True, bool(out.get("UserId")))`,
		},
	}...)
}

func boto3CaseNames() []string {
	var out []string
	for _, c := range boto3Cases() {
		out = append(out, c.name)
	}
	return out
}

// botoScript is the harness, one function per case, and the runner.
func botoScript(cases []botoCase) string {
	var b strings.Builder
	b.WriteString(botoHarness)
	for i, c := range cases {
		fmt.Fprintf(&b, "\ndef case_%d():\n", i)
		for _, line := range strings.Split(c.py, "\n") {
			b.WriteString("    " + line + "\n")
		}
		fmt.Fprintf(&b, "CASES[%q] = case_%d\n", c.name, i)
	}
	b.WriteString(botoRunner)
	return b.String()
}

// TestFidelityBoto3 runs the boto3 cases against the same stack, in one
// python3 process, and holds them to known-gaps.txt as TestFidelity does. It
// skips when python3 or boto3 is missing.
func TestFidelityBoto3(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	if out, err := exec.Command(python, "-c", "import boto3").CombinedOutput(); err != nil {
		t.Skipf("boto3 is not installed: %s", strings.TrimSpace(string(out)))
	}
	gaps := knownGaps(t)
	e := stackEnv(t)
	cases := boto3Cases()
	script := filepath.Join(t.TempDir(), "fidelity_boto3.py")
	if err := os.WriteFile(script, []byte(botoScript(cases)), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script, e.endpoint, e.region, e.run+"b")
	// Only the endpoint and credentials given in the script: no profile,
	// config file or instance metadata of the machine running the test.
	cmd.Env = append(os.Environ(), "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true")
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("python3 %s: %v\n%s%s", script, err, out, stderr)
	}
	results := map[string]*string{}
	found := false
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "FIDELITY-RESULTS "); ok {
			if err := json.Unmarshal([]byte(rest), &results); err != nil {
				t.Fatalf("the boto3 results: %v\n%s", err, rest)
			}
			found = true
		}
	}
	if !found {
		t.Fatalf("python3 printed no results:\n%s", out)
	}
	var fcases []fcase
	for _, c := range cases {
		res, ok := results[c.name]
		fcases = append(fcases, fcase{name: c.name, fact: c.fact, check: func(context.Context, *env) error {
			switch {
			case !ok:
				return fmt.Errorf("the boto3 run reported nothing for this case")
			case res != nil:
				return fmt.Errorf("%s", *res)
			}
			return nil
		}})
	}
	runCases(t, "boto3", fcases, gaps, stackEnv)
}
