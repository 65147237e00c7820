package console

import (
	"slices"
	"sort"
	"strconv"
)

// Sizes of the drawing, in SVG user units.
const (
	nodeW   = 176.0
	nodeH   = 46.0
	termW   = 64.0 // the Start and End markers
	termH   = 26.0
	dummyW  = 14.0 // a slot a long arrow passes through
	gapX    = 28.0
	gapY    = 62.0
	margin  = 24.0
	loopOut = 56.0 // how far a back arrow swings out to the right
)

// edgeKind tells the arrows apart.
type edgeKind int

const (
	edgeNext edgeKind = iota
	edgeChoice
	edgeDefault
	edgeCatch
	edgeEnd
)

// gnode is a box of the drawing: a state, the Start or End marker, or a
// dummy slot that a long arrow passes through.
type gnode struct {
	Name, Type, Sub string
	kind            nodeKind
	layer           int
	w, h            float64
	X, Y            float64 // top-left corner
}

type nodeKind int

const (
	kindState nodeKind = iota
	kindStart
	kindEnd
	kindDummy
)

// gedge is an arrow between two nodes; long arrows go through dummies.
type gedge struct {
	from, to int
	kind     edgeKind
	label    string
	back     bool  // drawn as a loop on the right: it goes up
	via      []int // dummy nodes, top to bottom
}

// graph is a state machine laid out top to bottom.
type graph struct {
	nodes         []*gnode
	edges         []*gedge
	byName        map[string]int
	width, height float64
}

// buildGraph turns a definition into nodes and arrows: Start, one node per
// state in written order, End; arrows for Next, Choices, Default, Catch and
// the end of the machine.
func buildGraph(m aslMachine) *graph {
	g := &graph{byName: map[string]int{}}
	add := func(n *gnode) int {
		g.nodes = append(g.nodes, n)
		return len(g.nodes) - 1
	}
	start := add(&gnode{Name: "Start", kind: kindStart, w: termW, h: termH})
	for _, name := range m.Names {
		st := m.States[name]
		g.byName[name] = add(&gnode{Name: name, Type: st.Type, Sub: st.subtitle(), w: nodeW, h: nodeH})
	}
	end := add(&gnode{Name: "End", kind: kindEnd, w: termW, h: termH})

	link := func(from int, to string, kind edgeKind, label string) {
		if t, ok := g.byName[to]; ok {
			g.edges = append(g.edges, &gedge{from: from, to: t, kind: kind, label: label})
		}
	}
	link(start, m.StartAt, edgeNext, "")
	for _, name := range m.Names {
		st, from := m.States[name], g.byName[name]
		link(from, st.Next, edgeNext, "")
		for _, c := range st.Choices {
			link(from, c.Next, edgeChoice, c.label())
		}
		if st.Default != "" {
			link(from, st.Default, edgeDefault, "Default")
		}
		for _, c := range st.Catch {
			link(from, c.Next, edgeCatch, joinErrors(c.ErrorEquals))
		}
		if st.End || st.Type == "Succeed" || st.Type == "Fail" {
			g.edges = append(g.edges, &gedge{from: from, to: end, kind: edgeEnd})
		}
	}
	g.layout(start)
	return g
}

func joinErrors(errs []string) string {
	switch len(errs) {
	case 0:
		return "catch"
	case 1:
		return errs[0]
	}
	return errs[0] + " +" + strconv.Itoa(len(errs)-1)
}

