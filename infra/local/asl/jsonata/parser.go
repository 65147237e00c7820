package jsonata

// The parser is a port of jsonata-js's parser.js: Pratt's top-down operator
// precedence parser building a parse tree, then processAST turning it into
// the evaluator's AST (paths flattened into steps, predicates into stages,
// parent references resolved, tail calls marked).

// node is both a parse-tree node and an AST node.
type node struct {
	id       string // symbol id (parse tree only)
	typ      string
	value    any
	position int

	lhs, rhs    *node
	lhsPairs    [][2]*node // object constructor / group-by pairs
	rhsPairs    [][2]*node
	terms       []sortTerm
	expression  *node
	expressions []*node
	arguments   []*node
	procedure   *node
	body        *node
	signature   *signature
	condition   *node
	then        *node
	els         *node
	pattern     *node
	update      *node
	del         *node
	steps       []*node
	predicate   []*stage
	stages      []*stage
	group       *groupBy
	slot        *slot
	ancestor    *slot
	seeking     []*slot
	focus       string
	index       string

	keepArray          bool
	keepSingletonArray bool
	consarray          bool
	tuple              bool
	thunk              bool
	hasFocus           bool
	hasIndex           bool
}

type sortTerm struct {
	descending bool
	expression *node
}

type stage struct {
	typ      string // "filter" or "index"
	expr     *node
	value    string
	position int
}

type groupBy struct {
	pairs    [][2]*node
	position int
}

type slot struct {
	label string
	level int
	index int
}

func (n *node) str() string {
	if s, ok := n.value.(string); ok {
		return s
	}
	return ""
}

// clone deep-copies a parse tree (JSON.parse(JSON.stringify(node)) in the
// reference implementation).
func (n *node) clone() *node {
	if n == nil {
		return nil
	}
	c := *n
	c.lhs = n.lhs.clone()
	c.rhs = n.rhs.clone()
	c.lhsPairs = clonePairs(n.lhsPairs)
	c.rhsPairs = clonePairs(n.rhsPairs)
	if n.terms != nil {
		c.terms = make([]sortTerm, len(n.terms))
		for i, t := range n.terms {
			c.terms[i] = sortTerm{descending: t.descending, expression: t.expression.clone()}
		}
	}
	c.expression = n.expression.clone()
	c.expressions = cloneNodes(n.expressions)
	c.arguments = cloneNodes(n.arguments)
	c.procedure = n.procedure.clone()
	c.body = n.body.clone()
	c.condition = n.condition.clone()
	c.then = n.then.clone()
	c.els = n.els.clone()
	c.pattern = n.pattern.clone()
	c.update = n.update.clone()
	c.del = n.del.clone()
	c.steps = cloneNodes(n.steps)
	return &c
}

func cloneNodes(ns []*node) []*node {
	if ns == nil {
		return nil
	}
	out := make([]*node, len(ns))
	for i, x := range ns {
		out[i] = x.clone()
	}
	return out
}

func clonePairs(ps [][2]*node) [][2]*node {
	if ps == nil {
		return nil
	}
	out := make([][2]*node, len(ps))
	for i, p := range ps {
		out[i] = [2]*node{p[0].clone(), p[1].clone()}
	}
	return out
}

type symbol struct {
	id  string
	lbp int
	nud func(p *parser, self *node) *node
	led func(p *parser, self *node, left *node) *node
}

type parser struct {
	source  string
	lex     *lexer
	current *node
	symbols map[string]*symbol

	ancestorLabel int
	ancestorIndex int
	ancestry      []*node
	depth         int
}

func (p *parser) symbol(id string, bp int) *symbol {
	s := p.symbols[id]
	if s != nil {
		if bp >= s.lbp {
			s.lbp = bp
		}
		return s
	}
	s = &symbol{id: id, lbp: bp}
	p.symbols[id] = s
	return s
}

func (p *parser) sym(n *node) *symbol { return p.symbols[n.id] }

func (p *parser) advance(id string, infix bool) *node {
	if id != "" && p.current.id != id {
		code := "S0202"
		if p.current.id == "(end)" {
			code = "S0203"
		}
		throw(&Error{Code: code, Position: p.current.position, hasPos: true, Token: tokenText(p.current), hasToken: true, Value: id})
	}
	t := p.lex.next(infix)
	if t == nil {
		p.current = &node{id: "(end)", position: len(p.source)}
		return p.current
	}
	var symID string
	switch t.typ {
	case tokName, tokVariable:
		symID = "(name)"
	case tokOperator:
		op := t.value.(string)
		if p.symbols[op] == nil {
			throw(&Error{Code: "S0204", Position: t.position, hasPos: true, Token: op, hasToken: true})
		}
		symID = op
	case tokString, tokNumber, tokValue:
		symID = "(literal)"
	case tokRegex:
		symID = "(regex)"
	default:
		throw(&Error{Code: "S0205", Position: t.position, hasPos: true})
	}
	p.current = &node{id: symID, typ: t.typ, value: t.value, position: t.position}
	return p.current
}

