package sfn

import (
	"context"
	"testing"

	"loanflow/infra/local/asl"
)

func TestRunDefinition(t *testing.T) {
	ctx := context.Background()
	res, err := RunDefinition(ctx, []byte(benchDef), []byte(`{"id":7}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "SUCCEEDED" || string(res.Output) != `{"big":true,"id":7}` {
		t.Fatalf("got %+v (%s)", res, res.Output)
	}
	res, err = RunDefinition(ctx, []byte(`{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","Cause":"C"}}}`), nil, nil)
	if err != nil || res.Status != "FAILED" || res.Error != "E" || res.Cause != "C" {
		t.Fatalf("fail: %+v %v", res, err)
	}
	if _, err := RunDefinition(ctx, []byte(`{"StartAt":"X"}`), nil, nil); ErrorCode(err) != CodeInvalidDefinition {
		t.Fatalf("bad definition: %v", err)
	}
}

// BenchmarkRunDefinitionPass is `loanflow run-definition` of a one-state
// Pass machine without the process: a throwaway database opened, the
// tables created, one execution run, the engine closed, the file removed.
func BenchmarkRunDefinitionPass(b *testing.B) {
	ctx := context.Background()
	def := []byte(`{"StartAt":"Echo","States":{"Echo":{"Type":"Pass","End":true}}}`)
	for b.Loop() {
		res, err := RunDefinition(ctx, def, []byte(`{"loan":"L-1"}`), nil)
		if err != nil || res.Status != "SUCCEEDED" {
			b.Fatalf("%+v %v", res, err)
		}
	}
}

// RunDefinition, which writes the history once at the end, still fails a
// runaway loop at the history cap, as the engine behind the API does.
func TestRunDefinitionFailsAtTheHistoryCap(t *testing.T) {
	def := `{"StartAt":"Spin","States":{"Spin":{"Type":"Pass","Next":"Again"},
	  "Again":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"Out"}],"Default":"Spin"},
	  "Out":{"Type":"Succeed"}}}`
	res, err := RunDefinition(context.Background(), []byte(def), []byte(`{}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusFailed || res.Error != asl.ErrRuntime || res.Cause != asl.HistoryLimitError().Cause {
		t.Fatalf("got %+v", res)
	}
}
