package console

import (
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// jsonataMachine uses every JSONata data field the console lists, one
// JSONPath state beside them, and an expression written as markup.
const jsonataMachine = `{
  "QueryLanguage": "JSONata",
  "StartAt": "Fetch",
  "States": {
    "Fetch": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Arguments": {"FunctionName": "valuation", "Payload": {"app": "{% $states.input.applicationId %}", "tries": 3}},
      "TimeoutSeconds": "{% $timeout %}",
      "HeartbeatSeconds": 30,
      "Output": "{% $merge([$states.input, {'valuation': $states.result.Payload}]) %}",
      "Assign": {"ltv": "{% $states.result.Payload.loanToValueBps %}"},
      "Next": "Assess"
    },
    "Assess": {
      "Type": "Choice",
      "Choices": [
        {"Condition": "{% $ltv <= 7500 %}", "Next": "Each"},
        {"Condition": "{% $ltv > 9000 and '<b>x</b>' = '<b>x</b>' %}", "Next": "Later"}
      ],
      "Default": "Old"
    },
    "Each": {
      "Type": "Map",
      "Items": "{% $states.input.parties %}",
      "ItemSelector": {"who": "{% $states.context.Map.Item.Value %}", "index": "{% $states.context.Map.Item.Index %}"},
      "ItemProcessor": {"StartAt": "One", "States": {"One": {"Type": "Succeed"}}},
      "End": true
    },
    "Later": {"Type": "Wait", "Seconds": "{% $ltv * 2 %}", "Next": "Old"},
    "Old": {
      "QueryLanguage": "JSONPath",
      "Type": "Pass",
      "InputPath": "$.valuation",
      "Parameters": {"bps.$": "$.loanToValueBps"},
      "ResultPath": "$.checked",
      "OutputPath": "$.checked",
      "End": true
    }
  }
}`

func jsonataSource() *fakeSource {
	src := newFakeSource()
	d := src.execs[1] // succeeded: a finished page
	d.ARN, d.Name, d.Definition = execARN("loan-app-jsonata"), "loan-app-jsonata", jsonataMachine
	d.History = []HistoryEvent{
		ev(1, 0, "ExecutionStarted", map[string]any{"input": d.Input}),
		ev(2, 10*time.Millisecond, "TaskStateEntered", map[string]any{"name": "Fetch", "input": d.Input}),
		ev(3, time.Second, "TaskStateExited", map[string]any{"name": "Fetch", "output": `{}`}),
		ev(4, time.Second, "ChoiceStateEntered", map[string]any{"name": "Assess"}),
		ev(5, time.Second, "ChoiceStateExited", map[string]any{"name": "Assess"}),
		ev(6, time.Second, "PassStateEntered", map[string]any{"name": "Old"}),
		ev(7, time.Second, "PassStateExited", map[string]any{"name": "Old", "output": `{}`}),
		ev(8, 2*time.Second, "ExecutionSucceeded", map[string]any{"output": `{}`}),
	}
	src.execs = append(src.execs, d)
	return src
}

// stateCard is the part of the page that lists state name's fields.
func stateCard(t *testing.T, body, name string) string {
	t.Helper()
	i := strings.Index(body, "<summary><strong>"+name+"</strong>")
	if i < 0 {
		t.Fatalf("no state card for %s", name)
	}
	j := strings.Index(body[i:], "</details>")
	if j < 0 {
		t.Fatalf("state card %s is not closed", name)
	}
	return body[i : i+j]
}

var edgeTitles = regexp.MustCompile(`<title>([^<]*)</title>`)

func TestExecutionShowsJSONataFieldsAndExpressions(t *testing.T) {
	code, body := get(t, newTestConsole(jsonataSource(), nil), "/executions/detail?arn="+url.QueryEscape(execARN("loan-app-jsonata")))
	if code != 200 {
		t.Fatalf("status %d: %s", code, text(body))
	}
	if strings.Contains(body, "<b>x</b>") {
		t.Fatal("an expression reached the page unescaped")
	}

	fetch := stateCard(t, body, "Fetch")
	mustContain(t, "Fetch", fetch, "JSONata",
		"<dt>Arguments</dt>", `<span class="k">Payload.app</span> <code class="expr">{% $states.input.applicationId %}</code>`,
		`<span class="k">FunctionName</span> <span class="lit mono">&#34;valuation&#34;</span>`,
		`<span class="k">Payload.tries</span> <span class="lit mono">3</span>`,
		"<dt>Output</dt>", `<code class="expr">{% $merge([$states.input, {&#39;valuation&#39;: $states.result.Payload}]) %}</code>`,
		"<dt>Assign</dt>", `<span class="k">ltv</span> <code class="expr">{% $states.result.Payload.loanToValueBps %}</code>`,
		"<dt>TimeoutSeconds</dt>", `<code class="expr">{% $timeout %}</code>`)
	if strings.Contains(fetch, "HeartbeatSeconds") {
		t.Error("a number HeartbeatSeconds is listed as an expression field")
	}

	assess := stateCard(t, body, "Assess")
	mustContain(t, "Assess", assess, "Choice", "JSONata",
		"<dt>Choices[0] → Each</dt>", `<span class="k">Condition</span> <code class="expr">{% $ltv &lt;= 7500 %}</code>`,
		"<dt>Choices[1] → Later</dt>", `<code class="expr">{% $ltv &gt; 9000 and &#39;&lt;b&gt;x&lt;/b&gt;&#39; = &#39;&lt;b&gt;x&lt;/b&gt;&#39; %}</code>`)

	each := stateCard(t, body, "Each")
	mustContain(t, "Each", each, "Map", "<dt>Items</dt>", `<code class="expr">{% $states.input.parties %}</code>`,
		"<dt>ItemSelector</dt>", `<span class="k">who</span> <code class="expr">{% $states.context.Map.Item.Value %}</code>`,
		`<span class="k">index</span> <code class="expr">{% $states.context.Map.Item.Index %}</code>`)

	mustContain(t, "Later", stateCard(t, body, "Later"), "Wait", "<dt>Seconds</dt>", `<code class="expr">{% $ltv * 2 %}</code>`)

	old := stateCard(t, body, "Old")
	mustContain(t, "Old", old, "JSONPath",
		"<dt>InputPath</dt>", `&#34;$.valuation&#34;`, "<dt>Parameters</dt>", `<span class="k">bps.$</span>`,
		"<dt>ResultPath</dt>", `&#34;$.checked&#34;`, "<dt>OutputPath</dt>")
	if strings.Contains(old, "JSONata") || strings.Contains(old, `class="expr"`) {
		t.Error("the JSONPath state is shown as JSONata")
	}

	// The Choice arrows are labelled with their conditions.
	var titles []string
	for _, m := range edgeTitles.FindAllStringSubmatch(body, -1) {
		titles = append(titles, m[1])
	}
	all := strings.Join(titles, "\n")
	mustContain(t, "choice arrows", all, "Assess → Each ($ltv &lt;= 7500)", "Assess → Later ($ltv &gt; 9000 and")
}

func TestExecutionShowsTheJSONataTwinOfLoanProcessor(t *testing.T) {
	def, err := os.ReadFile("../../statemachines/testdata/loan-processor.jsonata.asl.json")
	if err != nil {
		t.Skip(err)
	}
	src := jsonataSource()
	src.execs[len(src.execs)-1].Definition = string(def) // ${CallbackTimeoutSeconds} left in: not JSON
	_, body := get(t, newTestConsole(src, nil), "/executions/detail?arn="+url.QueryEscape(execARN("loan-app-jsonata")))
	mustContain(t, "RequestValuation", stateCard(t, body, "RequestValuation"), "JSONata",
		`<span class="k">MessageBody.taskToken</span> <code class="expr">{% $states.context.Task.Token %}</code>`)
	mustContain(t, "AssessLoan", stateCard(t, body, "AssessLoan"),
		`<code class="expr">{% $states.input.valuation.loanToValueBps &lt;= 7500 %}</code>`)
	mustContain(t, "PublishDecision", stateCard(t, body, "PublishDecision"),
		`<span class="k">Entries[0].Detail</span> <code class="expr">{% $states.input %}</code>`)
}
