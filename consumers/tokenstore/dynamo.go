package tokenstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"loanflow/consumers/lambdalog"
)

var _ Store = (*DynamoStore)(nil)

// DynamoAPI is the part of *dynamodb.Client that DynamoStore uses.
type DynamoAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// DynamoStore is a Store in a DynamoDB table with partition key AttrCallbackID
// (S) and TTL attribute AttrExpiresAt. It uses only attribute_exists,
// attribute_not_exists, =, <>, <=, >, AND, OR, NOT, SET and REMOVE.
type DynamoStore struct {
	db    DynamoAPI
	table string
}

// NewDynamoStore returns a store over the named table.
func NewDynamoStore(db DynamoAPI, table string) *DynamoStore {
	return &DynamoStore{db: db, table: table}
}

// Attribute names other than the key and the TTL.
const (
	attrTaskToken     = "taskToken"
	attrExecutionID   = "executionId"
	attrApplicationID = "applicationId"
	attrLoanAmount    = "loanAmount"
	attrStatus        = "status"
	attrReference     = "valuationReference"
	attrClaimedBy     = "claimedBy"
	attrCreatedAt     = "createdAt"
	attrResolvedAt    = "resolvedAt"
	attrOutcome       = "outcome"
	attrReason        = "reason"
)

const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// Put implements Store.
func (d *DynamoStore) Put(ctx context.Context, r Record) (Record, bool, error) {
	if err := validate(r); err != nil {
		return Record{}, false, err
	}
	r = Normalize(r)
	_, err := d.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           &d.table,
		Item:                                marshal(r),
		ConditionExpression:                 aws.String("attribute_not_exists(#id)"),
		ExpressionAttributeNames:            map[string]string{"#id": AttrCallbackID},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return r, true, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return Record{}, false, fmt.Errorf("put %s: %w", lambdalog.ID(r.CallbackID), err)
	}
	if len(ccf.Item) > 0 {
		old, err := unmarshal(ccf.Item)
		if err != nil {
			return Record{}, false, fmt.Errorf("put %s: existing: %w", lambdalog.ID(r.CallbackID), err)
		}
		return old, false, nil
	}
	old, err := d.Get(ctx, r.CallbackID)
	if err != nil {
		return Record{}, false, fmt.Errorf("put %s: read existing: %w", lambdalog.ID(r.CallbackID), err)
	}
	return old, false, nil
}

// Get implements Store.
func (d *DynamoStore) Get(ctx context.Context, callbackID string) (Record, error) {
	out, err := d.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &d.table,
		Key:            key(callbackID),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Record{}, fmt.Errorf("get %s: %w", lambdalog.ID(callbackID), err)
	}
	if len(out.Item) == 0 {
		return Record{}, ErrNotFound
	}
	r, err := unmarshal(out.Item)
	if err != nil {
		return Record{}, fmt.Errorf("get %s: %w", lambdalog.ID(callbackID), err)
	}
	return r, nil
}

// SetReference implements Store.
func (d *DynamoStore) SetReference(ctx context.Context, callbackID, reference string) error {
	if reference == "" {
		return errors.New("set reference: reference is empty")
	}
	_, err := d.update(ctx, "set reference", &dynamodb.UpdateItemInput{
		Key:                       key(callbackID),
		UpdateExpression:          aws.String("SET #ref = :ref"),
		ConditionExpression:       aws.String("attribute_exists(#id)"),
		ExpressionAttributeNames:  map[string]string{"#id": AttrCallbackID, "#ref": attrReference},
		ExpressionAttributeValues: map[string]types.AttributeValue{":ref": s(reference)},
	})
	return err
}

// Claim implements Store.
func (d *DynamoStore) Claim(ctx context.Context, callbackID, claimID string) (Record, error) {
	if claimID == "" {
		return Record{}, errors.New("claim: claim id is empty")
	}
	cond, names, values := pendingOrClaimedBy(claimID)
	r, ok, err := d.claim(ctx, callbackID, cond, names, values, types.ReturnValueAllNew)
	if err != nil || ok {
		return r, err
	}
	return d.Get(ctx, callbackID)
}

