// A short flow per service through the AWS SDK for JavaScript v3, against
// the local stack. Usage: node jsclient_smoke.cjs ENDPOINT REGION RUN ROLE_ARN
// It prints one line, "JSCLIENT-RESULTS <json>": what each step observed,
// or the error it met; jsclient_test.go holds the observations to AWS's
// answers.
"use strict";

const sqs = require("@aws-sdk/client-sqs");
const evb = require("@aws-sdk/client-eventbridge");
const ddb = require("@aws-sdk/client-dynamodb");
const sfn = require("@aws-sdk/client-sfn");

const [endpoint, region, run, roleArn] = process.argv.slice(2);
const config = {
  endpoint,
  region,
  credentials: { accessKeyId: "fidelity", secretAccessKey: "fidelity" },
  maxAttempts: 1,
};
const name = (prefix) => `fid-${prefix}-${run}-js`;

// errorOf runs fn, which must fail, and returns the SDK's reading of the error.
async function errorOf(fn) {
  try {
    await fn();
  } catch (e) {
    return { name: e.name, message: e.message, status: e.$metadata && e.$metadata.httpStatusCode };
  }
  return { name: "none" };
}

async function receiveOne(client, QueueUrl) {
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    const out = await client.send(new sqs.ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 1 }));
    if (out.Messages && out.Messages.length > 0) return out.Messages[0];
  }
  throw new Error(`no message on ${QueueUrl} within 20s`);
}

async function finished(client, executionArn) {
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    const out = await client.send(new sfn.DescribeExecutionCommand({ executionArn }));
    if (out.status !== "RUNNING") return out;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`execution ${executionArn} still RUNNING after 30s`);
}

async function sqsFlow() {
  const c = new sqs.SQSClient(config);
  const { QueueUrl } = await c.send(new sqs.CreateQueueCommand({ QueueName: name("q") }));
  const sent = await c.send(new sqs.SendMessageCommand({ QueueUrl, MessageBody: "hello from js",
    MessageAttributes: { kind: { DataType: "String", StringValue: "smoke" } } }));
  const got = await c.send(new sqs.ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 2, MessageAttributeNames: ["All"] }));
  const m = (got.Messages || [])[0] || {};
  await c.send(new sqs.DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
  const attrs = await c.send(new sqs.GetQueueAttributesCommand({ QueueUrl,
    AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }));
  const missing = await errorOf(() => c.send(new sqs.GetQueueUrlCommand({ QueueName: name("no-such-queue") })));
  return {
    queueUrlEndsWithName: QueueUrl.endsWith("/" + name("q")),
    sentMD5: sent.MD5OfMessageBody,
    received: (got.Messages || []).length,
    body: m.Body,
    attribute: m.MessageAttributes && m.MessageAttributes.kind && m.MessageAttributes.kind.StringValue,
    afterDelete: Number(attrs.Attributes.ApproximateNumberOfMessages) + Number(attrs.Attributes.ApproximateNumberOfMessagesNotVisible),
    missingQueue: missing,
  };
}

async function eventsFlow() {
  const c = new evb.EventBridgeClient(config);
  const put = await c.send(new evb.PutEventsCommand({ Entries: [
    { Source: "loanflow.js", DetailType: "Smoke", Detail: JSON.stringify({ n: 1 }) },
    { Source: "loanflow.js", DetailType: "Smoke", Detail: "not json" },
  ] }));
  const rule = name("rule");
  await c.send(new evb.PutRuleCommand({ Name: rule, EventPattern: JSON.stringify({ source: ["loanflow.js"] }) }));
  const rules = await c.send(new evb.ListRulesCommand({ NamePrefix: rule }));
  return {
    failedEntryCount: put.FailedEntryCount,
    firstHasEventId: Boolean(put.Entries[0].EventId),
    secondErrorCode: put.Entries[1].ErrorCode,
    rules: (rules.Rules || []).map((r) => r.Name),
    ruleName: rule,
    ruleState: ((rules.Rules || [])[0] || {}).State,
  };
}

