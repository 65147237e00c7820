package fidelity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"loanflow/infra/local/localtest"
)

// Sources the DynamoDB facts cite.
const (
	lsDDB    = "LocalStack test_dynamodb.snapshot.json (recorded against AWS)"
	dynalite = "dynalite's tests, run against DynamoDB"
	nubo     = "the nubo-db DynamoDB conformance suite, recorded against DynamoDB (2026)"
)

type item = map[string]ddbtypes.AttributeValue

func sv(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }
func nv(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberN{Value: v} }

// tableSpec is a table to create: a string partition key pk and, when sort
// is set, a string sort key sk, on demand, plus what mod adds.
type tableSpec struct {
	sort bool
	mod  func(*dynamodb.CreateTableInput)
}

func (e *env) createTableInput(name string, spec tableSpec) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
	}
	if spec.sort {
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{AttributeName: aws.String("sk"), AttributeType: ddbtypes.ScalarAttributeTypeS})
		in.KeySchema = append(in.KeySchema, ddbtypes.KeySchemaElement{AttributeName: aws.String("sk"), KeyType: ddbtypes.KeyTypeRange})
	}
	if spec.mod != nil {
		spec.mod(in)
	}
	return in
}

// newTable creates a table and waits until it and its indexes are ACTIVE, as
// a client must on AWS.
func (e *env) newTable(ctx context.Context, spec tableSpec) (string, error) {
	name := e.name("t")
	if _, err := e.ddb.CreateTable(ctx, e.createTableInput(name, spec)); err != nil {
		return "", fmt.Errorf("CreateTable %s: want success, got: %w", name, err)
	}
	return name, e.waitActive(ctx, name)
}

func (e *env) waitActive(ctx context.Context, name string) error {
	return localtest.Poll(ctx, 30*time.Second, pollEvery, "table "+name+" ACTIVE", func() (bool, error) {
		out, err := e.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			return true, noErr("DescribeTable", err)
		}
		if out.Table.TableStatus != ddbtypes.TableStatusActive {
			return false, fmt.Errorf("TableStatus %s", out.Table.TableStatus)
		}
		for _, g := range out.Table.GlobalSecondaryIndexes {
			if g.IndexStatus != ddbtypes.IndexStatusActive {
				return false, fmt.Errorf("index %s IndexStatus %s", str(g.IndexName), g.IndexStatus)
			}
		}
		return true, nil
	})
}

func (e *env) put(ctx context.Context, table string, it item) error {
	_, err := e.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: it})
	return noErr("PutItem", err)
}

// putMany puts items pk=p, sk=<each of sks>, with n=<index> as a number.
func (e *env) putMany(ctx context.Context, table, p string, sks ...string) error {
	for i, s := range sks {
		if err := e.put(ctx, table, item{"pk": sv(p), "sk": sv(s), "n": nv(strconv.Itoa(i))}); err != nil {
			return err
		}
	}
	return nil
}

// attrS returns a string attribute's value, "<absent>" or "<not S>".
func attrS(it item, name string) string {
	v, ok := it[name]
	if !ok {
		return "<absent>"
	}
	s, ok := v.(*ddbtypes.AttributeValueMemberS)
	if !ok {
		return fmt.Sprintf("<not S: %T>", v)
	}
	return s.Value
}

func attrN(it item, name string) string {
	v, ok := it[name]
	if !ok {
		return "<absent>"
	}
	n, ok := v.(*ddbtypes.AttributeValueMemberN)
	if !ok {
		return fmt.Sprintf("<not N: %T>", v)
	}
	return n.Value
}

// sks lists the sk values of items, in order.
func sks(items []item) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, attrS(it, "sk"))
	}
	return out
}

func capacity(c *ddbtypes.ConsumedCapacity) string {
	if c == nil {
		return "<nil ConsumedCapacity>"
	}
	if c.CapacityUnits == nil {
		return "<nil CapacityUnits>"
	}
	return strconv.FormatFloat(*c.CapacityUnits, 'f', -1, 64)
}

