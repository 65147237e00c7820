package dynamo

import (
	"slices"
	"strconv"
	"strings"
)

// pathElem is one step of a document path: an attribute name or a list index.
type pathElem struct {
	name    string
	index   int
	isIndex bool
}

// docPath is a document path such as a.b[2].c.
type docPath []pathElem

func (p docPath) String() string {
	var b strings.Builder
	for i, e := range p {
		switch {
		case e.isIndex:
			b.WriteString("[" + strconv.Itoa(e.index) + "]")
		case i > 0:
			b.WriteString("." + e.name)
		default:
			b.WriteString(e.name)
		}
	}
	return b.String()
}

// Operands and conditions of the expression language.
type (
	operand interface{ isOperand() }
	pathOp  struct{ path docPath }
	valueOp struct {
		name string
		v    Value
	}
	sizeOp        struct{ path docPath }
	ifNotExistsOp struct {
		path docPath
		def  operand
	}
	listAppendOp struct{ a, b operand }
	arithOp      struct {
		minus bool
		a, b  operand
	}

	cond    interface{ isCond() }
	andCond struct{ a, b cond }
	orCond  struct{ a, b cond }
	notCond struct{ c cond }
	cmpCond struct {
		op   string
		a, b operand
	}
	betweenCond struct{ x, lo, hi operand }
	inCond      struct {
		x    operand
		list []operand
	}
	fnCond struct {
		fn   string
		path docPath
		arg  operand
	}
)

func (pathOp) isOperand()        {}
func (valueOp) isOperand()       {}
func (sizeOp) isOperand()        {}
func (ifNotExistsOp) isOperand() {}
func (listAppendOp) isOperand()  {}
func (arithOp) isOperand()       {}
func (andCond) isCond()          {}
func (orCond) isCond()           {}
func (notCond) isCond()          {}
func (cmpCond) isCond()          {}
func (betweenCond) isCond()      {}
func (inCond) isCond()           {}
func (fnCond) isCond()           {}

// exprContext holds a request's ExpressionAttributeNames/Values and tracks
// which ones its expressions use, so that unused ones can be reported.
type exprContext struct {
	names      map[string]string
	values     map[string]Value
	usedNames  map[string]bool
	usedValues map[string]bool
}

func newExprContext(names map[string]string, values map[string]Value) *exprContext {
	return &exprContext{names: names, values: values, usedNames: map[string]bool{}, usedValues: map[string]bool{}}
}

