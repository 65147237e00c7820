package tokenstore_test

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"loanflow/consumers/tokenstore"
	"loanflow/consumers/tokenstore/storetest"
)

func TestDynamoStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) tokenstore.Store {
		return tokenstore.NewDynamoStore(newFakeDynamo(true), "tokens")
	})
}

// Some emulators leave the item out of ConditionalCheckFailedException: the
// store must then read it itself.
func TestDynamoStoreWithoutItemOnConditionFailure(t *testing.T) {
	storetest.Run(t, func(*testing.T) tokenstore.Store {
		return tokenstore.NewDynamoStore(newFakeDynamo(false), "tokens")
	})
}

// fakeDynamo is a one-table DynamoDB that understands only the expression
// forms the store is allowed to use: attribute_exists, attribute_not_exists,
// =, <>, <=, >, AND, OR, NOT, parentheses, SET a = :v and REMOVE. Anything else
// fails the test, which keeps DynamoStore inside what the local emulation
// supports.
type fakeDynamo struct {
	mu       sync.Mutex
	items    map[string]map[string]types.AttributeValue
	itemOnCF bool
}

func newFakeDynamo(itemOnConditionFailure bool) *fakeDynamo {
	return &fakeDynamo{items: map[string]map[string]types.AttributeValue{}, itemOnCF: itemOnConditionFailure}
}

func keyOf(k map[string]types.AttributeValue) string {
	return k[tokenstore.AttrCallbackID].(*types.AttributeValueMemberS).Value
}

func (f *fakeDynamo) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	if in.ConsistentRead == nil || !*in.ConsistentRead {
		return nil, fmt.Errorf("GetItem without ConsistentRead")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return &dynamodb.GetItemOutput{Item: clone(f.items[keyOf(in.Key)])}, nil
}

func (f *fakeDynamo) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := keyOf(in.Item)
	old := f.items[k]
	ok, err := eval(deref(in.ConditionExpression), in.ExpressionAttributeNames, nil, old)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, f.failed(old, in.ReturnValuesOnConditionCheckFailure)
	}
	f.items[k] = clone(in.Item)
	return &dynamodb.PutItemOutput{}, nil
}

func (f *fakeDynamo) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := keyOf(in.Key)
	old := f.items[k]
	ok, err := eval(deref(in.ConditionExpression), in.ExpressionAttributeNames, in.ExpressionAttributeValues, old)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, f.failed(old, in.ReturnValuesOnConditionCheckFailure)
	}
	item := clone(old)
	if item == nil {
		item = clone(in.Key)
	}
	if err := apply(deref(in.UpdateExpression), in.ExpressionAttributeNames, in.ExpressionAttributeValues, item); err != nil {
		return nil, err
	}
	f.items[k] = item
	out := &dynamodb.UpdateItemOutput{}
	switch in.ReturnValues {
	case types.ReturnValueAllNew:
		out.Attributes = clone(item)
	case types.ReturnValueAllOld:
		out.Attributes = clone(old)
	}
	return out, nil
}

