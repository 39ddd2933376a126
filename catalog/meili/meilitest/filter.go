package meilitest

import (
	"fmt"
	"strconv"
	"strings"
)

// A parser and evaluator for the subset of Meilisearch's filter
// expression syntax that a client may send: conditions on attributes
// (=, !=, >, >=, <, <=, IN [...], NOT IN [...], EXISTS, NOT EXISTS),
// combined with AND, OR, NOT and parentheses. Values and attribute names
// are bare words or quoted strings ('...' or "..."); inside quotes a
// backslash escapes the next character (Meilisearch ≥ 1.4: \" is a quote,
// \\ a backslash). Keywords are case-insensitive. It is strict: what
// Meilisearch would reject as invalid_search_filter is an error here.

type tokKind int

const (
	tWord tokKind = iota
	tQuoted
	tLParen
	tRParen
	tLBrack
	tRBrack
	tComma
	tOp
	tEOF
)

type token struct {
	kind tokKind
	text string
	pos  int
}

func lex(s string) ([]token, error) {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			out = append(out, token{tLParen, "(", i})
			i++
		case c == ')':
			out = append(out, token{tRParen, ")", i})
			i++
		case c == '[':
			out = append(out, token{tLBrack, "[", i})
			i++
		case c == ']':
			out = append(out, token{tRBrack, "]", i})
			i++
		case c == ',':
			out = append(out, token{tComma, ",", i})
			i++
		case c == '=':
			out = append(out, token{tOp, "=", i})
			i++
		case c == '!' && i+1 < len(s) && s[i+1] == '=':
			out = append(out, token{tOp, "!=", i})
			i += 2
		case c == '>' || c == '<':
			op := string(c)
			if i+1 < len(s) && s[i+1] == '=' {
				op += "="
			}
			out = append(out, token{tOp, op, i})
			i += len(op)
		case c == '"' || c == '\'':
			start := i
			i++
			var b strings.Builder
			closed := false
			for i < len(s) {
				if s[i] == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if s[i] == c {
					closed = true
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			if !closed {
				return nil, fmt.Errorf("unterminated string starting at %d", start)
			}
			out = append(out, token{tQuoted, b.String(), start})
		default:
			start := i
			for i < len(s) && !strings.ContainsRune(" \t\n\r()[],=!<>\"'", rune(s[i])) {
				i++
			}
			if i == start {
				return nil, fmt.Errorf("unexpected character %q at %d", s[i], i)
			}
			out = append(out, token{tWord, s[start:i], start})
		}
	}
	return append(out, token{tEOF, "", len(s)}), nil
}

// node is a parsed filter.
type node interface {
	eval(doc map[string]any) bool
	attrs(add func(string))
}

type andNode struct{ l, r node }
type orNode struct{ l, r node }
type notNode struct{ n node }
type condNode struct {
	attr   string
	op     string // =, !=, >, >=, <, <=, IN, EXISTS
	values []string
}

func (n andNode) eval(d map[string]any) bool { return n.l.eval(d) && n.r.eval(d) }
func (n orNode) eval(d map[string]any) bool  { return n.l.eval(d) || n.r.eval(d) }
func (n notNode) eval(d map[string]any) bool { return !n.n.eval(d) }
func (n andNode) attrs(add func(string))     { n.l.attrs(add); n.r.attrs(add) }
func (n orNode) attrs(add func(string))      { n.l.attrs(add); n.r.attrs(add) }
func (n notNode) attrs(add func(string))     { n.n.attrs(add) }
func (n condNode) attrs(add func(string))    { add(n.attr) }

// scalars returns the values of attribute attr as strings (arrays give one
// per element).
func scalars(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, scalars(e)...)
		}
		return out
	case string:
		return []string{x}
	case bool:
		return []string{strconv.FormatBool(x)}
	case float64:
		return []string{strconv.FormatFloat(x, 'f', -1, 64)}
	}
	return []string{fmt.Sprint(v)}
}

