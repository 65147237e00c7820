package sfn

import (
	"context"
	"os"
	"testing"
)

// TestRunDefinitionLeavesNothingBehind: the throwaway database and its
// directory are gone when RunDefinition returns, whatever the outcome.
func TestRunDefinitionLeavesNothingBehind(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	ctx := context.Background()
	for _, def := range []string{
		`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`,
		`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":0,"Next":"P"},"P":{"Type":"Pass","Result":{"waited":true},"End":true}}}`,
		`{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E"}}}`,
	} {
		if _, err := RunDefinition(ctx, []byte(def), []byte(`{}`), nil); err != nil {
			t.Fatalf("%s: %v", def, err)
		}
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("left behind: %s", e.Name())
	}
}

// TestRunDefinitionWaitState: a Wait goes through the durable timer
// (scheduler) of the throwaway engine and the run still ends.
func TestRunDefinitionWaitState(t *testing.T) {
	res, err := RunDefinition(context.Background(),
		[]byte(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"Next":"P"},"P":{"Type":"Pass","End":true}}}`), []byte(`{"id":1}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusSucceeded || string(res.Output) != `{"id":1}` {
		t.Fatalf("got %+v (%s)", res, res.Output)
	}
}