func (f *fakeDynamo) failed(old map[string]types.AttributeValue, rv types.ReturnValuesOnConditionCheckFailure) error {
	e := &types.ConditionalCheckFailedException{Message: deref2("The conditional request failed")}
	if f.itemOnCF && rv == types.ReturnValuesOnConditionCheckFailureAllOld {
		e.Item = clone(old)
	}
	return e
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func deref2(s string) *string { return &s }

func clone(m map[string]types.AttributeValue) map[string]types.AttributeValue {
	if m == nil {
		return nil
	}
	out := make(map[string]types.AttributeValue, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// tokens splits an expression into names, values, words and punctuation.
func tokens(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		c := rune(s[i])
		switch {
		case unicode.IsSpace(c):
			i++
		case strings.HasPrefix(s[i:], "<>"), strings.HasPrefix(s[i:], "<="):
			out = append(out, s[i:i+2])
			i += 2
		case c == '>':
			out = append(out, ">")
			i++
		case strings.ContainsRune("(),=", c):
			out = append(out, string(c))
			i++
		default:
			j := i
			for j < len(s) && !unicode.IsSpace(rune(s[j])) && !strings.ContainsRune("(),=<>", rune(s[j])) {
				j++
			}
			out = append(out, s[i:j])
			i = j
		}
	}
	return out
}

type parser struct {
	toks   []string
	names  map[string]string
	values map[string]types.AttributeValue
	item   map[string]types.AttributeValue
	err    error
}

func (p *parser) peek() string {
	if len(p.toks) == 0 {
		return ""
	}
	return p.toks[0]
}

func (p *parser) next() string {
	t := p.peek()
	if len(p.toks) > 0 {
		p.toks = p.toks[1:]
	}
	return t
}

func (p *parser) fail(format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("fake dynamo: "+format, args...)
	}
}

func (p *parser) name(tok string) string {
	n, ok := p.names[tok]
	if !strings.HasPrefix(tok, "#") || !ok {
		p.fail("attribute %q must be an ExpressionAttributeNames placeholder", tok)
	}
	return n
}

func (p *parser) or() bool {
	v := p.and()
	for strings.EqualFold(p.peek(), "OR") {
		p.next()
		r := p.and()
		v = v || r
	}
	return v
}

func (p *parser) and() bool {
	v := p.not()
	for strings.EqualFold(p.peek(), "AND") {
		p.next()
		r := p.not()
		v = v && r
	}
	return v
}

func (p *parser) not() bool {
	if strings.EqualFold(p.peek(), "NOT") {
		p.next()
		return !p.not()
	}
	return p.primary()
}

func (p *parser) primary() bool {
	switch t := p.next(); t {
	case "(":
		v := p.or()
		if p.next() != ")" {
			p.fail("missing )")
		}
		return v
	case "attribute_exists", "attribute_not_exists":
		if p.next() != "(" {
			p.fail("missing ( after %s", t)
		}
		_, ok := p.item[p.name(p.next())]
		if p.next() != ")" {
			p.fail("missing ) after %s", t)
		}
		return ok == (t == "attribute_exists")
	default:
		left := p.operand(t)
		op := p.next()
		right := p.operand(p.next())
		switch op {
		case "=":
			return left != "" && left == right
		case "<>":
			return left != right
		case "<=", ">":
			c, ok := compare(left, right)
			if !ok {
				return false
			}
			return (op == "<=" && c <= 0) || (op == ">" && c > 0)
		}
		p.fail("operator %q is outside the allowed subset", op)
		return false
	}
}

// compare orders two operands of one type as DynamoDB does: S by bytes,
// N by value; false when either is missing or the types differ.
func compare(a, b string) (int, bool) {
	if a == "" || b == "" || a[:2] != b[:2] {
		return 0, false
	}
	if a[:2] == "S:" {
		return strings.Compare(a[2:], b[2:]), true
	}
	x, errX := strconv.ParseFloat(a[2:], 64)
	y, errY := strconv.ParseFloat(b[2:], 64)
	if errX != nil || errY != nil {
		return 0, false
	}
	return cmp.Compare(x, y), true
}

func (p *parser) operand(tok string) string {
	var v types.AttributeValue
	if strings.HasPrefix(tok, ":") {
		var ok bool
		if v, ok = p.values[tok]; !ok {
			p.fail("no value for %s", tok)
		}
	} else {
		v = p.item[p.name(tok)]
	}
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return "S:" + v.Value
	case *types.AttributeValueMemberN:
		return "N:" + v.Value
	case nil:
		return ""
	}
	p.fail("unsupported attribute type %T", v)
	return ""
}