async function dynamodbFlow() {
  const c = new ddb.DynamoDBClient(config);
  const TableName = name("t");
  const created = await c.send(new ddb.CreateTableCommand({ TableName, BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }, { AttributeName: "sk", AttributeType: "N" }],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, { AttributeName: "sk", KeyType: "RANGE" }] }));
  const waited = await ddb.waitUntilTableExists({ client: c, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName });
  for (const sk of ["1", "2", "3"]) {
    await c.send(new ddb.PutItemCommand({ TableName, Item: { pk: { S: "loan-1" }, sk: { N: sk }, status: { S: "PENDING" } } }));
  }
  const got = await c.send(new ddb.GetItemCommand({ TableName, Key: { pk: { S: "loan-1" }, sk: { N: "2" } } }));
  const q = await c.send(new ddb.QueryCommand({ TableName, KeyConditionExpression: "pk = :p AND sk >= :s",
    ExpressionAttributeValues: { ":p": { S: "loan-1" }, ":s": { N: "2" } } }));
  const conditional = await errorOf(() => c.send(new ddb.PutItemCommand({ TableName, Item: { pk: { S: "loan-1" }, sk: { N: "1" } },
    ConditionExpression: "attribute_not_exists(pk)" })));
  const missing = await errorOf(() => c.send(new ddb.GetItemCommand({ TableName: name("no-such-table"), Key: { pk: { S: "x" } } })));
  return {
    createdStatus: created.TableDescription.TableStatus,
    waiterState: waited.state,
    itemStatus: got.Item && got.Item.status && got.Item.status.S,
    querySortKeys: (q.Items || []).map((it) => it.sk.N),
    conditional,
    missingTable: missing,
  };
}

async function sfnFlow() {
  const c = new sfn.SFNClient(config);
  const q = new sqs.SQSClient(config);
  const { QueueUrl } = await q.send(new sqs.CreateQueueCommand({ QueueName: name("tokens") }));
  const definition = JSON.stringify({
    StartAt: "Ask",
    States: { Ask: { Type: "Task", Resource: "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
      Parameters: { QueueUrl, MessageBody: { "token.$": "$$.Task.Token", "loan.$": "$.loan" } }, End: true } },
  });
  const sm = await c.send(new sfn.CreateStateMachineCommand({ name: name("sm"), definition, roleArn }));

  const ok = await c.send(new sfn.StartExecutionCommand({ stateMachineArn: sm.stateMachineArn, input: JSON.stringify({ loan: "L-1" }) }));
  const ask1 = JSON.parse((await receiveOne(q, QueueUrl)).Body);
  const waiting = await c.send(new sfn.DescribeExecutionCommand({ executionArn: ok.executionArn }));
  await c.send(new sfn.SendTaskSuccessCommand({ taskToken: ask1.token, output: JSON.stringify({ value: 250000 }) }));
  const succeeded = await finished(c, ok.executionArn);

  const bad = await c.send(new sfn.StartExecutionCommand({ stateMachineArn: sm.stateMachineArn, input: JSON.stringify({ loan: "L-2" }) }));
  const ask2 = JSON.parse((await receiveOne(q, QueueUrl)).Body);
  await c.send(new sfn.SendTaskFailureCommand({ taskToken: ask2.token, error: "ValuationFailed", cause: "no comparable sales" }));
  const failed = await finished(c, bad.executionArn);

  const invalid = await errorOf(() => c.send(new sfn.SendTaskSuccessCommand({ taskToken: "not-a-token", output: "{}" })));
  const missing = await errorOf(() => c.send(new sfn.DescribeStateMachineCommand({
    stateMachineArn: sm.stateMachineArn.replace(/:stateMachine:.*/, ":stateMachine:" + name("no-such-sm")) })));
  return {
    loanInMessage: ask1.loan,
    statusWhileWaiting: waiting.status,
    succeeded: { status: succeeded.status, output: succeeded.output },
    failed: { status: failed.status, error: failed.error, cause: failed.cause },
    invalidToken: invalid,
    missingStateMachine: missing,
  };
}

async function main() {
  const results = {};
  for (const [service, flow] of Object.entries({ sqs: sqsFlow, events: eventsFlow, dynamodb: dynamodbFlow, sfn: sfnFlow })) {
    try {
      results[service] = await flow();
    } catch (e) {
      results[service] = { failed: `${e.name}: ${e.message}` };
    }
  }
  process.stdout.write("JSCLIENT-RESULTS " + JSON.stringify(results) + "\n");
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + "\n");
  process.exit(1);
});