func tokenText(n *node) string {
	switch v := n.value.(type) {
	case string:
		return v
	case float64:
		return formatNumberJS(v)
	case bool:
		if v {
			return "true"
		}
		return "false"
	case nullValue:
		return "null"
	case *regexLiteral:
		return "/" + v.source + "/"
	}
	return ""
}

func (p *parser) expression(rbp int) *node {
	p.depth++
	if p.depth > maxNesting {
		throw(&Error{Code: "S0219", Position: p.current.position, hasPos: true})
	}
	defer func() { p.depth-- }()
	t := p.current
	p.advance("", true)
	s := p.sym(t)
	left := s.nud(p, t)
	for rbp < p.sym(p.current).lbp {
		t = p.current
		p.advance("", false)
		left = p.sym(t).led(p, t, left)
	}
	return left
}

func baseNud(p *parser, self *node) *node {
	throw(&Error{Code: "S0211", Position: self.position, hasPos: true, Token: tokenText(self), hasToken: true})
	return nil
}

func newParser(source string) *parser {
	p := &parser{source: source, lex: &lexer{path: source, length: len(source)}, symbols: map[string]*symbol{}}
	terminal := func(id string) {
		s := p.symbol(id, 0)
		s.nud = func(p *parser, self *node) *node { return self }
	}
	infix := func(id string, bp int, led func(p *parser, self, left *node) *node) {
		if bp == 0 {
			bp = operatorBP[id]
		}
		s := p.symbol(id, bp)
		if led == nil {
			led = func(p *parser, self, left *node) *node {
				self.lhs = left
				self.rhs = p.expression(bp)
				self.typ = "binary"
				return self
			}
		}
		s.led = led
	}
	infixr := func(id string, bp int, led func(p *parser, self, left *node) *node) {
		s := p.symbol(id, bp)
		s.led = led
	}
	prefix := func(id string, nud func(p *parser, self *node) *node) {
		s := p.symbol(id, 0)
		if nud == nil {
			nud = func(p *parser, self *node) *node {
				self.expression = p.expression(70)
				self.typ = "unary"
				return self
			}
		}
		s.nud = nud
	}

	terminal("(end)")
	terminal("(name)")
	terminal("(literal)")
	terminal("(regex)")
	for _, s := range []string{":", ";", ",", ")", "]", "}", ".."} {
		p.symbol(s, 0)
	}
	for _, op := range []string{".", "+", "-", "*", "/", "%", "=", "<", ">", "!=", "<=", ">=", "&", "and", "or", "in"} {
		infix(op, 0, nil)
	}
	terminal("and")
	terminal("or")
	terminal("in")
	prefix("-", nil)
	infix("~>", 0, nil)

	infix("??", operatorBP["??"], func(p *parser, self, left *node) *node {
		self.typ = "condition"
		self.condition = &node{typ: "function", value: "(", position: self.position,
			procedure: &node{typ: tokVariable, value: "exists", position: self.position},
			arguments: []*node{left.clone()}}
		self.then = left
		self.els = p.expression(0)
		return self
	})

	prefix("*", func(p *parser, self *node) *node { self.typ = "wildcard"; return self })
	prefix("**", func(p *parser, self *node) *node { self.typ = "descendant"; return self })
	prefix("%", func(p *parser, self *node) *node { self.typ = "parent"; return self })

	infix("(", operatorBP["("], func(p *parser, self, left *node) *node {
		self.procedure = left
		self.typ = "function"
		self.arguments = []*node{}
		if p.current.id != ")" {
			for {
				if p.current.typ == tokOperator && p.current.id == "?" {
					self.typ = "partial"
					self.arguments = append(self.arguments, p.current)
					p.advance("?", false)
				} else {
					self.arguments = append(self.arguments, p.expression(0))
				}
				if p.current.id != "," {
					break
				}
				p.advance(",", false)
			}
		}
		p.advance(")", true)
		if left.typ == tokName && (left.value == "function" || left.value == "\u03BB") {
			for i, arg := range self.arguments {
				if arg.typ != tokVariable {
					throw(&Error{Code: "S0208", Position: arg.position, hasPos: true, Token: tokenText(arg), hasToken: true, Value: float64(i + 1)})
				}
			}
			self.typ = "lambda"
			if p.current.id == "<" {
				sigPos := p.current.position
				depth := 1
				sig := "<"
				for depth > 0 && p.current.id != "{" && p.current.id != "(end)" {
					tok := p.advance("", false)
					switch tok.id {
					case ">":
						depth--
					case "<":
						depth++
					}
					sig += tokenText(tok)
				}
				p.advance(">", false)
				s, err := parseSignature(sig)
				if err != nil {
					err.setPos(sigPos + err.Position)
					throw(err)
				}
				self.signature = s
			}
			p.advance("{", false)
			self.body = p.expression(0)
			p.advance("}", false)
		}
		return self
	})

	prefix("(", func(p *parser, self *node) *node {
		var exprs []*node
		for p.current.id != ")" {
			exprs = append(exprs, p.expression(0))
			if p.current.id != ";" {
				break
			}
			p.advance(";", false)
		}
		p.advance(")", true)
		self.typ = "block"
		self.expressions = exprs
		return self
	})

	prefix("[", func(p *parser, self *node) *node {
		a := []*node{}
		if p.current.id != "]" {
			for {
				item := p.expression(0)
				if p.current.id == ".." {
					rng := &node{typ: "binary", value: "..", position: p.current.position, lhs: item}
					p.advance("..", false)
					rng.rhs = p.expression(0)
					item = rng
				}
				a = append(a, item)
				if p.current.id != "," {
					break
				}
				p.advance(",", false)
			}
		}
		p.advance("]", true)
		self.expressions = a
		self.typ = "unary"
		return self
	})

	infix("[", operatorBP["["], func(p *parser, self, left *node) *node {
		if p.current.id == "]" {
			step := left
			for step != nil && step.typ == "binary" && step.value == "[" {
				step = step.lhs
			}
			step.keepArray = true
			p.advance("]", false)
			return left
		}
		self.lhs = left
		self.rhs = p.expression(operatorBP["]"])
		self.typ = "binary"
		p.advance("]", true)
		return self
	})

	infix("^", operatorBP["^"], func(p *parser, self, left *node) *node {
		p.advance("(", false)
		var terms []sortTerm
		for {
			term := sortTerm{}
			switch p.current.id {
			case "<":
				p.advance("<", false)
			case ">":
				term.descending = true
				p.advance(">", false)
			}
			term.expression = p.expression(0)
			terms = append(terms, term)
			if p.current.id != "," {
				break
			}
			p.advance(",", false)
		}
		p.advance(")", false)
		self.lhs = left
		self.terms = terms
		self.typ = "binary"
		return self
	})

	objectParser := func(p *parser, self, left *node) *node {
		var a [][2]*node
		if p.current.id != "}" {
			for {
				n := p.expression(0)
				p.advance(":", false)
				v := p.expression(0)
				a = append(a, [2]*node{n, v})
				if p.current.id != "," {
					break
				}
				p.advance(",", false)
			}
		}
		p.advance("}", true)
		if left == nil {
			self.lhsPairs = a
			if self.lhsPairs == nil {
				self.lhsPairs = [][2]*node{}
			}
			self.typ = "unary"
		} else {
			self.lhs = left
			self.rhsPairs = a
			if self.rhsPairs == nil {
				self.rhsPairs = [][2]*node{}
			}
			self.typ = "binary"
		}
		return self
	}
	prefix("{", func(p *parser, self *node) *node { return objectParser(p, self, nil) })
	infix("{", operatorBP["{"], objectParser)

	infixr(":=", operatorBP[":="], func(p *parser, self, left *node) *node {
		if left.typ != tokVariable {
			throw(&Error{Code: "S0212", Position: left.position, hasPos: true, Token: tokenText(left), hasToken: true})
		}
		self.lhs = left
		self.rhs = p.expression(operatorBP[":="] - 1)
		self.typ = "binary"
		return self
	})

	bindLed := func(op string) func(p *parser, self, left *node) *node {
		return func(p *parser, self, left *node) *node {
			self.lhs = left
			self.rhs = p.expression(operatorBP[op])
			if self.rhs.typ != tokVariable {
				throw(&Error{Code: "S0214", Position: self.rhs.position, hasPos: true, Token: op, hasToken: true})
			}
			self.typ = "binary"
			return self
		}
	}
	infix("@", operatorBP["@"], bindLed("@"))
	infix("#", operatorBP["#"], bindLed("#"))

	infix("?", operatorBP["?"], func(p *parser, self, left *node) *node {
		self.typ = "condition"
		self.condition = left
		self.then = p.expression(0)
		if p.current.id == ":" {
			p.advance(":", false)
			self.els = p.expression(0)
		}
		return self
	})

	infix("?:", operatorBP["?:"], func(p *parser, self, left *node) *node {
		self.typ = "condition"
		self.condition = left.clone()
		self.then = left
		self.els = p.expression(0)
		return self
	})

	prefix("|", func(p *parser, self *node) *node {
		self.typ = "transform"
		self.pattern = p.expression(0)
		p.advance("|", false)
		self.update = p.expression(0)
		if p.current.id == "," {
			p.advance(",", false)
			self.del = p.expression(0)
		}
		p.advance("|", false)
		return self
	})

	// every symbol without a nud gets the error nud
	for _, s := range p.symbols {
		if s.nud == nil {
			s.nud = baseNud
		}
	}
	return p
}