// ClaimIf implements Store. The guard's times are compared as the record
// stores them: createdAt as UTC text to the millisecond, which orders as
// the times do, and expiresAt as whole epoch seconds.
func (d *DynamoStore) ClaimIf(ctx context.Context, callbackID, claimID string, g ClaimGuard) (Record, error) {
	if claimID == "" {
		return Record{}, errors.New("claim: claim id is empty")
	}
	cond, names, values := pendingOrClaimedBy(claimID)
	cond = "(" + cond + ")"
	names["#ref"] = attrReference
	if g.Reference == "" {
		cond += " AND attribute_not_exists(#ref)"
	} else {
		values[":ref"] = s(g.Reference)
		cond += " AND (attribute_not_exists(#ref) OR #ref = :ref)"
	}
	if !g.CreatedBy.IsZero() {
		names["#createdAt"] = attrCreatedAt
		values[":createdBy"] = s(normTime(g.CreatedBy, time.Millisecond).Format(timeLayout))
		cond += " AND (attribute_not_exists(#createdAt) OR #createdAt <= :createdBy)"
	}
	if !g.LiveAt.IsZero() {
		// expiresAt is whole seconds: expiresAt > floor(liveAt) is expiresAt > liveAt.
		names["#expiresAt"] = AttrExpiresAt
		values[":liveAt"] = n(g.LiveAt.Unix())
		cond += " AND (attribute_not_exists(#expiresAt) OR #expiresAt > :liveAt)"
	}
	r, ok, err := d.claim(ctx, callbackID, cond, names, values, types.ReturnValueAllOld)
	if err == nil && !ok {
		// The condition held, so the item existed: DynamoDB returns it.
		return Record{}, fmt.Errorf("claim %s: the update returned no previous item", lambdalog.ID(callbackID))
	}
	return r, err
}

// claim sets callbackID's record CLAIMED by the claim id in values when cond
// holds, and returns the item DynamoDB answers with (rv: the new or the old
// one); ok is false when it answered none.
func (d *DynamoStore) claim(ctx context.Context, callbackID, cond string, names map[string]string, values map[string]types.AttributeValue, rv types.ReturnValue) (r Record, ok bool, err error) {
	out, err := d.update(ctx, "claim", &dynamodb.UpdateItemInput{
		Key:                       key(callbackID),
		UpdateExpression:          aws.String("SET #status = :claimed, #claimedBy = :claim"),
		ConditionExpression:       &cond,
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnValues:              rv,
	})
	if err != nil || len(out.Attributes) == 0 {
		return Record{}, false, err
	}
	if r, err = unmarshal(out.Attributes); err != nil {
		return Record{}, false, fmt.Errorf("claim %s: %w", lambdalog.ID(callbackID), err)
	}
	return r, true, nil
}

// Resolve implements Store.
func (d *DynamoStore) Resolve(ctx context.Context, callbackID, claimID, outcome, reason string, at time.Time) error {
	return d.finish(ctx, "resolve", callbackID, claimID, StatusResolved, outcome, reason, at)
}

// Expire implements Store.
func (d *DynamoStore) Expire(ctx context.Context, callbackID, claimID, reason string, at time.Time) error {
	return d.finish(ctx, "expire", callbackID, claimID, StatusExpired, "EXPIRED", reason, at)
}

// Fail implements Store.
func (d *DynamoStore) Fail(ctx context.Context, callbackID, outcome, reason string, at time.Time) error {
	return d.finish(ctx, "fail", callbackID, "", StatusFailed, outcome, reason, at)
}

// pendingOrClaimedBy is the condition of every status change out of PENDING.
func pendingOrClaimedBy(claimID string) (string, map[string]string, map[string]types.AttributeValue) {
	names := map[string]string{"#status": attrStatus}
	values := map[string]types.AttributeValue{":pending": s(string(StatusPending))}
	if claimID == "" {
		return "#status = :pending", names, values
	}
	names["#claimedBy"] = attrClaimedBy
	values[":claimed"] = s(string(StatusClaimed))
	values[":claim"] = s(claimID)
	return "#status = :pending OR (#status = :claimed AND #claimedBy = :claim)", names, values
}