func eval(expr string, names map[string]string, values map[string]types.AttributeValue, item map[string]types.AttributeValue) (bool, error) {
	if expr == "" {
		return true, nil
	}
	p := &parser{toks: tokens(expr), names: names, values: values, item: item}
	v := p.or()
	if len(p.toks) > 0 {
		p.fail("trailing tokens %v in %q", p.toks, expr)
	}
	return v, p.err
}

func apply(expr string, names map[string]string, values map[string]types.AttributeValue, item map[string]types.AttributeValue) error {
	p := &parser{toks: tokens(expr), names: names, values: values, item: item}
	for len(p.toks) > 0 && p.err == nil {
		switch clause := strings.ToUpper(p.next()); clause {
		case "SET":
			for {
				n := p.name(p.next())
				if p.next() != "=" {
					p.fail("SET needs =")
				}
				v, ok := values[p.next()]
				if !ok {
					p.fail("SET value must be a placeholder")
				}
				item[n] = v
				if p.peek() != "," {
					break
				}
				p.next()
			}
		case "REMOVE":
			for {
				delete(item, p.name(p.next()))
				if p.peek() != "," {
					break
				}
				p.next()
			}
		default:
			p.fail("update clause %q is outside the allowed subset", clause)
		}
	}
	return p.err
}

// failingDynamo answers every call with an error, as DynamoDB does during an
// outage or throttling.
type failingDynamo struct{}

func (failingDynamo) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return nil, fmt.Errorf("ResourceNotFoundException: Requested resource not found")
}

func (failingDynamo) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return nil, fmt.Errorf("ResourceNotFoundException: Requested resource not found")
}

func (failingDynamo) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return nil, fmt.Errorf("ResourceNotFoundException: Requested resource not found")
}

// TestErrorsNameTheCallbackIDByItsPrefix: a callback id is a capability (the
// callback URL names it); the store's errors reach the logs, the bus's
// retry log and the callback DLQ's ERROR_MESSAGE, so they name it by its
// first 8 characters only, also when the record is in another status.
func TestErrorsNameTheCallbackIDByItsPrefix(t *testing.T) {
	ctx := context.Background()
	const id = "2gD4zAWUMNyIUCmc95LCnIrsbMLr13bfhATO-SIyMCM"
	now := time.Unix(1_700_000_000, 0)
	check := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error", what)
			return
		}
		if strings.Contains(err.Error(), id) || !strings.Contains(err.Error(), id[:8]) {
			t.Errorf("%s: %q, want the id's first 8 characters and not the whole id", what, err)
		}
	}
	s := tokenstore.NewDynamoStore(failingDynamo{}, "tokens")
	_, _, err := s.Put(ctx, tokenstore.Record{CallbackID: id, TaskToken: "t", Status: tokenstore.StatusPending, CreatedAt: now})
	check("Put", err)
	_, err = s.Get(ctx, id)
	check("Get", err)
	check("SetReference", s.SetReference(ctx, id, "ref"))
	_, err = s.Claim(ctx, id, "cb-1")
	check("Claim", err)
	_, err = s.ClaimIf(ctx, id, "cb-1", tokenstore.ClaimGuard{LiveAt: now})
	check("ClaimIf", err)
	check("Resolve", s.Resolve(ctx, id, "cb-1", "SUCCEEDED", "", now))
	check("Expire", s.Expire(ctx, id, "cb-1", "late", now))
	check("Fail", s.Fail(ctx, id, "e", "r", now))

	// A record in another status: the conflict names it the same way.
	for _, st := range []tokenstore.Store{tokenstore.NewDynamoStore(newFakeDynamo(true), "tokens"), tokenstore.NewMemoryStore()} {
		if _, _, err := st.Put(ctx, tokenstore.Record{CallbackID: id, TaskToken: "t", Status: tokenstore.StatusPending, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if err := st.Resolve(ctx, id, "", "SUCCEEDED", "", now); err != nil {
			t.Fatal(err)
		}
		_, err := st.Claim(ctx, id, "cb-2")
		check(fmt.Sprintf("%T: Claim of a RESOLVED record", st), err)
	}
}