// parse parses an expression into the evaluator's AST.
func parse(source string) (ast *node, err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(*Error); ok {
				e.populate()
				err = e
				return
			}
			panic(r)
		}
	}()
	p := newParser(source)
	p.advance("", false)
	expr := p.expression(0)
	if p.current.id != "(end)" {
		throw(&Error{Code: "S0201", Position: p.current.position, hasPos: true, Token: tokenText(p.current), hasToken: true})
	}
	expr = p.processAST(expr)
	if expr.typ == "parent" || expr.seeking != nil {
		throw(&Error{Code: "S0217", Position: expr.position, hasPos: true, Token: expr.typ, hasToken: true})
	}
	return expr, nil
}

func tailCallOptimize(expr *node) *node {
	switch {
	case expr.typ == "function" && expr.predicate == nil:
		return &node{typ: "lambda", thunk: true, arguments: []*node{}, position: expr.position, body: expr}
	case expr.typ == "condition":
		expr.then = tailCallOptimize(expr.then)
		if expr.els != nil {
			expr.els = tailCallOptimize(expr.els)
		}
		return expr
	case expr.typ == "block":
		if n := len(expr.expressions); n > 0 {
			expr.expressions[n-1] = tailCallOptimize(expr.expressions[n-1])
		}
		return expr
	}
	return expr
}

