package local

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"loanflow/consumers/tokenstore"
)

// createTokenTable creates the token table (partition key callbackId, TTL on
// expiresAt) through the DynamoDB protocol, as CloudFormation would: it
// waits until the table is ACTIVE, as CloudFormation does before it
// reports the table created. An existing table is kept.
func (s *Stack) createTokenTable(ctx context.Context) error {
	ddb := dynamodb.NewFromConfig(s.awsConfig("http://" + s.listener.Addr().String()))
	_, err := ddb.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(TableName),
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String(tokenstore.AttrCallbackID), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String(tokenstore.AttrCallbackID), KeyType: ddbtypes.KeyTypeHash}},
	})
	var inUse *ddbtypes.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", TableName, err)
	}
	active := dynamodb.NewTableExistsWaiter(ddb, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 100*time.Millisecond
	})
	if err := active.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(TableName)}, time.Minute); err != nil {
		return fmt.Errorf("wait for table %s: %w", TableName, err)
	}
	if _, err := ddb.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(TableName),
		TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String(tokenstore.AttrExpiresAt), Enabled: aws.Bool(true)}}); err != nil {
		var ve interface{ ErrorMessage() string }
		if !errors.As(err, &ve) || !strings.Contains(ve.ErrorMessage(), "already") {
			return fmt.Errorf("enable TTL on %s: %w", TableName, err)
		}
	}
	return nil
}
