package console

import (
	"strings"
	"testing"
)

func layersOf(t *testing.T, definition string) (*graph, map[string]int) {
	t.Helper()
	m, err := parseASL(definition)
	if err != nil {
		t.Fatal(err)
	}
	g := buildGraph(m)
	layers := map[string]int{}
	for _, n := range g.nodes {
		if n.kind == kindState {
			layers[n.Name] = n.layer
		}
	}
	return g, layers
}

func TestLongestPathLayering(t *testing.T) {
	g, layers := layersOf(t, loanProcessor)
	want := map[string]int{"RequestValuation": 1, "AssessLoan": 2, "ValuationTimedOut": 2, "ValuationFailed": 2,
		"Approved": 3, "Referred": 3, "Declined": 3}
	if !equalInts(layers, want) {
		t.Errorf("layers %v, want %v", layers, want)
	}
	// No two boxes overlap, and every box is inside the drawing.
	for i, a := range g.nodes {
		if a.X < 0 || a.Y < 0 || a.X+a.w > g.width || a.Y+a.h > g.height {
			t.Errorf("%q lies outside the %gx%g drawing", a.Name, g.width, g.height)
		}
		for _, b := range g.nodes[i+1:] {
			if a.X < b.X+b.w && b.X < a.X+a.w && a.Y < b.Y+b.h && b.Y < a.Y+a.h {
				t.Errorf("%q and %q overlap", a.Name, b.Name)
			}
		}
	}
}

func TestLoopsAndNestedStates(t *testing.T) {
	const def = `{"StartAt": "Poll", "States": {
	  "Poll": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:poll", "Next": "Done?"},
	  "Done?": {"Type": "Choice", "Choices": [{"Variable": "$.status", "StringEquals": "DONE", "Next": "Fan out"}], "Default": "Wait a bit"},
	  "Wait a bit": {"Type": "Wait", "Seconds": 5, "Next": "Poll"},
	  "Fan out": {"Type": "Parallel", "Branches": [{}, {}, {}], "Next": "Each"},
	  "Each": {"Type": "Map", "ItemProcessor": {}, "Next": "Ok"},
	  "Ok": {"Type": "Succeed"},
	  "Orphan": {"Type": "Fail"}
	}}`
	g, layers := layersOf(t, def)
	if layers["Poll"] != 1 || layers["Done?"] != 2 || layers["Wait a bit"] != 3 || layers["Fan out"] != 3 || layers["Orphan"] != 1 {
		t.Errorf("layers %v", layers)
	}
	back := 0
	for _, e := range g.edges {
		if e.back {
			back++
			if g.nodes[e.from].Name != "Wait a bit" || g.nodes[e.to].Name != "Poll" {
				t.Errorf("back arrow %s -> %s", g.nodes[e.from].Name, g.nodes[e.to].Name)
			}
		}
	}
	if back != 1 {
		t.Errorf("%d back arrows, want 1", back)
	}
	d, err := draw(def, trail{status: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	shapes := map[string]string{}
	subs := map[string]string{}
	for _, n := range d.States {
		shapes[n.Name], subs[n.Name] = n.Shape, n.Sub
	}
	want := map[string]string{"Poll": "rect", "Done?": "choice", "Wait a bit": "rect", "Fan out": "stack", "Each": "stack",
		"Ok": "pill", "Orphan": "pill"}
	if !equalMaps(shapes, want) {
		t.Errorf("shapes %v, want %v", shapes, want)
	}
	if subs["Fan out"] != "Parallel · 3 branches" || subs["Poll"] != "poll" || subs["Done?"] != "Choice" {
		t.Errorf("subtitles %v", subs)
	}
}

func TestChoiceLabels(t *testing.T) {
	m, err := parseASL(loanProcessor)
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, c := range m.States["AssessLoan"].Choices {
		labels = append(labels, c.label())
	}
	if got := strings.Join(labels, "|"); got != "loanToValueBps ≤ 7500|loanToValueBps ≤ 9000" {
		t.Errorf("labels %q", got)
	}
}

func TestUnsubstitutedPlaceholdersStillDraw(t *testing.T) {
	def := strings.Replace(loanProcessor, `"TimeoutSeconds": 300`, `"TimeoutSeconds": ${CallbackTimeoutSeconds}`, 1)
	if _, err := draw(def, trail{}); err != nil {
		t.Errorf("draw: %v", err)
	}
	if _, err := draw(`{"States": {}}`, trail{}); err == nil {
		t.Error("a definition without StartAt drew")
	}
}

func equalInts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