func (p *parser) seekParent(n *node, s *slot) *slot {
	switch n.typ {
	case "name", "wildcard":
		s.level--
		if s.level == 0 {
			if n.ancestor == nil {
				n.ancestor = s
			} else {
				p.ancestry[s.index].slot.label = n.ancestor.label
				n.ancestor = s
			}
			n.tuple = true
		}
	case "parent":
		s.level++
	case "block":
		if len(n.expressions) > 0 {
			n.tuple = true
			s = p.seekParent(n.expressions[len(n.expressions)-1], s)
		}
	case "path":
		n.tuple = true
		index := len(n.steps) - 1
		s = p.seekParent(n.steps[index], s)
		index--
		for s.level > 0 && index >= 0 {
			s = p.seekParent(n.steps[index], s)
			index--
		}
	default:
		throw(&Error{Code: "S0217", Position: n.position, hasPos: true, Token: n.typ, hasToken: true})
	}
	return s
}

func pushAncestry(result, value *node) {
	if value.seeking != nil || value.typ == "parent" {
		slots := value.seeking
		if value.typ == "parent" {
			slots = append(slots, value.slot)
		}
		if result.seeking == nil {
			result.seeking = append([]*slot{}, slots...)
		} else {
			result.seeking = append(result.seeking, slots...)
		}
	}
}

func (p *parser) resolveAncestry(path *node) {
	index := len(path.steps) - 1
	laststep := path.steps[index]
	slots := laststep.seeking
	if laststep.typ == "parent" {
		slots = append(append([]*slot{}, slots...), laststep.slot)
	}
	for _, s := range slots {
		index = len(path.steps) - 2
		for s.level > 0 {
			if index < 0 {
				path.seeking = append(path.seeking, s)
				break
			}
			step := path.steps[index]
			index--
			for index >= 0 && step.hasFocus && path.steps[index].hasFocus {
				step = path.steps[index]
				index--
			}
			s = p.seekParent(step, s)
		}
	}
}