func (n condNode) eval(d map[string]any) bool {
	raw, present := d[n.attr]
	vals := scalars(raw)
	switch n.op {
	case "EXISTS":
		return present
	case "IN", "=":
		for _, have := range vals {
			for _, want := range n.values {
				if strings.EqualFold(have, want) {
					return true
				}
			}
		}
		return false
	case "!=":
		for _, have := range vals {
			if strings.EqualFold(have, n.values[0]) {
				return false
			}
		}
		return true
	}
	want, err := strconv.ParseFloat(n.values[0], 64)
	if err != nil {
		return false
	}
	for _, have := range vals {
		h, err := strconv.ParseFloat(have, 64)
		if err != nil {
			continue
		}
		switch n.op {
		case ">":
			if h > want {
				return true
			}
		case ">=":
			if h >= want {
				return true
			}
		case "<":
			if h < want {
				return true
			}
		case "<=":
			if h <= want {
				return true
			}
		}
	}
	return false
}

type parser struct {
	toks []token
	i    int
}

// parseFilter parses a filter expression; an empty one is nil.
func parseFilter(s string) (node, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, fmt.Errorf("unexpected %q at %d", t.text, t.pos)
	}
	return n, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) keyword(k string) bool {
	t := p.peek()
	return t.kind == tWord && strings.EqualFold(t.text, k)
}

func (p *parser) or() (node, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.keyword("OR") {
		p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = orNode{l, r}
	}
	return l, nil
}

func (p *parser) and() (node, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.keyword("AND") {
		p.next()
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = andNode{l, r}
	}
	return l, nil
}

func (p *parser) not() (node, error) {
	if p.keyword("NOT") {
		p.next()
		n, err := p.not()
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	}
	return p.primary()
}

func (p *parser) primary() (node, error) {
	t := p.peek()
	if t.kind == tLParen {
		p.next()
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, fmt.Errorf("expected ) at %d, got %q", c.pos, c.text)
		}
		return n, nil
	}
	return p.condition()
}

func (p *parser) value() (string, error) {
	t := p.next()
	if t.kind != tWord && t.kind != tQuoted {
		return "", fmt.Errorf("expected a value at %d, got %q", t.pos, t.text)
	}
	return t.text, nil
}

func (p *parser) condition() (node, error) {
	at := p.next()
	if at.kind != tWord && at.kind != tQuoted {
		return nil, fmt.Errorf("expected an attribute at %d, got %q", at.pos, at.text)
	}
	if at.kind == tWord && isKeyword(at.text) {
		return nil, fmt.Errorf("%q is a reserved keyword at %d", at.text, at.pos)
	}
	attr := at.text
	t := p.peek()
	switch {
	case t.kind == tOp:
		p.next()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		return condNode{attr: attr, op: t.text, values: []string{v}}, nil
	case p.keyword("IN"):
		p.next()
		vs, err := p.list()
		if err != nil {
			return nil, err
		}
		return condNode{attr: attr, op: "IN", values: vs}, nil
	case p.keyword("EXISTS"):
		p.next()
		return condNode{attr: attr, op: "EXISTS"}, nil
	case p.keyword("NOT"):
		p.next()
		switch {
		case p.keyword("IN"):
			p.next()
			vs, err := p.list()
			if err != nil {
				return nil, err
			}
			return notNode{condNode{attr: attr, op: "IN", values: vs}}, nil
		case p.keyword("EXISTS"):
			p.next()
			return notNode{condNode{attr: attr, op: "EXISTS"}}, nil
		}
	}
	return nil, fmt.Errorf("expected an operator after %q at %d", attr, t.pos)
}

func (p *parser) list() ([]string, error) {
	if t := p.next(); t.kind != tLBrack {
		return nil, fmt.Errorf("expected [ at %d", t.pos)
	}
	var out []string
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		t := p.next()
		if t.kind == tRBrack {
			return out, nil
		}
		if t.kind != tComma {
			return nil, fmt.Errorf("expected , or ] at %d, got %q", t.pos, t.text)
		}
	}
}

func isKeyword(w string) bool {
	switch strings.ToUpper(w) {
	case "AND", "OR", "NOT", "IN", "EXISTS", "TO":
		return true
	}
	return false
}

// Filter parses a filter expression and returns a predicate over
// documents and the attributes it uses. For tests of the filters a
// client builds.
func Filter(expr string) (match func(doc map[string]any) bool, attributes []string, err error) {
	n, err := parseFilter(expr)
	if err != nil {
		return nil, nil, err
	}
	if n == nil {
		return func(map[string]any) bool { return true }, nil, nil
	}
	n.attrs(func(a string) { attributes = append(attributes, a) })
	return n.eval, attributes, nil
}
