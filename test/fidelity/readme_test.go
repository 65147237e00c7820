package fidelity

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"loanflow/infra/local/dynamo"
	"loanflow/infra/local/eventbus"
	"loanflow/infra/local/sfn/sfnapi"
	"loanflow/infra/local/sns"
	"loanflow/infra/local/sqs"
	"loanflow/infra/local/sts"
)

var updateReadme = flag.Bool("update-readme", false, "rewrite README.md's table of served operations")

const (
	readmePath  = "../../README.md"
	tableBegin  = "<!-- operations:begin (made by go test ./test/fidelity -run TestREADMEOperationsTable -update-readme) -->"
	tableEnd    = "<!-- operations:end -->"
	otherDiffer = "Answers as AWS does in every case of the fidelity suite."
)

// registries are the services' own operation registries, by the fidelity
// suite's service prefix: the table cannot list an operation the code does
// not serve, nor miss one it does.
var registries = []struct {
	prefix, name string
	ops          func() []string
}{
	{"sfn", "Step Functions", sfnapi.Operations},
	{"sqs", "SQS", sqs.Operations},
	{"events", "EventBridge", eventbus.Operations},
	{"dynamodb", "DynamoDB", dynamo.Operations},
	{"sns", "SNS", sns.Operations},
	{"sts", "STS", sts.Operations},
}

// operationsTable renders, per service, the operations served and the
// known differences from AWS (known-gaps.txt, with the case counts).
func operationsTable(t *testing.T) string {
	gaps := knownGaps(t)
	perService := map[string]int{}
	for _, c := range allCases() {
		perService[strings.SplitN(c.name, "/", 2)[0]]++
	}
	var b strings.Builder
	b.WriteString("| service | operations served | fidelity cases matching AWS | known differences |\n|---|---|---|---|\n")
	for _, r := range registries {
		ops := r.ops()
		var diffs []string
		for _, name := range slices.Sorted(maps.Keys(gaps)) {
			if strings.HasPrefix(name, r.prefix+"/") {
				diffs = append(diffs, fmt.Sprintf("`%s`: %s", strings.TrimPrefix(name, r.prefix+"/"), strings.ReplaceAll(gaps[name], "|", "\\|")))
			}
		}
		known := otherDiffer
		if len(diffs) > 0 {
			known = strings.Join(diffs, "<br>")
		}
		n := perService[r.prefix]
		fmt.Fprintf(&b, "| %s | %d: %s | %d of %d | %s |\n", r.name, len(ops), strings.Join(ops, ", "), n-len(diffs), n, known)
	}
	return b.String()
}

// TestREADMEOperationsTable fails when README.md's table of served
// operations is not the one the registries and known-gaps.txt make now;
// -update-readme rewrites it.
func TestREADMEOperationsTable(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	i, j := strings.Index(readme, tableBegin), strings.Index(readme, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q ... %q block", tableBegin, tableEnd)
	}
	want := operationsTable(t)
	got := readme[i+len(tableBegin)+1 : j]
	if got == want {
		return
	}
	if *updateReadme {
		if err := os.WriteFile(readmePath, []byte(readme[:i+len(tableBegin)+1]+want+readme[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's operations table is stale: run go test ./test/fidelity -run TestREADMEOperationsTable -update-readme\ngot:\n%s\nwant:\n%s", got, want)
}
