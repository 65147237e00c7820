package console

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// drawing is the state machine picture as the template draws it.
type drawing struct {
	Width, Height float64
	States        []drawNode
	Markers       []drawNode // Start and End
	Edges         []drawEdge
	Visited       int
}

// drawNode is one box.
type drawNode struct {
	Name, Type, Title   string
	Label, Sub          string // what fits in the box
	Status              string // succeeded, failed, running, or "" when not visited
	Shape               string // rect, choice, pill, stack
	X, Y, W, H          float64
	CX, NameY, SubY, RX float64
	Points              string // the Choice polygon
}

// drawEdge is one arrow, with its optional label.
type drawEdge struct {
	D, Kind, Label, Title string
	Taken                 bool
	LX, LY, LW            float64
}

// placeholder is a ${Name} left in a definition that was not substituted.
var placeholder = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\$\{[A-Za-z0-9_]+\}`) })

// draw lays out the definition and colours it with the execution's trail.
func draw(definition string, t trail) (*drawing, error) {
	m, err := parseDefinition(definition)
	if err != nil {
		return nil, err
	}
	g := buildGraph(m)
	d := &drawing{Width: g.width, Height: g.height}
	for _, n := range g.nodes {
		switch n.kind {
		case kindState:
			dn := stateNode(n, t.status[n.Name])
			if dn.Status != "" {
				d.Visited++
			}
			d.States = append(d.States, dn)
		case kindStart, kindEnd:
			d.Markers = append(d.Markers, drawNode{Name: n.Name, Label: n.Name, X: n.X, Y: n.Y, W: n.w, H: n.h,
				CX: n.X + n.w/2, NameY: n.Y + n.h/2 + 4, RX: n.h / 2})
		}
	}
	arrive := arrivals(g)
	for _, e := range g.edges {
		d.Edges = append(d.Edges, drawArrow(g, e, t, arrive[e]))
	}
	return d, nil
}

// arrivals spreads the arrows that enter one box along its top edge, in
// the order they come from, so that they do not pile up on one point.
func arrivals(g *graph) map[*gedge]float64 {
	in := map[int][]*gedge{}
	for _, e := range g.edges {
		if !e.back {
			in[e.to] = append(in[e.to], e)
		}
	}
	from := func(e *gedge) float64 {
		n := g.nodes[e.from]
		if len(e.via) > 0 {
			n = g.nodes[e.via[len(e.via)-1]]
		}
		return n.X + n.w/2
	}
	off := map[*gedge]float64{}
	for to, es := range in {
		if len(es) < 2 {
			continue
		}
		sort.SliceStable(es, func(i, j int) bool { return from(es[i]) < from(es[j]) })
		step := min(14, g.nodes[to].w*0.7/float64(len(es)-1))
		for i, e := range es {
			off[e] = (float64(i) - float64(len(es)-1)/2) * step
		}
	}
	return off
}

func stateNode(n *gnode, status string) drawNode {
	dn := drawNode{Name: n.Name, Type: n.Type, Status: status, X: n.X, Y: n.Y, W: n.w, H: n.h,
		CX: n.X + n.w/2, NameY: n.Y + 20, SubY: n.Y + 36, RX: 7, Shape: "rect"}
	sub := n.Type
	switch {
	case n.Type == "Task" && n.Sub != "":
		sub = n.Sub // what a Task calls says more than its type
	case n.Sub != "":
		sub += " · " + n.Sub
	}
	dn.Label = fit(n.Name, n.w-20, 7.4)
	dn.Sub = fit(sub, n.w-16, 5.6)
	dn.Title = n.Name + " (" + n.Type + ")"
	if n.Sub != "" {
		dn.Title = n.Name + " (" + n.Type + " · " + n.Sub + ")"
	}
	if status != "" {
		dn.Title += ": " + status
	}
	switch n.Type {
	case "Choice":
		dn.Shape = "choice"
		x, y, w, h, p := n.X, n.Y, n.w, n.h, 14.0
		dn.Points = fmt.Sprintf("%g,%g %g,%g %g,%g %g,%g %g,%g %g,%g",
			x+p, y, x+w-p, y, x+w, y+h/2, x+w-p, y+h, x+p, y+h, x, y+h/2)
	case "Succeed", "Fail":
		dn.Shape, dn.RX = "pill", n.h/2
	case "Parallel", "Map":
		dn.Shape = "stack"
	}
	return dn
}

// fit cuts s so that it fits width at about perChar units a character.
func fit(s string, width, perChar float64) string {
	n := int(width / perChar)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return shorten(n-1, s)
}

// drawArrow draws an arrow as smooth vertical curves through its dummy
// slots, or as a loop on the right when it goes back up.
func drawArrow(g *graph, e *gedge, t trail, arrive float64) drawEdge {
	from, to := g.nodes[e.from], g.nodes[e.to]
	de := drawEdge{Kind: [...]string{"next", "choice", "default", "catch", "end"}[e.kind], Label: e.label}
	switch {
	case from.kind == kindStart:
		de.Taken = t.first == to.Name
	case to.kind == kindEnd:
		de.Taken = t.last == from.Name && t.status[from.Name] == stateSucceeded
	default:
		de.Taken = t.taken[[2]string{from.Name, to.Name}]
	}
	de.Title = from.Name + " → " + to.Name
	if e.label != "" {
		de.Title += " (" + e.label + ")"
	}
	if e.back {
		x1, y1 := from.X+from.w, from.Y+from.h/2
		x2, y2 := to.X+to.w, to.Y+to.h/2
		out := max(x1, x2) + loopOut - 8
		de.D = fmt.Sprintf("M%g,%g C%g,%g %g,%g %g,%g", x1, y1, out, y1, out, y2, x2+4, y2)
		de.LX, de.LY = out-6, (y1+y2)/2
	} else {
		pts := [][2]float64{{from.X + from.w/2, from.Y + from.h}}
		for _, v := range e.via {
			d := g.nodes[v]
			pts = append(pts, [2]float64{d.X + d.w/2, d.Y}, [2]float64{d.X + d.w/2, d.Y + d.h})
		}
		pts = append(pts, [2]float64{to.X + to.w/2 + arrive, to.Y - 4})
		var b strings.Builder
		fmt.Fprintf(&b, "M%g,%g", pts[0][0], pts[0][1])
		for i := 1; i < len(pts); i++ {
			p, q := pts[i-1], pts[i]
			if p[0] == q[0] {
				fmt.Fprintf(&b, " L%g,%g", q[0], q[1])
				continue
			}
			dy := (q[1] - p[1]) / 2
			fmt.Fprintf(&b, " C%g,%g %g,%g %g,%g", p[0], p[1]+dy, q[0], q[1]-dy, q[0], q[1])
		}
		de.D = b.String()
		// The label sits on the first stretch, past the middle, where the
		// arrows leaving one box have spread apart.
		p, q := pts[0], pts[1]
		const at = 0.62
		s := at * at * (3 - 2*at)
		de.LX, de.LY = p[0]+(q[0]-p[0])*s, p[1]+(q[1]-p[1])*0.55
	}
	if de.Label != "" {
		de.Label = shorten(24, de.Label)
		de.LW = float64(utf8.RuneCountInString(de.Label))*5.8 + 12
	}
	return de
}

// encodeJSON writes v as JSON, or its Go form if it cannot be.
func encodeJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