func dynamodbCases() []fcase {
	return []fcase{
		{
			name: "dynamodb/CreateTableReturnsTableDescription",
			fact: "CreateTable returns a TableDescription with TableName, KeySchema, AttributeDefinitions, TableArn arn:aws:dynamodb:<region>:<account>:table/<name>, TableId and CreationDateTime (" + lsDDB + ", test_table_crud)",
			check: func(ctx context.Context, e *env) error {
				name := e.name("t")
				out, err := e.ddb.CreateTable(ctx, e.createTableInput(name, tableSpec{}))
				if err != nil {
					return noErr("CreateTable", err)
				}
				d := out.TableDescription
				if d == nil {
					return fmt.Errorf("TableDescription: want present, got nil")
				}
				return first(eq("TableName", name, str(d.TableName)),
					eq("TableArn", "arn:aws:dynamodb:"+e.region+":"+e.account+":table/"+name, str(d.TableArn)),
					eq("TableId present", true, d.TableId != nil),
					eq("CreationDateTime present", true, d.CreationDateTime != nil),
					eq("len(KeySchema)", 1, len(d.KeySchema)),
					eq("len(AttributeDefinitions)", 1, len(d.AttributeDefinitions)))
			},
		},
		{
			name: "dynamodb/CreateTableStatusIsCreating",
			fact: "CreateTable returns TableStatus CREATING; DescribeTable reports ACTIVE once the table is ready (" + lsDDB + ", test_table_crud; API reference, CreateTable)",
			check: func(ctx context.Context, e *env) error {
				name := e.name("t")
				out, err := e.ddb.CreateTable(ctx, e.createTableInput(name, tableSpec{}))
				if err != nil {
					return noErr("CreateTable", err)
				}
				if err := eq("TableDescription.TableStatus", ddbtypes.TableStatusCreating, out.TableDescription.TableStatus); err != nil {
					return err
				}
				return e.waitActive(ctx, name)
			},
		},
		{
			name: "dynamodb/DescribeTableOfOnDemandTableHasBillingModeSummary",
			fact: "DescribeTable of a table created with BillingMode PAY_PER_REQUEST has BillingModeSummary.BillingMode PAY_PER_REQUEST (API reference, TableDescription)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				out, err := e.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
				if err != nil {
					return noErr("DescribeTable", err)
				}
				if out.Table.BillingModeSummary == nil {
					return fmt.Errorf("BillingModeSummary: want PAY_PER_REQUEST, got nil")
				}
				return eq("BillingModeSummary.BillingMode", ddbtypes.BillingModePayPerRequest, out.Table.BillingModeSummary.BillingMode)
			},
		},
		{
			name: "dynamodb/CreateTableThatExistsIsResourceInUse",
			fact: "CreateTable of an existing table fails ResourceInUseException 'Table already exists: <name>' (" + lsDDB + ", test_create_duplicate_table)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				_, err = e.ddb.CreateTable(ctx, e.createTableInput(name, tableSpec{}))
				return apiErr(err, "ResourceInUseException", "Table already exists: "+name)
			},
		},
		{
			name: "dynamodb/CreateTableOnDemandWithThroughputIsValidation",
			fact: "CreateTable with PAY_PER_REQUEST and ProvisionedThroughput fails ValidationException 'One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST' (" + lsDDB + ", test_dynamodb_pay_per_request)",
			check: func(ctx context.Context, e *env) error {
				_, err := e.ddb.CreateTable(ctx, e.createTableInput(e.name("t"), tableSpec{mod: func(in *dynamodb.CreateTableInput) {
					in.ProvisionedThroughput = &ddbtypes.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(5)}
				}}))
				return apiErr(err, "ValidationException",
					"One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
			},
		},
		{
			name: "dynamodb/CreateTableWithUnusedAttributeDefinitionIsValidation",
			fact: "CreateTable defining an attribute no key uses fails ValidationException 'One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions' (" + dynalite + ", createTable.js)",
			check: func(ctx context.Context, e *env) error {
				_, err := e.ddb.CreateTable(ctx, e.createTableInput(e.name("t"), tableSpec{mod: func(in *dynamodb.CreateTableInput) {
					in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{AttributeName: aws.String("extra"), AttributeType: ddbtypes.ScalarAttributeTypeS})
				}}))
				return apiErr(err, "ValidationException",
					"One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
			},
		},
		{
			name: "dynamodb/DescribeTableOfUnknownTableIsResourceNotFound",
			fact: "DescribeTable of a table that does not exist fails ResourceNotFoundException 'Requested resource not found: Table: <name> not found' (" + lsDDB + ", test_table_crud)",
			check: func(ctx context.Context, e *env) error {
				name := e.name("missing")
				_, err := e.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
				return apiErr(err, "ResourceNotFoundException", "Requested resource not found: Table: "+name+" not found")
			},
		},
		{
			name: "dynamodb/DeleteTableOfUnknownTableIsResourceNotFound",
			fact: "DeleteTable of a table that does not exist fails ResourceNotFoundException 'Requested resource not found: Table: <name> not found' (" + lsDDB + ", test_table_crud delete-non-existent-table)",
			check: func(ctx context.Context, e *env) error {
				name := e.name("missing")
				_, err := e.ddb.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
				return apiErr(err, "ResourceNotFoundException", "Requested resource not found: Table: "+name+" not found")
			},
		},
		{
			name: "dynamodb/GetItemOnUnknownTableIsResourceNotFound",
			fact: "an item operation on a table that does not exist fails ResourceNotFoundException 'Requested resource not found' (" + dynalite + ", getItem.js; " + lsDDB + ", test_batch_write_not_existing_table)",
			check: func(ctx context.Context, e *env) error {
				_, err := e.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(e.name("missing")), Key: item{"pk": sv("a")}})
				return apiErr(err, "ResourceNotFoundException", "Requested resource not found")
			},
		},
		{
			name: "dynamodb/PutGetRoundTripsEveryAttributeType",
			fact: "PutItem then GetItem returns every attribute type as written: S, N, B, BOOL, NULL, SS, NS, BS, L, M (developer guide, supported data types)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				in := item{"pk": sv("all"), "s": sv("text"), "n": nv("42"), "b": &ddbtypes.AttributeValueMemberB{Value: []byte{0, 1, 2}},
					"bool": &ddbtypes.AttributeValueMemberBOOL{Value: true}, "null": &ddbtypes.AttributeValueMemberNULL{Value: true},
					"ss": &ddbtypes.AttributeValueMemberSS{Value: []string{"a", "b"}}, "ns": &ddbtypes.AttributeValueMemberNS{Value: []string{"1", "2"}},
					"bs": &ddbtypes.AttributeValueMemberBS{Value: [][]byte{{1}, {2}}},
					"l":  &ddbtypes.AttributeValueMemberL{Value: []ddbtypes.AttributeValue{sv("x"), nv("1")}},
					"m":  &ddbtypes.AttributeValueMemberM{Value: item{"inner": sv("y")}}}
				if err := e.put(ctx, name, in); err != nil {
					return err
				}
				out, err := e.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: item{"pk": sv("all")}})
				if err != nil {
					return noErr("GetItem", err)
				}
				return deepEq("item", normalizeSets(in), normalizeSets(out.Item))
			},
		},
		{
			name: "dynamodb/PutItemWithoutKeyIsValidation",
			fact: "PutItem of an item without the partition key fails ValidationException 'One or more parameter values were invalid: Missing the key pk in the item' (" + dynalite + ", putItem.js)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				_, err = e.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: item{"other": sv("x")}})
				return apiErr(err, "ValidationException", "One or more parameter values were invalid: Missing the key pk in the item")
			},
		},
		{
			name: "dynamodb/PutItemKeyTypeMismatchIsValidation",
			fact: "PutItem whose key has the wrong type fails ValidationException 'One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N' (" + dynalite + ", putItem.js)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				_, err = e.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: item{"pk": nv("1")}})
				return apiErr(err, "ValidationException", "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N")
			},
		},
		{
			name: "dynamodb/PutItemEmptyStringKeyIsValidation",
			fact: "PutItem with an empty string key fails ValidationException 'One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk' (" + dynalite + ", putItem.js)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				_, err = e.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: item{"pk": sv("")}})
				return apiErr(err, "ValidationException",
					"One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk")
			},
		},
		{
			name: "dynamodb/GetItemWithKeyNotMatchingSchemaIsValidation",
			fact: "GetItem with a key missing the sort key fails ValidationException 'The provided key element does not match the schema' (" + dynalite + ", getItem.js; " + lsDDB + ", test_batch_write_not_matching_schema)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{sort: true})
				if err != nil {
					return err
				}
				_, err = e.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: item{"pk": sv("a")}})
				return apiErr(err, "ValidationException", "The provided key element does not match the schema")
			},
		},
		{
			name: "dynamodb/PutItemReturnValuesAllOldReturnsTheReplacedItem",
			fact: "PutItem with ReturnValues ALL_OLD over an existing item returns that item in Attributes (API reference, PutItem ReturnValues)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				if err := e.put(ctx, name, item{"pk": sv("k"), "v": sv("old")}); err != nil {
					return err
				}
				out, err := e.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: item{"pk": sv("k"), "v": sv("new")},
					ReturnValues: ddbtypes.ReturnValueAllOld})
				if err != nil {
					return noErr("PutItem ALL_OLD", err)
				}
				return eq("Attributes.v", "old", attrS(out.Attributes, "v"))
			},
		},
		{
			name: "dynamodb/PutItemReturnValuesUpdatedNewIsValidation",
			fact: "PutItem with ReturnValues other than NONE or ALL_OLD fails ValidationException 'ReturnValues can only be ALL_OLD or NONE' (" + dynalite + ", putItem.js)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				_, err = e.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: item{"pk": sv("k")}, ReturnValues: ddbtypes.ReturnValueUpdatedNew})
				return apiErr(err, "ValidationException", "ReturnValues can only be ALL_OLD or NONE")
			},
		},
		{
			name: "dynamodb/FailedConditionIsConditionalCheckFailedException",
			fact: "PutItem with attribute_not_exists(pk) over an existing item fails ConditionalCheckFailedException 'The conditional request failed' (" + lsDDB + ", test_return_values_on_conditions_check_failure)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				if err := e.put(ctx, name, item{"pk": sv("k")}); err != nil {
					return err
				}
				_, err = e.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: item{"pk": sv("k")},
					ConditionExpression: aws.String("attribute_not_exists(pk)")})
				return apiErr(err, "ConditionalCheckFailedException", "The conditional request failed")
			},
		},
		{
			name: "dynamodb/ReturnValuesOnConditionCheckFailureReturnsTheItem",
			fact: "with ReturnValuesOnConditionCheckFailure ALL_OLD a failed condition's ConditionalCheckFailedException carries the item (" + lsDDB + ", test_return_values_on_conditions_check_failure)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				if err := e.put(ctx, name, item{"pk": sv("456"), "price": nv("650")}); err != nil {
					return err
				}
				_, err = e.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: item{"pk": sv("456"), "price": nv("1")},
					ConditionExpression: aws.String("price < :limit"), ExpressionAttributeValues: item{":limit": nv("500")},
					ReturnValuesOnConditionCheckFailure: ddbtypes.ReturnValuesOnConditionCheckFailureAllOld})
				if err := apiErr(err, "ConditionalCheckFailedException", "The conditional request failed"); err != nil {
					return err
				}
				var cf *ddbtypes.ConditionalCheckFailedException
				if !errors.As(err, &cf) {
					return fmt.Errorf("want a ConditionalCheckFailedException carrying the item, got %T", err)
				}
				return eq("exception Item.price", "650", attrN(cf.Item, "price"))
			},
		},
		{
			name: "dynamodb/UpdateItemOnMissingItemCreatesIt",
			fact: "UpdateItem of a key that does not exist creates the item with the key and the updated attributes (API reference, UpdateItem)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				if _, err := e.ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(name), Key: item{"pk": sv("new")},
					UpdateExpression: aws.String("SET v = :v ADD c :one"), ExpressionAttributeValues: item{":v": sv("x"), ":one": nv("1")}}); err != nil {
					return noErr("UpdateItem", err)
				}
				out, err := e.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: item{"pk": sv("new")}})
				if err != nil {
					return noErr("GetItem", err)
				}
				return first(eq("v", "x", attrS(out.Item, "v")), eq("c", "1", attrN(out.Item, "c")))
			},
		},
		{
			name: "dynamodb/UpdateItemReturnValuesUpdatedNewReturnsOnlyUpdatedAttributes",
			fact: "UpdateItem with ReturnValues UPDATED_NEW returns only the attributes the update changed, with their new values (API reference, UpdateItem ReturnValues)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				if err := e.put(ctx, name, item{"pk": sv("k"), "a": sv("1"), "b": sv("2")}); err != nil {
					return err
				}
				out, err := e.ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(name), Key: item{"pk": sv("k")},
					UpdateExpression: aws.String("SET a = :a"), ExpressionAttributeValues: item{":a": sv("changed")}, ReturnValues: ddbtypes.ReturnValueUpdatedNew})
				if err != nil {
					return noErr("UpdateItem UPDATED_NEW", err)
				}
				keys := []string{}
				for k := range out.Attributes {
					keys = append(keys, k)
				}
				return first(deepEq("returned attribute names", []string{"a"}, keys), eq("a", "changed", attrS(out.Attributes, "a")))
			},
		},
		{
			name: "dynamodb/UpdateItemIfNotExistsAndListAppend",
			fact: "SET a = if_not_exists(a, :d) keeps an existing a; SET l = list_append(l, :more) appends to a list (developer guide, update expressions)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				if err := e.put(ctx, name, item{"pk": sv("k"), "a": sv("kept"), "l": &ddbtypes.AttributeValueMemberL{Value: []ddbtypes.AttributeValue{sv("x")}}}); err != nil {
					return err
				}
				out, err := e.ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(name), Key: item{"pk": sv("k")},
					UpdateExpression:          aws.String("SET a = if_not_exists(a, :d), l = list_append(l, :more)"),
					ExpressionAttributeValues: item{":d": sv("default"), ":more": &ddbtypes.AttributeValueMemberL{Value: []ddbtypes.AttributeValue{sv("y")}}},
					ReturnValues:              ddbtypes.ReturnValueAllNew})
				if err != nil {
					return noErr("UpdateItem", err)
				}
				l, _ := out.Attributes["l"].(*ddbtypes.AttributeValueMemberL)
				var got []string
				if l != nil {
					for _, v := range l.Value {
						if s, ok := v.(*ddbtypes.AttributeValueMemberS); ok {
							got = append(got, s.Value)
						}
					}
				}
				return first(eq("a", "kept", attrS(out.Attributes, "a")), deepEq("l", []string{"x", "y"}, got))
			},
		},
		{
			name: "dynamodb/UpdateItemRemoveDeletesTheAttribute",
			fact: "UpdateItem REMOVE deletes the attribute from the item (developer guide, update expressions)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				if err := e.put(ctx, name, item{"pk": sv("k"), "gone": sv("x"), "kept": sv("y")}); err != nil {
					return err
				}
				out, err := e.ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(name), Key: item{"pk": sv("k")},
					UpdateExpression: aws.String("REMOVE gone"), ReturnValues: ddbtypes.ReturnValueAllNew})
				if err != nil {
					return noErr("UpdateItem REMOVE", err)
				}
				return first(eq("gone", "<absent>", attrS(out.Attributes, "gone")), eq("kept", "y", attrS(out.Attributes, "kept")))
			},
		},
		{
			name: "dynamodb/UpdateItemOnKeyAttributeIsValidation",
			fact: "UpdateItem that sets a key attribute fails ValidationException 'One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key' (" + dynalite + ", updateItem.js)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				_, err = e.ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(name), Key: item{"pk": sv("k")},
					UpdateExpression: aws.String("SET pk = :v"), ExpressionAttributeValues: item{":v": sv("other")}})
				return apiErr(err, "ValidationException", "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key")
			},
		},
		{
			name: "dynamodb/UndefinedExpressionAttributeValueIsValidation",
			fact: "an update expression using an undefined :value fails ValidationException 'Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :missing' (" + dynalite + ", updateItem.js)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				_, err = e.ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(name), Key: item{"pk": sv("k")},
					UpdateExpression: aws.String("SET a = :missing"), ExpressionAttributeValues: item{":other": sv("x")}})
				return apiErr(err, "ValidationException", "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :missing")
			},
		},
		{
			name: "dynamodb/ReservedWordInExpressionIsValidation",
			fact: "a reserved word used as an attribute name in an expression fails ValidationException 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status' (" + dynalite + ", updateItem.js)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				_, err = e.ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(name), Key: item{"pk": sv("k")},
					UpdateExpression: aws.String("SET status = :v"), ExpressionAttributeValues: item{":v": sv("x")}})
				return apiErr(err, "ValidationException", "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status")
			},
		},
		{
			name: "dynamodb/UnusedExpressionAttributeValueIsValidation",
			fact: "an ExpressionAttributeValues entry no expression uses fails ValidationException 'Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}' (" + dynalite + ", updateItem.js)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				_, err = e.ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(name), Key: item{"pk": sv("k")},
					UpdateExpression: aws.String("SET a = :v"), ExpressionAttributeValues: item{":v": sv("x"), ":unused": sv("y")}})
				return apiErr(err, "ValidationException", "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}")
			},
		},
		{
			name: "dynamodb/OverlappingUpdatePathsIsValidation",
			fact: "an update expression setting c and c[1].a fails ValidationException 'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; ...' (" + dynalite + ", updateItem.js)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				_, err = e.ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(name), Key: item{"pk": sv("k")},
					UpdateExpression: aws.String("SET c[1].a = :v, c = :w"), ExpressionAttributeValues: item{":v": sv("x"), ":w": sv("y")}})
				return apiErrPrefix(err, "ValidationException",
					"Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths;")
			},
		},
		{
			name: "dynamodb/DeleteItemReturnValuesAllOldReturnsTheDeletedItem",
			fact: "DeleteItem with ReturnValues ALL_OLD returns the deleted item (API reference, DeleteItem ReturnValues)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				if err := e.put(ctx, name, item{"pk": sv("k"), "v": sv("was")}); err != nil {
					return err
				}
				out, err := e.ddb.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(name), Key: item{"pk": sv("k")}, ReturnValues: ddbtypes.ReturnValueAllOld})
				if err != nil {
					return noErr("DeleteItem ALL_OLD", err)
				}
				return eq("Attributes.v", "was", attrS(out.Attributes, "v"))
			},
		},
		{
			name: "dynamodb/DeleteItemWithFailedConditionKeepsTheItem",
			fact: "DeleteItem whose ConditionExpression is false fails ConditionalCheckFailedException and leaves the item (API reference, DeleteItem)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				if err := e.put(ctx, name, item{"pk": sv("k"), "state": sv("RESOLVED")}); err != nil {
					return err
				}
				_, err = e.ddb.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(name), Key: item{"pk": sv("k")},
					ConditionExpression: aws.String("#s = :p"), ExpressionAttributeNames: map[string]string{"#s": "state"},
					ExpressionAttributeValues: item{":p": sv("PENDING")}})
				if err := apiErr(err, "ConditionalCheckFailedException", "The conditional request failed"); err != nil {
					return err
				}
				out, err := e.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: item{"pk": sv("k")}})
				if err != nil {
					return noErr("GetItem", err)
				}
				return eq("item still there", "RESOLVED", attrS(out.Item, "state"))
			},
		},
		{
			name: "dynamodb/QueryReturnsItemsInSortKeyOrder",
			fact: "Query returns the partition's items in ascending sort key order (API reference, Query ScanIndexForward)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{sort: true})
				if err != nil {
					return err
				}
				if err := e.putMany(ctx, name, "p", "c", "a", "b"); err != nil {
					return err
				}
				out, err := e.ddb.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(name), KeyConditionExpression: aws.String("pk = :p"),
					ExpressionAttributeValues: item{":p": sv("p")}})
				if err != nil {
					return noErr("Query", err)
				}
				return first(deepEq("sort keys", []string{"a", "b", "c"}, sks(out.Items)), eq("Count", int32(3), out.Count))
			},
		},
		{
			name: "dynamodb/QueryScanIndexForwardFalseReversesTheOrder",
			fact: "Query with ScanIndexForward false returns items in descending sort key order (API reference, Query ScanIndexForward)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{sort: true})
				if err != nil {
					return err
				}
				if err := e.putMany(ctx, name, "p", "a", "b", "c"); err != nil {
					return err
				}
				out, err := e.ddb.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(name), KeyConditionExpression: aws.String("pk = :p"),
					ExpressionAttributeValues: item{":p": sv("p")}, ScanIndexForward: aws.Bool(false)})
				if err != nil {
					return noErr("Query", err)
				}
				return deepEq("sort keys", []string{"c", "b", "a"}, sks(out.Items))
			},
		},
		{
			name: "dynamodb/QueryLimitPagesWithLastEvaluatedKey",
			fact: "Query with Limit 2 over 3 items returns 2 and a LastEvaluatedKey; ExclusiveStartKey returns the third and no LastEvaluatedKey (developer guide, paginating query results)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{sort: true})
				if err != nil {
					return err
				}
				if err := e.putMany(ctx, name, "p", "a", "b", "c"); err != nil {
					return err
				}
				q := func(start item) (*dynamodb.QueryOutput, error) {
					return e.ddb.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(name), KeyConditionExpression: aws.String("pk = :p"),
						ExpressionAttributeValues: item{":p": sv("p")}, Limit: aws.Int32(2), ExclusiveStartKey: start})
				}
				p1, err := q(nil)
				if err != nil {
					return noErr("Query Limit 2", err)
				}
				if err := first(deepEq("first page", []string{"a", "b"}, sks(p1.Items)), eq("first page LastEvaluatedKey.sk", "b", attrS(p1.LastEvaluatedKey, "sk"))); err != nil {
					return err
				}
				p2, err := q(p1.LastEvaluatedKey)
				if err != nil {
					return noErr("Query from LastEvaluatedKey", err)
				}
				return first(deepEq("second page", []string{"c"}, sks(p2.Items)), eq("second page LastEvaluatedKey", 0, len(p2.LastEvaluatedKey)))
			},
		},
		{
			name: "dynamodb/QueryBeginsWithOnSortKey",
			fact: "a key condition begins_with(sk, :prefix) returns the items whose sort key starts with the prefix (developer guide, key condition expressions)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{sort: true})
				if err != nil {
					return err
				}
				if err := e.putMany(ctx, name, "p", "loan#1", "loan#2", "user#1"); err != nil {
					return err
				}
				out, err := e.ddb.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(name), KeyConditionExpression: aws.String("pk = :p AND begins_with(sk, :pre)"),
					ExpressionAttributeValues: item{":p": sv("p"), ":pre": sv("loan#")}})
				if err != nil {
					return noErr("Query begins_with", err)
				}
				return deepEq("sort keys", []string{"loan#1", "loan#2"}, sks(out.Items))
			},
		},
		{
			name: "dynamodb/QueryFilterExpressionCountsScannedAndReturned",
			fact: "a Query FilterExpression applies after the read: Count is the items returned, ScannedCount the items read (developer guide, filter expressions for Query)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{sort: true})
				if err != nil {
					return err
				}
				if err := e.putMany(ctx, name, "p", "a", "b", "c"); err != nil {
					return err
				}
				out, err := e.ddb.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(name), KeyConditionExpression: aws.String("pk = :p"),
					FilterExpression: aws.String("n >= :one"), ExpressionAttributeValues: item{":p": sv("p"), ":one": nv("1")}})
				if err != nil {
					return noErr("Query with FilterExpression", err)
				}
				return first(eq("Count", int32(2), out.Count), eq("ScannedCount", int32(3), out.ScannedCount))
			},
		},
		{
			name: "dynamodb/QueryWithoutPartitionKeyConditionIsValidation",
			fact: "a Query whose key condition names no key attribute fails ValidationException 'Query condition missed key schema element: pk' (" + dynalite + ", query.js)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{sort: true})
				if err != nil {
					return err
				}
				_, err = e.ddb.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(name), KeyConditionExpression: aws.String("z = :s"),
					ExpressionAttributeValues: item{":s": sv("a")}})
				return apiErr(err, "ValidationException", "Query condition missed key schema element: pk")
			},
		},
		{
			name: "dynamodb/QuerySelectCountReturnsNoItems",
			fact: "Query with Select COUNT returns Count and no Items (API reference, Query Select)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{sort: true})
				if err != nil {
					return err
				}
				if err := e.putMany(ctx, name, "p", "a", "b"); err != nil {
					return err
				}
				out, err := e.ddb.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(name), KeyConditionExpression: aws.String("pk = :p"),
					ExpressionAttributeValues: item{":p": sv("p")}, Select: ddbtypes.SelectCount})
				if err != nil {
					return noErr("Query Select COUNT", err)
				}
				return first(eq("Count", int32(2), out.Count), eq("len(Items)", 0, len(out.Items)))
			},
		},
		{
			name: "dynamodb/ScanReturnsEveryItem",
			fact: "Scan without a filter returns every item of the table, Count and ScannedCount equal (API reference, Scan)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{sort: true})
				if err != nil {
					return err
				}
				if err := e.putMany(ctx, name, "p", "a", "b"); err != nil {
					return err
				}
				if err := e.putMany(ctx, name, "q", "c"); err != nil {
					return err
				}
				out, err := e.ddb.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(name)})
				if err != nil {
					return noErr("Scan", err)
				}
				got := sks(out.Items)
				sort.Strings(got)
				return first(deepEq("sort keys", []string{"a", "b", "c"}, got), eq("Count", int32(3), out.Count), eq("ScannedCount", int32(3), out.ScannedCount))
			},
		},
		{
			name: "dynamodb/UndefinedExpressionAttributeNameIsValidation",
			fact: "a filter expression using an undefined #name fails ValidationException 'Invalid FilterExpression: An expression attribute name used in the document path is not defined; attribute name: #n' (" + dynalite + ", scan.js)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				_, err = e.ddb.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(name), FilterExpression: aws.String("#n = :v"),
					ExpressionAttributeValues: item{":v": sv("x")}})
				return apiErr(err, "ValidationException", "Invalid FilterExpression: An expression attribute name used in the document path is not defined; attribute name: #n")
			},
		},
		{
			name: "dynamodb/ParallelScanSegmentsPartitionTheTable",
			fact: "a parallel Scan's segments (Segment 0..TotalSegments-1) together return every item exactly once (developer guide, parallel scan)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				var want []string
				for i := range 20 {
					k := fmt.Sprintf("item-%02d", i)
					want = append(want, k)
					if err := e.put(ctx, name, item{"pk": sv(k)}); err != nil {
						return err
					}
				}
				var got []string
				for seg := range int32(3) {
					var start item
					for {
						out, err := e.ddb.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(name), Segment: aws.Int32(seg), TotalSegments: aws.Int32(3), ExclusiveStartKey: start})
						if err != nil {
							return noErr(fmt.Sprintf("Scan segment %d of 3", seg), err)
						}
						for _, it := range out.Items {
							got = append(got, attrS(it, "pk"))
						}
						if len(out.LastEvaluatedKey) == 0 {
							break
						}
						start = out.LastEvaluatedKey
					}
				}
				sort.Strings(got)
				return deepEq("items over the 3 segments", want, got)
			},
		},
		{
			name: "dynamodb/ScanSegmentWithoutTotalSegmentsIsValidation",
			fact: "Scan with Segment but no TotalSegments fails ValidationException 'The TotalSegments parameter is required but was not present in the request when Segment parameter is present' (" + dynalite + ", scan.js)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				_, err = e.ddb.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(name), Segment: aws.Int32(1)})
				return apiErr(err, "ValidationException", "The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
			},
		},
		{
			name: "dynamodb/ScanSegmentNotBelowTotalSegmentsIsValidation",
			fact: "Scan with Segment >= TotalSegments fails ValidationException 'The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 1 is not less than TotalSegments: 1' (" + dynalite + ", scan.js)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				_, err = e.ddb.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(name), Segment: aws.Int32(1), TotalSegments: aws.Int32(1)})
				return apiErr(err, "ValidationException", "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 1 is not less than TotalSegments: 1")
			},
		},
		{
			name: "dynamodb/ProjectionExpressionReturnsOnlyTheNamedPaths",
			fact: "GetItem with ProjectionExpression 'a, m.x' returns only a and m with only x (developer guide, projection expressions)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				if err := e.put(ctx, name, item{"pk": sv("k"), "a": sv("1"), "b": sv("2"), "m": &ddbtypes.AttributeValueMemberM{Value: item{"x": sv("3"), "y": sv("4")}}}); err != nil {
					return err
				}
				out, err := e.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: item{"pk": sv("k")}, ProjectionExpression: aws.String("a, m.x")})
				if err != nil {
					return noErr("GetItem with ProjectionExpression", err)
				}
				want := item{"a": sv("1"), "m": &ddbtypes.AttributeValueMemberM{Value: item{"x": sv("3")}}}
				return deepEq("item", want, out.Item)
			},
		},
		{
			name: "dynamodb/ExpiredTTLItemIsReadableUntilDeleted",
			fact: "an item whose TTL attribute is in the past is still returned by reads until TTL deletes it, which can take days (developer guide, Time to Live: items pending deletion)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				if _, err := e.ddb.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(name),
					TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String("expiresAt"), Enabled: aws.Bool(true)}}); err != nil {
					return noErr("UpdateTimeToLive", err)
				}
				past := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)
				if err := e.put(ctx, name, item{"pk": sv("old"), "expiresAt": nv(past)}); err != nil {
					return err
				}
				out, err := e.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: item{"pk": sv("old")}})
				if err != nil {
					return noErr("GetItem", err)
				}
				return eq("expired item returned", "old", attrS(out.Item, "pk"))
			},
		},
		{
			name: "dynamodb/DescribeTimeToLiveAfterEnablingIsEnabled",
			fact: "after UpdateTimeToLive enables TTL, DescribeTimeToLive reports the attribute name and status ENABLED (API reference, DescribeTimeToLive)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				if _, err := e.ddb.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(name),
					TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String("expiresAt"), Enabled: aws.Bool(true)}}); err != nil {
					return noErr("UpdateTimeToLive", err)
				}
				var d *ddbtypes.TimeToLiveDescription
				return localtest.Poll(ctx, 30*time.Second, pollEvery, "TimeToLiveStatus ENABLED", func() (bool, error) {
					out, err := e.ddb.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
					if err != nil {
						return true, noErr("DescribeTimeToLive", err)
					}
					d = out.TimeToLiveDescription
					if d == nil {
						return true, fmt.Errorf("TimeToLiveDescription: want present, got nil")
					}
					if d.TimeToLiveStatus == ddbtypes.TimeToLiveStatusEnabling {
						return false, nil
					}
					return true, first(eq("TimeToLiveStatus", ddbtypes.TimeToLiveStatusEnabled, d.TimeToLiveStatus), eq("AttributeName", "expiresAt", str(d.AttributeName)))
				})
			},
		},
		{
			name: "dynamodb/GlobalSecondaryIndexQuery",
			fact: "Query on a global secondary index by its key returns the items with that index key (developer guide, global secondary indexes)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, gsiSpec())
				if err != nil {
					return err
				}
				for _, it := range []item{{"pk": sv("1"), "email": sv("a@x")}, {"pk": sv("2"), "email": sv("b@x")}, {"pk": sv("3"), "email": sv("a@x")}} {
					if err := e.put(ctx, name, it); err != nil {
						return err
					}
				}
				var got []string
				err = localtest.Poll(ctx, 10*time.Second, pollEvery, "both items in the index (GSI reads are eventually consistent)", func() (bool, error) {
					out, err := e.ddb.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(name), IndexName: aws.String("byEmail"),
						KeyConditionExpression: aws.String("email = :e"), ExpressionAttributeValues: item{":e": sv("a@x")}})
					if err != nil {
						return true, noErr("Query on the GSI", err)
					}
					got = got[:0]
					for _, it := range out.Items {
						got = append(got, attrS(it, "pk"))
					}
					sort.Strings(got)
					return len(got) >= 2, nil
				})
				if err != nil {
					return err
				}
				return deepEq("pk of the items", []string{"1", "3"}, got)
			},
		},
		{
			name: "dynamodb/GlobalSecondaryIndexIsSparse",
			fact: "an item without the index's key attribute is not in the global secondary index (developer guide, sparse indexes)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, gsiSpec())
				if err != nil {
					return err
				}
				if err := e.put(ctx, name, item{"pk": sv("with"), "email": sv("a@x")}); err != nil {
					return err
				}
				if err := e.put(ctx, name, item{"pk": sv("without")}); err != nil {
					return err
				}
				var n int32
				err = localtest.Poll(ctx, 10*time.Second, pollEvery, "the indexed item in the index", func() (bool, error) {
					out, err := e.ddb.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(name), IndexName: aws.String("byEmail")})
					if err != nil {
						return true, noErr("Scan of the GSI", err)
					}
					n = out.Count
					return n >= 1, nil
				})
				if err != nil {
					return err
				}
				return eq("items in the index", int32(1), n)
			},
		},
		{
			name: "dynamodb/GlobalSecondaryIndexConsistentReadIsValidation",
			fact: "Query on a global secondary index with ConsistentRead true fails ValidationException 'Consistent reads are not supported on global secondary indexes' (" + dynalite + ", query.js; API reference, Query ConsistentRead)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, gsiSpec())
				if err != nil {
					return err
				}
				_, err = e.ddb.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(name), IndexName: aws.String("byEmail"), ConsistentRead: aws.Bool(true),
					KeyConditionExpression: aws.String("email = :e"), ExpressionAttributeValues: item{":e": sv("a@x")}})
				return apiErr(err, "ValidationException", "Consistent reads are not supported on global secondary indexes")
			},
		},
		{
			name: "dynamodb/QueryOnUnknownIndexIsValidation",
			fact: "Query naming an index the table does not have fails ValidationException 'The table does not have the specified index: nope' (" + dynalite + ", query.js)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				_, err = e.ddb.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(name), IndexName: aws.String("nope"),
					KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: item{":p": sv("a")}})
				return apiErr(err, "ValidationException", "The table does not have the specified index: nope")
			},
		},
		{
			name: "dynamodb/LocalSecondaryIndexQueryOrdersByTheIndexSortKey",
			fact: "Query on a local secondary index returns the partition's items ordered by the index's sort key (developer guide, local secondary indexes)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{sort: true, mod: func(in *dynamodb.CreateTableInput) {
					in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{AttributeName: aws.String("rank"), AttributeType: ddbtypes.ScalarAttributeTypeN})
					in.LocalSecondaryIndexes = []ddbtypes.LocalSecondaryIndex{{IndexName: aws.String("byRank"),
						KeySchema:  []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}, {AttributeName: aws.String("rank"), KeyType: ddbtypes.KeyTypeRange}},
						Projection: &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionTypeAll}}}
				}})
				if err != nil {
					return err
				}
				for sk, rank := range map[string]string{"a": "3", "b": "1", "c": "2"} {
					if err := e.put(ctx, name, item{"pk": sv("p"), "sk": sv(sk), "rank": nv(rank)}); err != nil {
						return err
					}
				}
				out, err := e.ddb.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(name), IndexName: aws.String("byRank"),
					KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: item{":p": sv("p")}, ConsistentRead: aws.Bool(true)})
				if err != nil {
					return noErr("Query on the LSI", err)
				}
				return deepEq("sort keys by rank", []string{"b", "c", "a"}, sks(out.Items))
			},
		},
		{
			name: "dynamodb/DescribeTableDescribesItsIndexes",
			fact: "DescribeTable lists each global secondary index with IndexName, IndexArn <table arn>/index/<name>, KeySchema, Projection and IndexStatus (API reference, GlobalSecondaryIndexDescription)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, gsiSpec())
				if err != nil {
					return err
				}
				out, err := e.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
				if err != nil {
					return noErr("DescribeTable", err)
				}
				if len(out.Table.GlobalSecondaryIndexes) != 1 {
					return fmt.Errorf("GlobalSecondaryIndexes: want 1, got %d", len(out.Table.GlobalSecondaryIndexes))
				}
				g := out.Table.GlobalSecondaryIndexes[0]
				return first(eq("IndexName", "byEmail", str(g.IndexName)), eq("IndexArn", str(out.Table.TableArn)+"/index/byEmail", str(g.IndexArn)),
					eq("len(KeySchema)", 1, len(g.KeySchema)), eq("Projection present", true, g.Projection != nil),
					eq("IndexStatus", ddbtypes.IndexStatusActive, g.IndexStatus))
			},
		},
		{
			name: "dynamodb/UpdateTableAddsAGlobalSecondaryIndex",
			fact: "UpdateTable with a GlobalSecondaryIndexUpdates Create adds an index that becomes ACTIVE and answers Query (API reference, UpdateTable)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				if err := e.put(ctx, name, item{"pk": sv("1"), "email": sv("a@x")}); err != nil {
					return err
				}
				if _, err := e.ddb.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(name),
					AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("email"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
					GlobalSecondaryIndexUpdates: []ddbtypes.GlobalSecondaryIndexUpdate{{Create: &ddbtypes.CreateGlobalSecondaryIndexAction{IndexName: aws.String("byEmail"),
						KeySchema:  []ddbtypes.KeySchemaElement{{AttributeName: aws.String("email"), KeyType: ddbtypes.KeyTypeHash}},
						Projection: &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionTypeAll}}}}}); err != nil {
					return noErr("UpdateTable create GSI", err)
				}
				if err := e.waitActive(ctx, name); err != nil {
					return err
				}
				return localtest.Poll(ctx, 30*time.Second, pollEvery, "the existing item in the new index", func() (bool, error) {
					out, err := e.ddb.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(name), IndexName: aws.String("byEmail"),
						KeyConditionExpression: aws.String("email = :e"), ExpressionAttributeValues: item{":e": sv("a@x")}})
					if err != nil {
						return true, noErr("Query on the new GSI", err)
					}
					return out.Count == 1, nil
				})
			},
		},
		{
			name: "dynamodb/BatchWriteItemPutsAndDeletes",
			fact: "BatchWriteItem applies its PutRequests and DeleteRequests and returns an empty UnprocessedItems (API reference, BatchWriteItem)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				if err := e.put(ctx, name, item{"pk": sv("old")}); err != nil {
					return err
				}
				out, err := e.ddb.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]ddbtypes.WriteRequest{name: {
					{PutRequest: &ddbtypes.PutRequest{Item: item{"pk": sv("new")}}}, {DeleteRequest: &ddbtypes.DeleteRequest{Key: item{"pk": sv("old")}}}}}})
				if err != nil {
					return noErr("BatchWriteItem", err)
				}
				scan, err := e.ddb.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(name), ConsistentRead: aws.Bool(true)})
				if err != nil {
					return noErr("Scan", err)
				}
				var keys []string
				for _, it := range scan.Items {
					keys = append(keys, attrS(it, "pk"))
				}
				return first(eq("len(UnprocessedItems)", 0, len(out.UnprocessedItems)), deepEq("keys after the batch", []string{"new"}, keys))
			},
		},
		{
			name: "dynamodb/BatchWriteItemOver25RequestsIsValidation",
			fact: "BatchWriteItem with 26 requests fails ValidationException ('... Member must have length less than or equal to 25 ...') (" + dynalite + ", batchWriteItem.js)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				var reqs []ddbtypes.WriteRequest
				for i := range 26 {
					reqs = append(reqs, ddbtypes.WriteRequest{PutRequest: &ddbtypes.PutRequest{Item: item{"pk": sv(strconv.Itoa(i))}}})
				}
				_, err = e.ddb.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]ddbtypes.WriteRequest{name: reqs}})
				return apiErrContains(err, "ValidationException", "Member must have length less than or equal to 25")
			},
		},
		{
			name: "dynamodb/BatchWriteItemDuplicateKeysIsValidation",
			fact: "BatchWriteItem with two requests for one key fails ValidationException 'Provided list of item keys contains duplicates' (" + dynalite + ", batchWriteItem.js)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				_, err = e.ddb.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]ddbtypes.WriteRequest{name: {
					{PutRequest: &ddbtypes.PutRequest{Item: item{"pk": sv("same")}}}, {DeleteRequest: &ddbtypes.DeleteRequest{Key: item{"pk": sv("same")}}}}}})
				return apiErr(err, "ValidationException", "Provided list of item keys contains duplicates")
			},
		},
		{
			name: "dynamodb/BatchGetItemReturnsTheItems",
			fact: "BatchGetItem returns the existing items under Responses[table] and an empty UnprocessedKeys (API reference, BatchGetItem)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				for _, k := range []string{"a", "b"} {
					if err := e.put(ctx, name, item{"pk": sv(k)}); err != nil {
						return err
					}
				}
				out, err := e.ddb.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]ddbtypes.KeysAndAttributes{name: {
					Keys: []item{{"pk": sv("a")}, {"pk": sv("b")}, {"pk": sv("missing")}}}}})
				if err != nil {
					return noErr("BatchGetItem", err)
				}
				var keys []string
				for _, it := range out.Responses[name] {
					keys = append(keys, attrS(it, "pk"))
				}
				sort.Strings(keys)
				return first(deepEq("Responses keys", []string{"a", "b"}, keys), eq("len(UnprocessedKeys)", 0, len(out.UnprocessedKeys)))
			},
		},
		{
			name: "dynamodb/BatchGetItemOver100KeysIsValidation",
			fact: "BatchGetItem of 101 keys over two tables (100 + 1) fails ValidationException 'Too many items requested for the BatchGetItem call' (API reference, BatchGetItem; " + dynalite + ", batchGetItem.js)",
			check: func(ctx context.Context, e *env) error {
				a, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				b, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				var keys []item
				for i := range 100 {
					keys = append(keys, item{"pk": sv(strconv.Itoa(i))})
				}
				_, err = e.ddb.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]ddbtypes.KeysAndAttributes{
					a: {Keys: keys}, b: {Keys: []item{{"pk": sv("100")}}}}})
				return apiErrPrefix(err, "ValidationException", "Too many items requested for the BatchGetItem call")
			},
		},
		{
			name: "dynamodb/BatchGetItemOver100KeysOfOneTableIsConstraintValidation",
			fact: "BatchGetItem of 101 keys of one table fails ValidationException \"1 validation error detected: Value at 'RequestItems.<table>.member.Keys' failed to satisfy constraint: Member must have length less than or equal to 100\" (" + nubo + ", tier3/error-messages/batchGetItem.test.ts; dynalite's older test expects \"Value '[...]' at 'requestItems.<table>.member.keys'\", which DynamoDB no longer sends)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				var keys []item
				for i := range 101 {
					keys = append(keys, item{"pk": sv(strconv.Itoa(i))})
				}
				_, err = e.ddb.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]ddbtypes.KeysAndAttributes{name: {Keys: keys}}})
				return apiErr(err, "ValidationException", "1 validation error detected: Value at 'RequestItems."+name+".member.Keys' failed to satisfy constraint: Member must have length less than or equal to 100")
			},
		},
		{
			name: "dynamodb/TransactWriteItemsWritesAll",
			fact: "TransactWriteItems whose conditions hold applies every action (API reference, TransactWriteItems)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				if err := e.put(ctx, name, item{"pk": sv("gone")}); err != nil {
					return err
				}
				if _, err := e.ddb.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{
					{Put: &ddbtypes.Put{TableName: aws.String(name), Item: item{"pk": sv("a")}, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
					{Update: &ddbtypes.Update{TableName: aws.String(name), Key: item{"pk": sv("b")}, UpdateExpression: aws.String("SET v = :v"), ExpressionAttributeValues: item{":v": sv("x")}}},
					{Delete: &ddbtypes.Delete{TableName: aws.String(name), Key: item{"pk": sv("gone")}}},
				}}); err != nil {
					return noErr("TransactWriteItems", err)
				}
				scan, err := e.ddb.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(name), ConsistentRead: aws.Bool(true)})
				if err != nil {
					return noErr("Scan", err)
				}
				var keys []string
				for _, it := range scan.Items {
					keys = append(keys, attrS(it, "pk"))
				}
				sort.Strings(keys)
				return deepEq("keys after the transaction", []string{"a", "b"}, keys)
			},
		},
		{
			name: "dynamodb/TransactWriteItemsCancellationReasons",
			fact: "a TransactWriteItems with a failing condition writes nothing and fails TransactionCanceledException 'Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]' with those CancellationReasons (" + lsDDB + ", test_transaction_write_canceled; API reference, TransactWriteItems)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				if err := e.put(ctx, name, item{"pk": sv("exists")}); err != nil {
					return err
				}
				_, err = e.ddb.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{
					{Put: &ddbtypes.Put{TableName: aws.String(name), Item: item{"pk": sv("exists")}, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
					{Put: &ddbtypes.Put{TableName: aws.String(name), Item: item{"pk": sv("new")}}},
				}})
				if err := apiErr(err, "TransactionCanceledException",
					"Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]"); err != nil {
					return err
				}
				var tc *ddbtypes.TransactionCanceledException
				if !errors.As(err, &tc) {
					return fmt.Errorf("want a TransactionCanceledException with CancellationReasons, got %T", err)
				}
				var codes []string
				for _, r := range tc.CancellationReasons {
					codes = append(codes, str(r.Code))
				}
				if err := deepEq("CancellationReasons codes", []string{"ConditionalCheckFailed", "None"}, codes); err != nil {
					return err
				}
				out, err := e.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: item{"pk": sv("new")}, ConsistentRead: aws.Bool(true)})
				if err != nil {
					return noErr("GetItem", err)
				}
				return eq("the other put written", 0, len(out.Item))
			},
		},
		{
			name: "dynamodb/TransactWriteItemsTwoActionsOnOneItemIsValidation",
			fact: "TransactWriteItems with two actions on one item fails ValidationException 'Transaction request cannot include multiple operations on one item' (API reference, TransactWriteItems)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				_, err = e.ddb.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{
					{Put: &ddbtypes.Put{TableName: aws.String(name), Item: item{"pk": sv("same")}}},
					{Delete: &ddbtypes.Delete{TableName: aws.String(name), Key: item{"pk": sv("same")}}},
				}})
				return apiErr(err, "ValidationException", "Transaction request cannot include multiple operations on one item")
			},
		},
		{
			name: "dynamodb/TransactGetItemsReturnsItemsInRequestOrder",
			fact: "TransactGetItems returns one ItemResponse per Get, in request order, empty for a missing item (API reference, TransactGetItems)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				for _, k := range []string{"a", "b"} {
					if err := e.put(ctx, name, item{"pk": sv(k)}); err != nil {
						return err
					}
				}
				out, err := e.ddb.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []ddbtypes.TransactGetItem{
					{Get: &ddbtypes.Get{TableName: aws.String(name), Key: item{"pk": sv("b")}}},
					{Get: &ddbtypes.Get{TableName: aws.String(name), Key: item{"pk": sv("missing")}}},
					{Get: &ddbtypes.Get{TableName: aws.String(name), Key: item{"pk": sv("a")}}},
				}})
				if err != nil {
					return noErr("TransactGetItems", err)
				}
				var got []string
				for _, r := range out.Responses {
					got = append(got, attrS(r.Item, "pk"))
				}
				return deepEq("responses", []string{"b", "<absent>", "a"}, got)
			},
		},
		{
			name: "dynamodb/ReturnConsumedCapacityTotalOnPutItemIsOneWriteUnit",
			fact: "PutItem of an item under 1 KB with ReturnConsumedCapacity TOTAL returns ConsumedCapacity{TableName, CapacityUnits 1} (developer guide, read/write capacity: one write request unit per 1 KB)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				out, err := e.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: item{"pk": sv("k")}, ReturnConsumedCapacity: ddbtypes.ReturnConsumedCapacityTotal})
				if err != nil {
					return noErr("PutItem", err)
				}
				if out.ConsumedCapacity == nil {
					return fmt.Errorf("ConsumedCapacity: want {TableName %s, CapacityUnits 1}, got nil", name)
				}
				return first(eq("ConsumedCapacity.CapacityUnits", "1", capacity(out.ConsumedCapacity)), eq("ConsumedCapacity.TableName", name, str(out.ConsumedCapacity.TableName)))
			},
		},
		{
			name: "dynamodb/ReturnConsumedCapacityEventuallyConsistentGetItemIsHalfAUnit",
			fact: "an eventually consistent GetItem of an item under 4 KB consumes 0.5 read capacity units (developer guide, read/write capacity: a read unit is one strongly or two eventually consistent reads)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				if err := e.put(ctx, name, item{"pk": sv("k")}); err != nil {
					return err
				}
				out, err := e.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: item{"pk": sv("k")}, ReturnConsumedCapacity: ddbtypes.ReturnConsumedCapacityTotal})
				if err != nil {
					return noErr("GetItem", err)
				}
				return eq("ConsumedCapacity.CapacityUnits", "0.5", capacity(out.ConsumedCapacity))
			},
		},
		{
			name: "dynamodb/ReturnConsumedCapacityStronglyConsistentGetItemIsOneUnit",
			fact: "a strongly consistent GetItem of an item under 4 KB consumes 1 read capacity unit (developer guide, read/write capacity)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				if err := e.put(ctx, name, item{"pk": sv("k")}); err != nil {
					return err
				}
				out, err := e.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: item{"pk": sv("k")}, ConsistentRead: aws.Bool(true),
					ReturnConsumedCapacity: ddbtypes.ReturnConsumedCapacityTotal})
				if err != nil {
					return noErr("GetItem", err)
				}
				return eq("ConsumedCapacity.CapacityUnits", "1", capacity(out.ConsumedCapacity))
			},
		},
		{
			name: "dynamodb/ReturnConsumedCapacityIndexesIncludesTheTable",
			fact: "ReturnConsumedCapacity INDEXES adds the table's own share under ConsumedCapacity.Table (API reference, ReturnConsumedCapacity)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				out, err := e.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: item{"pk": sv("k")}, ReturnConsumedCapacity: ddbtypes.ReturnConsumedCapacityIndexes})
				if err != nil {
					return noErr("PutItem", err)
				}
				if out.ConsumedCapacity == nil || out.ConsumedCapacity.Table == nil || out.ConsumedCapacity.Table.CapacityUnits == nil {
					return fmt.Errorf("ConsumedCapacity.Table.CapacityUnits: want 1, got absent (%+v)", out.ConsumedCapacity)
				}
				return eq("ConsumedCapacity.Table.CapacityUnits", 1.0, *out.ConsumedCapacity.Table.CapacityUnits)
			},
		},
		{
			name: "dynamodb/ReturnConsumedCapacityDefaultOmitsIt",
			fact: "without ReturnConsumedCapacity (default NONE) no ConsumedCapacity is returned (API reference, ReturnConsumedCapacity)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				out, err := e.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: item{"pk": sv("k")}})
				if err != nil {
					return noErr("PutItem", err)
				}
				return eq("ConsumedCapacity", "<nil ConsumedCapacity>", capacity(out.ConsumedCapacity))
			},
		},
		{
			name: "dynamodb/ItemOver400KBIsValidation",
			fact: "PutItem of an item over 400 KB fails ValidationException 'Item size has exceeded the maximum allowed size' (" + dynalite + ", putItem.js)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				_, err = e.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: item{"pk": sv("big"), "v": sv(strings.Repeat("x", 410*1024))}})
				return apiErr(err, "ValidationException", "Item size has exceeded the maximum allowed size")
			},
		},
		{
			name: "dynamodb/NumberOver38DigitsIsValidation",
			fact: "a number with more than 38 significant digits fails ValidationException 'Attempting to store more than 38 significant digits in a Number' (" + dynalite + ", putItem.js)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				_, err = e.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: item{"pk": sv("k"), "n": nv("123456789012345678901234567890123456789")}})
				return apiErr(err, "ValidationException", "Attempting to store more than 38 significant digits in a Number")
			},
		},
		{
			name: "dynamodb/EmptyStringSetIsValidation",
			fact: "an empty string set fails ValidationException 'One or more parameter values were invalid: An string set  may not be empty' (" + dynalite + ", putItem.js)",
			check: func(ctx context.Context, e *env) error {
				name, err := e.newTable(ctx, tableSpec{})
				if err != nil {
					return err
				}
				_, err = e.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: item{"pk": sv("k"), "ss": &ddbtypes.AttributeValueMemberSS{Value: []string{}}}})
				return apiErr(err, "ValidationException", "One or more parameter values were invalid: An string set  may not be empty")
			},
		},
		{
			name: "dynamodb/ListTablesLimitPagesWithLastEvaluatedTableName",
			fact: "ListTables with Limit 1 returns one name and LastEvaluatedTableName; ExclusiveStartTableName continues after it (API reference, ListTables)",
			check: func(ctx context.Context, e *env) error {
				for range 2 {
					if _, err := e.newTable(ctx, tableSpec{}); err != nil {
						return err
					}
				}
				p1, err := e.ddb.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(1)})
				if err != nil {
					return noErr("ListTables Limit 1", err)
				}
				if len(p1.TableNames) != 1 || p1.LastEvaluatedTableName == nil {
					return fmt.Errorf("first page: want 1 name and LastEvaluatedTableName, got %v and %s", p1.TableNames, str(p1.LastEvaluatedTableName))
				}
				p2, err := e.ddb.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(1), ExclusiveStartTableName: p1.LastEvaluatedTableName})
				if err != nil {
					return noErr("ListTables from LastEvaluatedTableName", err)
				}
				if len(p2.TableNames) != 1 || p2.TableNames[0] <= p1.TableNames[0] {
					return fmt.Errorf("second page: want the next name after %q, got %v", p1.TableNames[0], p2.TableNames)
				}
				return nil
			},
		},
		{
			name: "dynamodb/UnknownOperationIsUnknownOperationException",
			fact: "a request whose X-Amz-Target names no DynamoDB operation is answered 400 com.amazon.coral.service#UnknownOperationException (" + dynalite + ", connection.js)",
			check: func(ctx context.Context, e *env) error {
				status, body, err := e.rawJSON(ctx, "dynamodb", "1.0", "DynamoDB_20120810.DescribeEverything", "{}")
				if err != nil {
					return err
				}
				return first(eq("HTTP status", 400, status), jsonType("__type", "com.amazon.coral.service#UnknownOperationException", body))
			},
		},
		{
			name: "dynamodb/MalformedJSONBodyIsSerializationException",
			fact: "a DynamoDB request whose body is not JSON is answered 400 com.amazon.coral.service#SerializationException (" + dynalite + ", connection.js)",
			check: func(ctx context.Context, e *env) error {
				status, body, err := e.rawJSON(ctx, "dynamodb", "1.0", "DynamoDB_20120810.ListTables", "{not json")
				if err != nil {
					return err
				}
				return first(eq("HTTP status", 400, status), jsonType("__type", "com.amazon.coral.service#SerializationException", body))
			},
		},
	}
}

