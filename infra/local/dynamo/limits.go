package dynamo

// DynamoDB's limits on expressions and items (developer guide, "Constraints":
// "Expression parameters" and "Attributes"), enforced so that the local stack
// refuses what AWS refuses and no request can cost unbounded time or stack.
const (
	// maxExpressionBytes bounds every expression string: "The maximum length
	// of any expression string is 4 KB."
	maxExpressionBytes = 4096
	// maxExpressionOperators bounds the operators and functions of one
	// expression: "The maximum number of operators or functions allowed in
	// a single expression is 300." The = of a SET action does not count.
	maxExpressionOperators = 300
	// maxInOperands bounds an IN list: "The maximum number of operands for
	// the IN comparator is 100."
	maxInOperands = 100
	// maxExpressionDepth bounds the parser's recursion (parentheses, NOT and
	// nested SET functions). An expression AWS accepts nests far less: each
	// level past a redundant pair of parentheses uses up an operator, at
	// most 300 of them, and a NOT with its parentheses takes two levels.
	maxExpressionDepth = 1024
	// maxNestingLevels bounds the nesting of attribute values: "DynamoDB
	// supports nested attributes up to 32 levels deep." A top-level
	// attribute is at level 1.
	maxNestingLevels = 32
	// maxAttributeNameBytes bounds a top-level attribute name: "Attribute
	// names must be at least one character long and less than 64 KB in
	// size" (developer guide, "Naming rules"); botocore's model gives
	// AttributeName a max of 65535, and a name of 65535 bytes is accepted.
	maxAttributeNameBytes = 65535
)

// maxRequestDepth bounds how deep a request body's JSON may nest before it
// is decoded. An attribute value within maxNestingLevels is at most
// 2*maxNestingLevels JSON levels deep ({"M":{...}} and {"L":[...]} take two
// levels each, a set's array one) and sits at most 6 levels inside a request
// (BatchWriteItem: RequestItems, the table's list, its element, PutRequest,
// Item); 2 more are margin. A deeper body holds a value past the limit,
// which validate refuses anyway; refusing it first matters because decoding
// costs the depth times the size: encoding/json decodes each level's value
// again from its text, so a 44 KB value nested 4,900 levels took 3.5 s and
// eight of them at once took 5 GB.
const maxRequestDepth = 2*maxNestingLevels + 8

// jsonDeeper reports whether the JSON text data nests objects and arrays
// more than limit deep. It reads data once, stops at the first level past
// limit, and needs no valid JSON (the decoder judges that afterwards).
func jsonDeeper(data []byte, limit int) bool {
	depth := 0
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '"':
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			if depth++; depth > limit {
				return true
			}
		case '}', ']':
			depth--
		}
	}
	return false
}

// msgNesting is DynamoDB's answer to a value nested deeper than 32 levels
// (wording from DynamoDB Local's error table and the floci emulator's
// conformance tests; the second part could not be checked against AWS).
const msgNesting = "1 validation error detected: Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit"

// validate checks a value a request gives, at the given nesting level: its
// numbers are within DynamoDB's limits and it nests at most 32 levels.
func (v Value) validate(level int) error {
	if level > maxNestingLevels {
		return validation("%s", msgNesting)
	}
	switch v.Type {
	case TypeN:
		_, err := parseNumber(v.S)
		return err
	case TypeNS:
		for _, s := range v.Set {
			if _, err := parseNumber(s); err != nil {
				return err
			}
		}
	case TypeM:
		for _, c := range v.M {
			if err := c.validate(level + 1); err != nil {
				return err
			}
		}
	case TypeL:
		for _, c := range v.L {
			if err := c.validate(level + 1); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkNames refuses an Item (param "item") or a Key (param "key") with an
// attribute name longer than 65535 bytes, and an Item with an empty one.
// AWS's wording for these could not be found recorded: the messages are
// those of AWS's request validation for a map key out of its model's length
// bounds, as recorded for other parameters ("Map keys must satisfy
// constraint", dynalite's BatchWriteItem tests). A Key with an empty name
// is not the table's key, and keyCols refuses it as DynamoDB does.
func (it Item) checkNames(param string, item bool) error {
	for name := range it {
		switch {
		case len(name) > maxAttributeNameBytes:
			return validation("1 validation error detected: Value at '%s' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to %d]", param, maxAttributeNameBytes)
		case name == "" && item:
			return validation("1 validation error detected: Value at '%s' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length greater than or equal to 1]", param)
		}
	}
	return nil
}

// validate checks every attribute of an item or key a request gives.
func (it Item) validate() error {
	for _, v := range it {
		if err := v.validate(1); err != nil {
			return err
		}
	}
	return nil
}

// checkNesting checks that an item a write produces nests at most 32 levels:
// SET can put a value deep inside an existing one. Without the check an item
// could grow past what the JSON decoder reads back.
func (it Item) checkNesting() error {
	for _, v := range it {
		if nestedDeeper(v, 1) {
			return validation("%s", msgNesting)
		}
	}
	return nil
}

func nestedDeeper(v Value, level int) bool {
	if level > maxNestingLevels {
		return true
	}
	switch v.Type {
	case TypeM:
		for _, c := range v.M {
			if nestedDeeper(c, level+1) {
				return true
			}
		}
	case TypeL:
		for _, c := range v.L {
			if nestedDeeper(c, level+1) {
				return true
			}
		}
	}
	return false
}
