package dynamo

import (
	"strings"
)

// updateExpr is a parsed UpdateExpression.
type updateExpr struct {
	sets    []setAction
	removes []docPath
	adds    []setAction // ADD path :v
	deletes []setAction // DELETE path :v
}

type setAction struct {
	path docPath
	val  operand
}

// paths returns every path the update writes.
func (u *updateExpr) paths() []docPath {
	var out []docPath
	for _, a := range u.sets {
		out = append(out, a.path)
	}
	out = append(out, u.removes...)
	for _, a := range append(u.adds, u.deletes...) {
		out = append(out, a.path)
	}
	return out
}

// parseUpdate parses an UpdateExpression: SET, REMOVE, ADD and DELETE clauses.
func (c *exprContext) parseUpdate(src string) (*updateExpr, error) {
	p, err := c.parser("UpdateExpression", src)
	if err != nil {
		return nil, err
	}
	u := &updateExpr{}
	seen := map[string]bool{}
	for p.peek().kind != tokEOF {
		t := p.next()
		clause := strings.ToUpper(t.text)
		if t.kind != tokIdent || (clause != "SET" && clause != "REMOVE" && clause != "ADD" && clause != "DELETE") {
			p.pos--
			return nil, p.fail()
		}
		if seen[clause] {
			return nil, validation("Invalid UpdateExpression: The \"%s\" section can only be used once in an update expression;", clause)
		}
		seen[clause] = true
		for {
			path, err := p.path()
			if err != nil {
				return nil, err
			}
			switch clause {
			case "SET":
				if err := p.expect("="); err != nil {
					return nil, err
				}
				v, err := p.setValue()
				if err != nil {
					return nil, err
				}
				u.sets = append(u.sets, setAction{path, v})
			case "REMOVE":
				u.removes = append(u.removes, path)
			default:
				if p.peek().kind != tokValue {
					return nil, p.fail()
				}
				v, err := p.value()
				if err != nil {
					return nil, err
				}
				if clause == "ADD" {
					u.adds = append(u.adds, setAction{path, v})
				} else {
					u.deletes = append(u.deletes, setAction{path, v})
				}
			}
			if !p.isPunct(",") {
				break
			}
			p.next()
		}
	}
	if err := checkOverlap(u.paths()); err != nil {
		return nil, err
	}
	return u, nil
}

// setValue parses operand [+|- operand].
func (p *parser) setValue() (operand, error) {
	a, err := p.setOperand()
	if err != nil {
		return nil, err
	}
	if p.isPunct("+") || p.isPunct("-") {
		minus := p.next().text == "-"
		if err := p.op(); err != nil {
			return nil, err
		}
		b, err := p.setOperand()
		if err != nil {
			return nil, err
		}
		return arithOp{minus, a, b}, nil
	}
	return a, nil
}

func (p *parser) setOperand() (operand, error) {
	t := p.peek()
	if t.kind == tokIdent && p.toks[p.pos+1].text == "(" {
		if t.text == "if_not_exists" || t.text == "list_append" {
			if err := p.op(); err != nil {
				return nil, err
			}
			if err := p.enter(); err != nil {
				return nil, err
			}
			defer p.leave()
		}
		switch t.text {
		case "if_not_exists":
			p.next()
			p.next()
			path, err := p.path()
			if err != nil {
				return nil, err
			}
			if err := p.expect(","); err != nil {
				return nil, err
			}
			def, err := p.setOperand()
			if err != nil {
				return nil, err
			}
			return ifNotExistsOp{path, def}, p.expect(")")
		case "list_append":
			p.next()
			p.next()
			a, err := p.setOperand()
			if err != nil {
				return nil, err
			}
			if err := p.expect(","); err != nil {
				return nil, err
			}
			b, err := p.setOperand()
			if err != nil {
				return nil, err
			}
			return listAppendOp{a, b}, p.expect(")")
		default:
			return nil, validation("Invalid UpdateExpression: Invalid function name; function: %s", t.text)
		}
	}
	if t.kind == tokValue {
		return p.value()
	}
	path, err := p.path()
	return pathOp{path}, err
}

// checkOverlap rejects updates whose paths overlap, as DynamoDB does.
func checkOverlap(paths []docPath) error {
	for i, a := range paths {
		for _, b := range paths[i+1:] {
			n := min(len(a), len(b))
			if docPath(a[:n]).String() == docPath(b[:n]).String() {
				return validation("Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [%s], path two: [%s]", a, b)
			}
		}
	}
	return nil
}
