package local

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"loanflow/infra/config"
	"loanflow/infra/local/audit"
)

// With a recorder, the stack records who made each AWS call, its IAM
// action and the ARN it acts on: the caller is the access key id that
// signed the request, the resource comes from the request.
func TestStackRecordsCallsByPrincipal(t *testing.T) {
	rec := audit.New()
	s := startStack(t, Options{StateDir: t.TempDir(), Audit: rec})
	who := audit.Function("probe")
	cfg := aws.Config{Region: s.Region, BaseEndpoint: aws.String(s.Outputs.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(audit.AccessKeyID(who), "x", "")}
	ctx := context.Background()
	if _, err := sqs.NewFromConfig(cfg).SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(s.Outputs.DLQURL), MessageBody: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := dynamodb.NewFromConfig(cfg).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(TableName),
		Key: map[string]ddbtypes.AttributeValue{"callbackId": &ddbtypes.AttributeValueMemberS{Value: "nope"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.Config.Signature.SecretName)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(config.AllowedCallbackParameter)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eventbridge.NewFromConfig(cfg).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{EventBusName: aws.String(s.Outputs.EventBusName), Source: aws.String("probe"), DetailType: aws.String("Probe"), Detail: aws.String("{}")}}}); err != nil {
		t.Fatal(err)
	}
	secretARN, _ := s.Secrets.ARNOf(s.Config.Signature.SecretName)
	for _, want := range []audit.Call{
		{Principal: who, Action: "sqs:SendMessage", Resource: "arn:aws:sqs:" + s.Region + ":000000000000:" + DLQName},
		{Principal: who, Action: "dynamodb:GetItem", Resource: "arn:aws:dynamodb:" + s.Region + ":000000000000:table/" + TableName},
		{Principal: who, Action: "secretsmanager:GetSecretValue", Resource: secretARN},
		{Principal: who, Action: "ssm:GetParameter", Resource: "arn:aws:ssm:" + s.Region + ":000000000000:parameter" + config.AllowedCallbackParameter},
		{Principal: who, Action: "events:PutEvents", Resource: s.Bus.BusARN(s.Outputs.EventBusName)},
	} {
		found := false
		for _, c := range rec.Calls() {
			if c.Call == want {
				found = true
			}
		}
		if !found {
			t.Errorf("not recorded: %+v; recorded: %+v", want, rec.Calls())
		}
	}
	// As Secrets Manager names them: the name, a hyphen and six characters.
	if rest, ok := strings.CutPrefix(secretARN, "arn:aws:secretsmanager:"+s.Region+":000000000000:secret:"+s.Config.Signature.SecretName+"-"); !ok || len(rest) != 6 {
		t.Errorf("secret ARN %s", secretARN)
	}
	if s.Audit() != rec {
		t.Error("Audit() is not the recorder")
	}
}
