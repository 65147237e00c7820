package sfn

import (
	"context"
	"testing"
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
