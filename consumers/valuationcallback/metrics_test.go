package valuationcallback_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"loanflow/consumers/lambdalog"
	"loanflow/consumers/valuationcallback"
)

// lambdaLevels are Lambda's application log levels, most detailed first.
var lambdaLevels = []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}

// keptByLambda models Lambda's application log-level filtering for a JSON
// line, as documented ("Log-level filtering", AWS Lambda Developer Guide): a
// line whose "level" is missing or invalid, or whose "timestamp" is not RFC
// 3339, counts as INFO; a line is sent to CloudWatch Logs when its level is
// at least the function's.
func keptByLambda(t *testing.T, line, functionLevel string) bool {
	t.Helper()
	rank := func(l string) int {
		for i, name := range lambdaLevels {
			if strings.EqualFold(name, l) {
				return i
			}
		}
		return -1
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(line), &doc); err != nil {
		t.Fatalf("not a JSON line: %s", line)
	}
	level, _ := doc["level"].(string)
	r := rank(level)
	ts, _ := doc["timestamp"].(string)
	if _, err := time.Parse(time.RFC3339Nano, ts); err != nil || r < 0 {
		r = rank("INFO")
	}
	return r >= rank(functionLevel)
}

// Metric lines arrive whatever level the function logs at: each carries the
// level Lambda filters at (never below INFO) and a valid timestamp.
func TestEMFLinesSurviveLogLevelFiltering(t *testing.T) {
	for _, level := range append(lambdaLevels, "warn", "", "bogus") {
		var buf bytes.Buffer
		valuationcallback.NewEMF(&buf, valuationcallback.EMFOptions{LogLevel: level}).Count(valuationcallback.CallbacksRejected)
		line := strings.TrimSuffix(buf.String(), "\n")
		filter := strings.ToUpper(level)
		if filter == "" || filter == "BOGUS" {
			filter = "INFO"
		}
		if !keptByLambda(t, line, filter) {
			t.Errorf("log level %q: Lambda drops the metric line %s", level, line)
		}
		if got := valuationcallback.MetricLineLevel(level); got == "TRACE" || got == "DEBUG" {
			t.Errorf("log level %q: metric lines at %s", level, got)
		}
	}
	// The model reproduces the bug this guards against: a metric line
	// without a level is INFO, and a WARN function drops it.
	if keptByLambda(t, `{"_aws":{},"CallbacksRejected":1}`, "WARN") {
		t.Error("the filter model keeps a line without a level at WARN")
	}
	// The resolver's own log lines are filtered as usual.
	var logs bytes.Buffer
	lambdalog.New(&logs, "WARN").Info("resolved")
	if logs.Len() != 0 {
		t.Errorf("an INFO line at WARN: %s", logs.String())
	}
}

// On AWS each metric carries the function's name as a second dimension, so
// stages sharing an account count apart.
func TestEMFFunctionNameDimension(t *testing.T) {
	var buf bytes.Buffer
	valuationcallback.NewEMF(&buf, valuationcallback.EMFOptions{LogLevel: "ERROR", FunctionName: "dev-LoanProcessor-Resolver"}).Count(valuationcallback.CallbacksLate)
	var doc struct {
		AWS struct {
			CloudWatchMetrics []struct{ Dimensions [][]string }
		} `json:"_aws"`
		Level        string `json:"level"`
		FunctionName string
		Service      string
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	dims := doc.AWS.CloudWatchMetrics[0].Dimensions
	if len(dims) != 1 || strings.Join(dims[0], ",") != valuationcallback.DimensionService+","+valuationcallback.DimensionFunctionName ||
		doc.FunctionName != "dev-LoanProcessor-Resolver" || doc.Service != valuationcallback.MetricsService || doc.Level != "ERROR" {
		t.Errorf("EMF line = %s", buf.String())
	}
}