// layout places the nodes: arrows that go back up are found by a depth-first
// walk from Start, every other arrow points down, each node sits on the
// layer below its longest path from Start, long arrows get a dummy slot on
// every layer they cross, and each layer is ordered and spread under the
// nodes that lead to it.
func (g *graph) layout(start int) {
	n := len(g.nodes)
	out := make([][]*gedge, n)
	for _, e := range g.edges {
		out[e.from] = append(out[e.from], e)
	}

	// Depth-first walk: mark back arrows, collect a reverse post-order.
	const (
		unseen = iota
		open
		done
	)
	mark := make([]int, n)
	var pre, post []int
	var walk func(int)
	walk = func(v int) {
		mark[v] = open
		pre = append(pre, v)
		for _, e := range out[v] {
			switch mark[e.to] {
			case unseen:
				walk(e.to)
			case open:
				e.back = true
			}
		}
		mark[v] = done
		post = append(post, v)
	}
	walk(start)
	for v := range g.nodes { // states nothing leads to still get drawn
		if mark[v] == unseen {
			walk(v)
		}
	}
	slices.Reverse(post)

	// Longest-path layering over the forward arrows.
	for _, v := range post {
		for _, e := range out[v] {
			if !e.back && g.nodes[e.to].layer < g.nodes[v].layer+1 {
				g.nodes[e.to].layer = g.nodes[v].layer + 1
			}
		}
	}
	for _, nd := range g.nodes {
		if nd.kind == kindState && nd.layer == 0 {
			nd.layer = 1 // unreachable states sit below Start, not beside it
		}
	}

	// Dummy slots for arrows longer than one layer.
	for _, e := range g.edges {
		if e.back {
			continue
		}
		for l := g.nodes[e.from].layer + 1; l < g.nodes[e.to].layer; l++ {
			g.nodes = append(g.nodes, &gnode{kind: kindDummy, layer: l, w: dummyW, h: nodeH})
			e.via = append(e.via, len(g.nodes)-1)
		}
	}

	g.place(pre)
}

// place orders each layer by where its predecessors sit (ties keep the
// order of discovery: Next before Choices, Default and Catch), spreads it
// without overlaps and centres it under them, then sets the drawing's size.
func (g *graph) place(order []int) {
	rank := make(map[int]int, len(g.nodes))
	for i, v := range order {
		rank[v] = i
	}
	for i := range g.nodes {
		if _, ok := rank[i]; !ok {
			rank[i] = len(order) + i // dummies follow the states, in creation order
		}
	}
	layers := map[int][]int{}
	maxLayer := 0
	for i, nd := range g.nodes {
		layers[nd.layer] = append(layers[nd.layer], i)
		maxLayer = max(maxLayer, nd.layer)
	}
	preds := make([][]int, len(g.nodes))
	for _, e := range g.edges {
		if e.back {
			continue
		}
		chain := append(append([]int{e.from}, e.via...), e.to)
		for i := 1; i < len(chain); i++ {
			preds[chain[i]] = append(preds[chain[i]], chain[i-1])
		}
	}

	centre := make([]float64, len(g.nodes))
	y := margin
	for l := 0; l <= maxLayer; l++ {
		row := layers[l]
		want := make(map[int]float64, len(row))
		for _, v := range row {
			if len(preds[v]) == 0 {
				want[v] = 0
				continue
			}
			sum := 0.0
			for _, p := range preds[v] {
				sum += centre[p]
			}
			want[v] = sum / float64(len(preds[v]))
		}
		sort.SliceStable(row, func(i, j int) bool {
			a, b := row[i], row[j]
			if want[a] != want[b] {
				return want[a] < want[b]
			}
			return rank[a] < rank[b]
		})
		// Left to right without overlaps, then shift the row so that on
		// average each node sits where its predecessors want it.
		shift := 0.0
		for i, v := range row {
			c := want[v]
			if i > 0 {
				prev := row[i-1]
				c = max(c, centre[prev]+(g.nodes[prev].w+g.nodes[v].w)/2+gapX)
			}
			centre[v] = c
			shift += want[v] - c
		}
		shift /= float64(max(len(row), 1))
		rowH := 0.0
		for _, v := range row {
			centre[v] += shift
			rowH = max(rowH, g.nodes[v].h)
		}
		for _, v := range row {
			g.nodes[v].Y = y + (rowH-g.nodes[v].h)/2
		}
		y += rowH + gapY
	}

	minX, maxX := 0.0, 0.0
	for i, nd := range g.nodes {
		left, right := centre[i]-nd.w/2, centre[i]+nd.w/2
		if i == 0 || left < minX {
			minX = left
		}
		if i == 0 || right > maxX {
			maxX = right
		}
	}
	for i, nd := range g.nodes {
		nd.X = centre[i] - nd.w/2 - minX + margin
	}
	g.width = maxX - minX + 2*margin
	if g.hasBackEdges() {
		g.width += loopOut
	}
	g.height = y - gapY + margin
}

func (g *graph) hasBackEdges() bool {
	return slices.ContainsFunc(g.edges, func(e *gedge) bool { return e.back })
}
