package bench

import (
	"context"
	"testing"
	"time"
)

func TestParseInitTrace(t *testing.T) {
	stderr := []byte(`init internal/bytealg @0.007 ms, 0 ms clock, 0 bytes, 0 allocs
init github.com/santhosh-tekuri/jsonschema/v6 @12 ms, 8.3 ms clock, 1701368 bytes, 20101 allocs
init github.com/aws/aws-sdk-go-v2/service/ssm/schemas @21 ms, 5.8 ms clock, 1441240 bytes, 9000 allocs
init github.com/aws/aws-sdk-go-v2/service/sqs/schemas @27 ms, 0.50 ms clock, 150824 bytes, 900 allocs
init modernc.org/sqlite/lib @28 ms, 0.40 ms clock, 0 bytes, 0 allocs
init loanflow/infra/local/asl @30 ms, 0.17 ms clock, 9616 bytes, 80 allocs
usage: loanflow COMMAND
`)
	tr := parseInitTrace(stderr)
	if want := 15170 * time.Microsecond; tr.Total != want {
		t.Errorf("total %v, want %v", tr.Total, want)
	}
	if want := 170 * time.Microsecond; tr.Ours != want {
		t.Errorf("ours %v, want %v", tr.Ours, want)
	}
	if tr.OursBytes != 9616 {
		t.Errorf("ours allocated %d bytes, want 9616", tr.OursBytes)
	}
	if want := int64(1701368 + 1441240 + 150824 + 9616); tr.Bytes != want {
		t.Errorf("bytes %d, want %d", tr.Bytes, want)
	}
	if got, want := tr.largestModules(3), "github.com/santhosh-tekuri/jsonschema 8.3 ms, github.com/aws/aws-sdk-go-v2 6.3 ms, modernc.org/sqlite 0.4 ms"; got != want {
		t.Errorf("largest %q, want %q", got, want)
	}
	if tr := parseInitTrace([]byte("usage: loanflow COMMAND\n")); tr.Total != 0 || len(tr.Modules) != 0 {
		t.Errorf("no trace: %+v", tr)
	}
}

func TestModuleOf(t *testing.T) {
	for pkg, want := range map[string]string{
		"encoding/gob":             "std",
		"loanflow/infra/local/sfn": "loanflow",
		"github.com/aws/aws-sdk-go-v2/service/ssm/schemas": "github.com/aws/aws-sdk-go-v2",
		"golang.org/x/text/language":                       "golang.org/x/text",
		"modernc.org/libc":                                 "modernc.org/libc",
		"github.com/dustin/go-humanize":                    "github.com/dustin/go-humanize",
	} {
		if got := moduleOf(pkg); got != want {
			t.Errorf("moduleOf(%s) = %s, want %s", pkg, got, want)
		}
	}
}

// ourInitBudget bounds what this module's package initialisation may
// allocate at every start of the binary (about 75 KiB now; it was 1.1 MB
// when regexps with bounded repetitions and JSONata's function table were
// built at init). Build such things on first use (sync.OnceValue).
const ourInitBudget = 256 << 10

func TestOurInitIsCheap(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	tr, err := measureInit(context.Background(), loanflowBinary(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Total <= 0 {
		t.Fatal("no init trace")
	}
	if tr.OursBytes > ourInitBudget {
		t.Errorf("our packages' init allocates %d bytes at every start, budget %d: run GODEBUG=inittrace=1 loanflow help to see which", tr.OursBytes, ourInitBudget)
	}
}