// checkUnused reports names or values that no expression used, as DynamoDB does.
func (c *exprContext) checkUnused() error {
	var unused []string
	for k := range c.names {
		if !c.usedNames[k] {
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 {
		return validation("Value provided in ExpressionAttributeNames unused in expressions: keys: {%s}", strings.Join(sorted(unused), ", "))
	}
	for k := range c.values {
		if !c.usedValues[k] {
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 {
		return validation("Value provided in ExpressionAttributeValues unused in expressions: keys: {%s}", strings.Join(sorted(unused), ", "))
	}
	return nil
}

type parser struct {
	what string // ConditionExpression, UpdateExpression, ...
	src  string
	toks []token
	pos  int
	ctx  *exprContext

	ops   int    // operators and functions so far
	depth int    // current nesting: parentheses, NOT, SET functions
	group [2]int // token positions of the ( and ) of the last parenthesised condition
}

// parser checks the size of an expression and lexes it. Every expression
// parameter, KeyConditionExpression included, is parsed through it.
func (c *exprContext) parser(what, src string) (*parser, error) {
	if len(src) > maxExpressionBytes {
		return nil, validation("Invalid %s: Expression size has exceeded the maximum allowed size; expression size: %d", what, len(src))
	}
	if strings.TrimSpace(src) == "" {
		return nil, validation("Invalid %s: The expression can not be empty;", what)
	}
	toks, err := lex(src)
	if err != nil {
		return nil, validation("Invalid %s: %s", what, strings.TrimPrefix(err.(*Error).Message, "Invalid expression: "))
	}
	return &parser{what: what, src: src, toks: toks, ctx: c}, nil
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

func (p *parser) isPunct(s string) bool { t := p.peek(); return t.kind == tokPunct && t.text == s }

func (p *parser) isKeyword(k string) bool {
	t := p.peek()
	return t.kind == tokIdent && strings.EqualFold(t.text, k)
}

func (p *parser) fail() error {
	t := p.peek()
	tok := t.text
	if t.kind == tokEOF {
		tok = "<EOF>"
	}
	near := p.src[min(t.pos, len(p.src)):]
	if len(near) > 20 {
		near = near[:20]
	}
	return validation("Invalid %s: Syntax error; token: %q, near: %q", p.what, tok, near)
}

func (p *parser) expect(s string) error {
	if !p.isPunct(s) {
		return p.fail()
	}
	p.next()
	return nil
}

func (p *parser) end() error {
	if p.peek().kind != tokEOF {
		return p.fail()
	}
	return nil
}

// op counts an operator or function. Like DynamoDB, the parser stops at the
// 301st, so the count it reports is always 301.
func (p *parser) op() error {
	p.ops++
	if p.ops > maxExpressionOperators {
		return validation("Invalid %s: The expression contains too many operators; operator count: %d", p.what, p.ops)
	}
	return nil
}

// enter goes one level deeper into the expression; leave comes back.
func (p *parser) enter() error {
	p.depth++
	if p.depth > maxExpressionDepth {
		return p.tooDeep()
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// tooDeep explains an expression nested past maxExpressionDepth as DynamoDB
// explains it, without recursing further: unbalanced parentheses are a
// syntax error, a pair of parentheses right inside another is redundant, and
// any other nesting that deep uses more than 300 operators.
func (p *parser) tooDeep() error {
	isPunct := func(t token, s string) bool { return t.kind == tokPunct && t.text == s }
	var (
		afterOpen []bool // for each open (, whether it follows another (
		redundant bool
	)
	for i, t := range p.toks {
		switch {
		case isPunct(t, "("):
			afterOpen = append(afterOpen, i > 0 && isPunct(p.toks[i-1], "("))
		case isPunct(t, ")"):
			if len(afterOpen) == 0 {
				p.pos = i
				return p.fail()
			}
			// (( … )): this pair is all the outer one holds
			redundant = redundant || afterOpen[len(afterOpen)-1] && isPunct(p.toks[i+1], ")")
			afterOpen = afterOpen[:len(afterOpen)-1]
		}
	}
	switch {
	case len(afterOpen) > 0:
		p.pos = len(p.toks) - 1
		return p.fail()
	case redundant:
		return p.redundant()
	}
	return validation("Invalid %s: The expression contains too many operators; operator count: %d", p.what, maxExpressionOperators+1)
}

func (p *parser) redundant() error {
	return validation("Invalid %s: The expression has redundant parentheses;", p.what)
}

// parseCondition parses a whole condition expression.
func (c *exprContext) parseCondition(what, src string) (cond, error) {
	p, err := c.parser(what, src)
	if err != nil {
		return nil, err
	}
	cd, err := p.or()
	if err != nil {
		return nil, err
	}
	return cd, p.end()
}

func (p *parser) or() (cond, error) {
	a, err := p.and()
	for err == nil && p.isKeyword("OR") {
		p.next()
		if err = p.op(); err != nil {
			break
		}
		var b cond
		if b, err = p.and(); err == nil {
			a = orCond{a, b}
		}
	}
	return a, err
}

func (p *parser) and() (cond, error) {
	a, err := p.not()
	for err == nil && p.isKeyword("AND") {
		p.next()
		if err = p.op(); err != nil {
			break
		}
		var b cond
		if b, err = p.not(); err == nil {
			a = andCond{a, b}
		}
	}
	return a, err
}

func (p *parser) not() (cond, error) {
	if p.isKeyword("NOT") {
		p.next()
		if err := p.op(); err != nil {
			return nil, err
		}
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer p.leave()
		c, err := p.not()
		return notCond{c}, err
	}
	return p.primary()
}

var condFuncs = map[string]bool{"attribute_exists": true, "attribute_not_exists": true, "attribute_type": true, "begins_with": true, "contains": true}

func (p *parser) primary() (cond, error) {
	if p.isPunct("(") {
		return p.parenthesised()
	}
	if t := p.peek(); t.kind == tokIdent && condFuncs[t.text] && p.toks[p.pos+1].text == "(" {
		return p.function()
	}
	x, err := p.operand()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	switch {
	case t.kind == tokPunct && strings.Contains("= <> < <= > >=", t.text) && t.text != " ":
		p.next()
		if err := p.op(); err != nil {
			return nil, err
		}
		y, err := p.operand()
		return cmpCond{t.text, x, y}, err
	case p.isKeyword("BETWEEN"):
		p.next()
		if err := p.op(); err != nil {
			return nil, err
		}
		lo, err := p.operand()
		if err != nil {
			return nil, err
		}
		if !p.isKeyword("AND") {
			return nil, p.fail()
		}
		p.next()
		hi, err := p.operand()
		return betweenCond{x, lo, hi}, err
	case p.isKeyword("IN"):
		p.next()
		if err := p.op(); err != nil {
			return nil, err
		}
		if err := p.expect("("); err != nil {
			return nil, err
		}
		var list []operand
		for {
			y, err := p.operand()
			if err != nil {
				return nil, err
			}
			list = append(list, y)
			if !p.isPunct(",") {
				break
			}
			p.next()
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		if len(list) > maxInOperands {
			return nil, validation("Invalid %s: The IN operator is provided with too many operands; number of operands: %d", p.what, len(list))
		}
		return inCond{x, list}, nil
	}
	return nil, p.fail()
}

// parenthesised parses ( condition ). Like DynamoDB it refuses a pair of
// parentheses right inside another, as in ((a = :v)).
func (p *parser) parenthesised() (cond, error) {
	open := p.pos
	p.next()
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	c, err := p.or()
	if err != nil {
		return nil, err
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	if p.group == [2]int{open + 1, p.pos - 2} {
		return nil, p.redundant()
	}
	p.group = [2]int{open, p.pos - 1}
	return c, nil
}

func (p *parser) function() (cond, error) {
	if err := p.op(); err != nil {
		return nil, err
	}
	fn := p.next().text
	p.next() // (
	path, err := p.path()
	if err != nil {
		return nil, err
	}
	c := fnCond{fn: fn, path: path}
	if fn != "attribute_exists" && fn != "attribute_not_exists" {
		if err := p.expect(","); err != nil {
			return nil, err
		}
		if c.arg, err = p.operand(); err != nil {
			return nil, err
		}
	}
	return c, p.expect(")")
}

// operand parses a path, a :value or size(path).
func (p *parser) operand() (operand, error) {
	t := p.peek()
	switch {
	case t.kind == tokValue:
		return p.value()
	case t.kind == tokIdent && t.text == "size" && p.toks[p.pos+1].text == "(":
		if err := p.op(); err != nil {
			return nil, err
		}
		p.next()
		p.next()
		path, err := p.path()
		if err != nil {
			return nil, err
		}
		return sizeOp{path}, p.expect(")")
	}
	path, err := p.path()
	return pathOp{path}, err
}

func (p *parser) value() (operand, error) {
	t := p.next()
	v, ok := p.ctx.values[t.text]
	if !ok {
		return nil, validation("Invalid %s: An expression attribute value used in expression is not defined; attribute value: %s", p.what, t.text)
	}
	p.ctx.usedValues[t.text] = true
	return valueOp{t.text, v}, nil
}

func (p *parser) path() (docPath, error) {
	var out docPath
	name, err := p.pathName()
	if err != nil {
		return nil, err
	}
	out = append(out, pathElem{name: name})
	for {
		switch {
		case p.isPunct("."):
			p.next()
			name, err := p.pathName()
			if err != nil {
				return nil, err
			}
			out = append(out, pathElem{name: name})
		case p.isPunct("["):
			p.next()
			t := p.next()
			n, err := strconv.Atoi(t.text)
			if t.kind != tokNumber || err != nil {
				return nil, p.fail()
			}
			if err := p.expect("]"); err != nil {
				return nil, err
			}
			out = append(out, pathElem{index: n, isIndex: true})
		default:
			return out, nil
		}
	}
}

func (p *parser) pathName() (string, error) {
	t := p.peek()
	switch t.kind {
	case tokName:
		p.next()
		n, ok := p.ctx.names[t.text]
		if !ok {
			return "", validation("Invalid %s: An expression attribute name used in the document path is not defined; attribute name: %s", p.what, t.text)
		}
		p.ctx.usedNames[t.text] = true
		return n, nil
	case tokIdent:
		p.next()
		if reserved[strings.ToUpper(t.text)] {
			return "", validation("Invalid %s: Attribute name is a reserved keyword; reserved keyword: %s", p.what, t.text)
		}
		return t.text, nil
	}
	return "", p.fail()
}

// parseProjection parses a ProjectionExpression.
func (c *exprContext) parseProjection(src string) ([]docPath, error) {
	p, err := c.parser("ProjectionExpression", src)
	if err != nil {
		return nil, err
	}
	var out []docPath
	for {
		path, err := p.path()
		if err != nil {
			return nil, err
		}
		out = append(out, path)
		if !p.isPunct(",") {
			break
		}
		p.next()
	}
	return out, p.end()
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}