func (p *parser) processAST(expr *node) *node {
	p.depth++
	if p.depth > maxNesting*4 {
		throw(&Error{Code: "S0219", Position: expr.position, hasPos: true})
	}
	defer func() { p.depth-- }()
	var result *node
	switch expr.typ {
	case "binary":
		switch expr.value {
		case ".":
			lstep := p.processAST(expr.lhs)
			if lstep.typ == "path" {
				result = lstep
			} else {
				result = &node{typ: "path", steps: []*node{lstep}}
			}
			if lstep.typ == "parent" {
				result.seeking = []*slot{lstep.slot}
			}
			rest := p.processAST(expr.rhs)
			if rest.typ == "path" {
				result.steps = append(result.steps, rest.steps...)
			} else {
				if rest.predicate != nil {
					rest.stages = rest.predicate
					rest.predicate = nil
				}
				result.steps = append(result.steps, rest)
			}
			for _, step := range result.steps {
				if step.typ == tokNumber || step.typ == tokValue {
					throw(&Error{Code: "S0213", Position: step.position, hasPos: true, Value: step.value})
				}
				if step.typ == tokString {
					step.typ = "name"
				}
			}
			for _, step := range result.steps {
				if step.keepArray {
					result.keepSingletonArray = true
					break
				}
			}
			first := result.steps[0]
			if first.typ == "unary" && first.value == "[" {
				first.consarray = true
			}
			last := result.steps[len(result.steps)-1]
			if last.typ == "unary" && last.value == "[" {
				last.consarray = true
			}
			p.resolveAncestry(result)
		case "[":
			result = p.processAST(expr.lhs)
			step := result
			isStages := false
			if result.typ == "path" {
				step = result.steps[len(result.steps)-1]
				isStages = true
			}
			if step.group != nil {
				throw(&Error{Code: "S0209", Position: expr.position, hasPos: true})
			}
			pred := p.processAST(expr.rhs)
			if pred.seeking != nil {
				for _, s := range pred.seeking {
					if s.level == 1 {
						p.seekParent(step, s)
					} else {
						s.level--
					}
				}
				pushAncestry(step, pred)
			}
			st := &stage{typ: "filter", expr: pred, position: expr.position}
			if isStages {
				step.stages = append(step.stages, st)
			} else {
				step.predicate = append(step.predicate, st)
			}
		case "{":
			result = p.processAST(expr.lhs)
			if result.group != nil {
				throw(&Error{Code: "S0210", Position: expr.position, hasPos: true})
			}
			pairs := make([][2]*node, len(expr.rhsPairs))
			for i, pair := range expr.rhsPairs {
				pairs[i] = [2]*node{p.processAST(pair[0]), p.processAST(pair[1])}
			}
			result.group = &groupBy{pairs: pairs, position: expr.position}
		case "^":
			result = p.processAST(expr.lhs)
			if result.typ != "path" {
				result = &node{typ: "path", steps: []*node{result}}
			}
			sortStep := &node{typ: "sort", position: expr.position}
			for _, t := range expr.terms {
				e := p.processAST(t.expression)
				pushAncestry(sortStep, e)
				sortStep.terms = append(sortStep.terms, sortTerm{descending: t.descending, expression: e})
			}
			result.steps = append(result.steps, sortStep)
			p.resolveAncestry(result)
		case ":=":
			result = &node{typ: "bind", value: expr.value, position: expr.position}
			result.lhs = p.processAST(expr.lhs)
			result.rhs = p.processAST(expr.rhs)
			pushAncestry(result, result.rhs)
		case "@":
			result = p.processAST(expr.lhs)
			step := result
			if result.typ == "path" {
				step = result.steps[len(result.steps)-1]
			}
			if step.stages != nil || step.predicate != nil {
				throw(&Error{Code: "S0215", Position: expr.position, hasPos: true})
			}
			if step.typ == "sort" {
				throw(&Error{Code: "S0216", Position: expr.position, hasPos: true})
			}
			if expr.keepArray {
				step.keepArray = true
			}
			step.focus = expr.rhs.str()
			step.hasFocus = true
			step.tuple = true
		case "#":
			result = p.processAST(expr.lhs)
			step := result
			if result.typ == "path" {
				step = result.steps[len(result.steps)-1]
			} else {
				result = &node{typ: "path", steps: []*node{result}}
				if step.predicate != nil {
					step.stages = step.predicate
					step.predicate = nil
				}
			}
			if step.stages == nil {
				step.index = expr.rhs.str()
				step.hasIndex = true
			} else {
				step.stages = append(step.stages, &stage{typ: "index", value: expr.rhs.str(), position: expr.position})
			}
			step.tuple = true
		case "~>":
			result = &node{typ: "apply", value: expr.value, position: expr.position}
			result.lhs = p.processAST(expr.lhs)
			result.rhs = p.processAST(expr.rhs)
			result.keepArray = result.lhs.keepArray || result.rhs.keepArray
		default:
			result = &node{typ: expr.typ, value: expr.value, position: expr.position}
			result.lhs = p.processAST(expr.lhs)
			result.rhs = p.processAST(expr.rhs)
			pushAncestry(result, result.lhs)
			pushAncestry(result, result.rhs)
		}
	case "unary":
		result = &node{typ: expr.typ, value: expr.value, position: expr.position}
		switch expr.value {
		case "[":
			result.expressions = make([]*node, 0, len(expr.expressions))
			for _, item := range expr.expressions {
				v := p.processAST(item)
				pushAncestry(result, v)
				result.expressions = append(result.expressions, v)
			}
		case "{":
			result.lhsPairs = make([][2]*node, 0, len(expr.lhsPairs))
			for _, pair := range expr.lhsPairs {
				k := p.processAST(pair[0])
				pushAncestry(result, k)
				v := p.processAST(pair[1])
				pushAncestry(result, v)
				result.lhsPairs = append(result.lhsPairs, [2]*node{k, v})
			}
		default:
			result.expression = p.processAST(expr.expression)
			if expr.value == "-" && result.expression.typ == tokNumber {
				result = result.expression
				result.value = -result.value.(float64)
			} else {
				pushAncestry(result, result.expression)
			}
		}
	case "function", "partial":
		result = &node{typ: expr.typ, value: expr.value, position: expr.position}
		result.arguments = make([]*node, 0, len(expr.arguments))
		for _, arg := range expr.arguments {
			a := p.processAST(arg)
			pushAncestry(result, a)
			result.arguments = append(result.arguments, a)
		}
		result.procedure = p.processAST(expr.procedure)
	case "lambda":
		result = &node{typ: expr.typ, arguments: expr.arguments, signature: expr.signature, position: expr.position}
		body := p.processAST(expr.body)
		result.body = tailCallOptimize(body)
	case "condition":
		result = &node{typ: expr.typ, position: expr.position}
		result.condition = p.processAST(expr.condition)
		pushAncestry(result, result.condition)
		result.then = p.processAST(expr.then)
		pushAncestry(result, result.then)
		if expr.els != nil {
			result.els = p.processAST(expr.els)
			pushAncestry(result, result.els)
		}
	case "transform":
		result = &node{typ: expr.typ, position: expr.position}
		result.pattern = p.processAST(expr.pattern)
		result.update = p.processAST(expr.update)
		if expr.del != nil {
			result.del = p.processAST(expr.del)
		}
	case "block":
		result = &node{typ: expr.typ, position: expr.position}
		result.expressions = make([]*node, 0, len(expr.expressions))
		for _, item := range expr.expressions {
			part := p.processAST(item)
			pushAncestry(result, part)
			if part.consarray || (part.typ == "path" && part.steps[0].consarray) {
				result.consarray = true
			}
			result.expressions = append(result.expressions, part)
		}
	case tokName:
		result = &node{typ: "path", steps: []*node{expr}}
		if expr.keepArray {
			result.keepSingletonArray = true
		}
	case "parent":
		result = &node{typ: "parent", position: expr.position, slot: &slot{label: "!" + itoa(p.ancestorLabel), level: 1, index: p.ancestorIndex}}
		p.ancestorLabel++
		p.ancestorIndex++
		p.ancestry = append(p.ancestry, result)
	case tokString, tokNumber, tokValue, "wildcard", "descendant", tokVariable, tokRegex:
		result = expr
	case tokOperator:
		switch expr.value {
		case "and", "or", "in":
			expr.typ = tokName
			result = p.processAST(expr)
		case "?":
			result = expr
		default:
			throw(&Error{Code: "S0201", Position: expr.position, hasPos: true, Token: tokenText(expr), hasToken: true})
		}
	default:
		code := "S0206"
		if expr.id == "(end)" {
			code = "S0207"
		}
		throw(&Error{Code: code, Position: expr.position, hasPos: true, Token: tokenText(expr), hasToken: true})
	}
	if expr.keepArray {
		result.keepArray = true
	}
	return result
}

func itoa(i int) string {
	return formatNumberJS(float64(i))
}
