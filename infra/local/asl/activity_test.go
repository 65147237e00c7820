package asl

import (
	"strings"
	"testing"
)

func TestActivityResources(t *testing.T) {
	ok := "arn:aws:states:us-east-1:000000000000:activity:valuer"
	def := `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"` + ok + `","HeartbeatSeconds":5,"End":true}}}`
	if err := ValidateDefinition([]byte(def)); err != nil {
		t.Fatalf("activity ARN refused: %v", err)
	}
	for _, bad := range []string{"arn:aws:states:us-east-1:000000000000:activity:", "arn:aws:states:us-east-1::activity:valuer"} {
		def := `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"` + bad + `","End":true}}}`
		err := ValidateDefinition([]byte(def))
		if ErrorCode(err) != CodeInvalidDefinition || !strings.Contains(err.Error(), "at /States/A/Resource") {
			t.Errorf("%s: got %v, want InvalidDefinition at /States/A/Resource", bad, err)
		}
	}
}