// gsiSpec is a table with a global secondary index byEmail on email.
func gsiSpec() tableSpec {
	return tableSpec{mod: func(in *dynamodb.CreateTableInput) {
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{AttributeName: aws.String("email"), AttributeType: ddbtypes.ScalarAttributeTypeS})
		in.GlobalSecondaryIndexes = []ddbtypes.GlobalSecondaryIndex{{IndexName: aws.String("byEmail"),
			KeySchema:  []ddbtypes.KeySchemaElement{{AttributeName: aws.String("email"), KeyType: ddbtypes.KeyTypeHash}},
			Projection: &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionTypeAll}}}
	}}
}

// normalizeSets sorts set members, whose order DynamoDB does not keep.
func normalizeSets(it item) item {
	out := item{}
	for k, v := range it {
		switch s := v.(type) {
		case *ddbtypes.AttributeValueMemberSS:
			vs := append([]string{}, s.Value...)
			sort.Strings(vs)
			out[k] = &ddbtypes.AttributeValueMemberSS{Value: vs}
		case *ddbtypes.AttributeValueMemberNS:
			vs := append([]string{}, s.Value...)
			sort.Strings(vs)
			out[k] = &ddbtypes.AttributeValueMemberNS{Value: vs}
		case *ddbtypes.AttributeValueMemberBS:
			vs := append([][]byte{}, s.Value...)
			sort.Slice(vs, func(i, j int) bool { return string(vs[i]) < string(vs[j]) })
			out[k] = &ddbtypes.AttributeValueMemberBS{Value: vs}
		default:
			out[k] = v
		}
	}
	return out
}

// jsonType checks one string field of a JSON error body.
func jsonType(field, want string, body []byte) error {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return fmt.Errorf("error body: want JSON with %s %q, got %q", field, want, body)
	}
	got, _ := m[field].(string)
	return eq(field, want, got)
}