func (d *DynamoStore) finish(ctx context.Context, op, callbackID, claimID string, to Status, outcome, reason string, at time.Time) error {
	cond, names, values := pendingOrClaimedBy(claimID)
	names["#resolvedAt"] = attrResolvedAt
	names["#outcome"] = attrOutcome
	names["#reason"] = attrReason
	values[":to"] = s(string(to))
	values[":at"] = s(normTime(at, time.Millisecond).Format(timeLayout))
	set := "SET #status = :to, #resolvedAt = :at"
	var remove string
	for _, f := range []struct{ name, value string }{{"#outcome", outcome}, {"#reason", reason}} {
		if f.value == "" {
			remove += ", " + f.name
			continue
		}
		ph := ":" + f.name[1:]
		values[ph] = s(f.value)
		set += ", " + f.name + " = " + ph
	}
	expr := set
	if remove != "" {
		expr += " REMOVE " + remove[2:]
	}
	_, err := d.update(ctx, op, &dynamodb.UpdateItemInput{
		Key:                       key(callbackID),
		UpdateExpression:          &expr,
		ConditionExpression:       &cond,
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	return err
}

// update runs a conditional UpdateItem and turns a failed condition into
// ErrNotFound or a *ConflictError carrying the record as it stood.
func (d *DynamoStore) update(ctx context.Context, op string, in *dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
	in.TableName = &d.table
	in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	callbackID := in.Key[AttrCallbackID].(*types.AttributeValueMemberS).Value
	out, err := d.db.UpdateItem(ctx, in)
	if err == nil {
		return out, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return nil, fmt.Errorf("%s %s: %w", op, lambdalog.ID(callbackID), err)
	}
	var cur Record
	if len(ccf.Item) > 0 {
		if cur, err = unmarshal(ccf.Item); err != nil {
			return nil, fmt.Errorf("%s %s: current: %w", op, lambdalog.ID(callbackID), err)
		}
	} else if cur, err = d.Get(ctx, callbackID); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("%s %s: read current: %w", op, lambdalog.ID(callbackID), err)
	}
	return nil, &ConflictError{Op: op, Current: cur}
}

func key(callbackID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrCallbackID: s(callbackID)}
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func marshal(r Record) map[string]types.AttributeValue {
	item := map[string]types.AttributeValue{
		AttrCallbackID: s(r.CallbackID),
		attrTaskToken:  s(r.TaskToken),
		attrStatus:     s(string(r.Status)),
		attrLoanAmount: n(r.LoanAmount),
		AttrExpiresAt:  n(r.ExpiresAt.Unix()),
		attrCreatedAt:  s(r.CreatedAt.Format(timeLayout)),
	}
	opt := map[string]string{
		attrExecutionID: r.ExecutionID, attrApplicationID: r.ApplicationID, attrReference: r.ValuationReference,
		attrClaimedBy: r.ClaimedBy, attrOutcome: r.Outcome, attrReason: r.Reason,
	}
	for k, v := range opt {
		if v != "" {
			item[k] = s(v)
		}
	}
	if !r.ResolvedAt.IsZero() {
		item[attrResolvedAt] = s(r.ResolvedAt.Format(timeLayout))
	}
	if r.ExpiresAt.IsZero() {
		delete(item, AttrExpiresAt)
	}
	if r.CreatedAt.IsZero() {
		delete(item, attrCreatedAt)
	}
	return item
}

func unmarshal(item map[string]types.AttributeValue) (Record, error) {
	var r Record
	var errs []error
	str := func(k string) string {
		switch v := item[k].(type) {
		case nil:
			return ""
		case *types.AttributeValueMemberS:
			return v.Value
		default:
			errs = append(errs, fmt.Errorf("attribute %s: want S, got %T", k, v))
			return ""
		}
	}
	num := func(k string) int64 {
		switch v := item[k].(type) {
		case nil:
			return 0
		case *types.AttributeValueMemberN:
			i, err := strconv.ParseInt(v.Value, 10, 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("attribute %s: %w", k, err))
			}
			return i
		default:
			errs = append(errs, fmt.Errorf("attribute %s: want N, got %T", k, v))
			return 0
		}
	}
	tm := func(k string) time.Time {
		v := str(k)
		if v == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			errs = append(errs, fmt.Errorf("attribute %s: %w", k, err))
		}
		return t.UTC()
	}
	r.CallbackID = str(AttrCallbackID)
	r.TaskToken = str(attrTaskToken)
	r.ExecutionID = str(attrExecutionID)
	r.ApplicationID = str(attrApplicationID)
	r.LoanAmount = num(attrLoanAmount)
	r.Status = Status(str(attrStatus))
	r.ValuationReference = str(attrReference)
	r.ClaimedBy = str(attrClaimedBy)
	r.CreatedAt = tm(attrCreatedAt)
	if e := num(AttrExpiresAt); e != 0 {
		r.ExpiresAt = time.Unix(e, 0).UTC()
	}
	r.ResolvedAt = tm(attrResolvedAt)
	r.Outcome = str(attrOutcome)
	r.Reason = str(attrReason)
	return r, errors.Join(errs...)
}
