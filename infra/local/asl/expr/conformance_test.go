package expr

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"loanflow/infra/local/internal/conformance"
)

// This file holds a minimal, test-only state machine driver: enough of
// Pass, Choice, Succeed and Fail (JSONPath only) to run the AWS-recorded
// conformance cases against this package. The real interpreter lives in
// the parent package.

func conformanceDir(*testing.T) string { return conformance.Dir("asl") }

type confCase struct {
	Name       string         `json:"name"`
	Definition map[string]any `json:"definition"`
	Input      any            `json:"input"`
	Expected   struct {
		Status string  `json:"status"`
		Output any     `json:"output"`
		Error  *string `json:"error"`
		Cause  *string `json:"cause"`
	} `json:"expected"`
	IgnorePaths []string `json:"ignore_paths"`
}

// errSkip marks a definition the driver cannot run.
var errSkip = errors.New("unsupported by the test driver")

type execResult struct {
	status, errName, cause string
	output                 any
}

// runDefinition executes a simple JSONPath state machine.
func runDefinition(def map[string]any, input any) (execResult, error) {
	states, _ := def["States"].(map[string]any)
	cur, _ := def["StartAt"].(string)
	if ql, _ := def["QueryLanguage"].(string); ql == "JSONata" {
		return execResult{}, errSkip
	}
	ctx := map[string]any{
		"Execution": map[string]any{
			"Id": "arn:aws:states:us-east-1:000000000000:execution:sm:exec", "Input": input, "Name": "exec",
			"RoleArn": "arn:aws:iam::000000000000:role/role", "StartTime": "2024-01-01T00:00:00.000Z", "RedriveCount": json.Number("0"),
		},
		"StateMachine": map[string]any{"Id": "arn:aws:states:us-east-1:000000000000:stateMachine:sm", "Name": "sm"},
	}
	data := input
	for step := 0; step < 1000; step++ {
		st, ok := states[cur].(map[string]any)
		if !ok {
			return execResult{}, fmt.Errorf("no state %q", cur)
		}
		ctx["State"] = map[string]any{"Name": cur, "EnteredTime": "2024-01-01T00:00:00.000Z"}
		for k := range st {
			switch k {
			case "Type", "Next", "End", "Comment", "InputPath", "OutputPath", "Parameters", "Result", "ResultPath",
				"Choices", "Default", "Error", "Cause", "ErrorPath", "CausePath":
			default:
				return execResult{}, fmt.Errorf("%w: field %s", errSkip, k)
			}
		}
		fail := func(err error) (execResult, error) {
			var e *Error
			if !errors.As(err, &e) {
				return execResult{}, err
			}
			return execResult{status: "FAILED", errName: e.Name, cause: fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). %s", cur, 2+2*step, e.Cause)}, nil
		}
		scope := Scope{Context: ctx}
		in := data
		if ip, ok := st["InputPath"]; ok {
			if ip == nil {
				in = map[string]any{}
			} else if v, err := ApplyPath(data, ip.(string), scope); err != nil {
				return fail(err)
			} else {
				in = v
			}
		}
		scope.Input = in
		typ, _ := st["Type"].(string)
		var out any
		next, _ := st["Next"].(string)
		switch typ {
		case "Pass":
			eff := in
			if params, ok := st["Parameters"]; ok {
				tmpl, err := CompileTemplate(params)
				if err != nil {
					return execResult{}, err
				}
				v, err := tmpl.Eval(scope)
				if err != nil {
					return fail(err)
				}
				eff = v
			}
			if r, ok := st["Result"]; ok {
				eff = r
			}
			out = eff
			if rp, ok := st["ResultPath"]; ok {
				if rp == nil {
					out = data
				} else {
					v, err := SetResultPath(data, rp.(string), eff)
					if err != nil {
						return fail(err)
					}
					out = v
				}
			}
		case "Choice":
			out = in
			next = ""
			choices, _ := st["Choices"].([]any)
			for _, c := range choices {
				rule, err := CompileRule(c.(map[string]any))
				if err != nil {
					return execResult{}, err
				}
				ok, err := rule.Eval(scope)
				if err != nil {
					return fail(err)
				}
				if ok {
					next = rule.Next()
					break
				}
			}
			if next == "" {
				next, _ = st["Default"].(string)
				if next == "" {
					return execResult{status: "FAILED", errName: "States.NoChoiceMatched"}, nil
				}
			}
		case "Succeed":
			out = in
		case "Fail":
			res := execResult{status: "FAILED"}
			for _, f := range []struct {
				lit, path string
				dst       *string
			}{{"Error", "ErrorPath", &res.errName}, {"Cause", "CausePath", &res.cause}} {
				if s, ok := st[f.lit].(string); ok {
					*f.dst = s
				}
				if s, ok := st[f.path].(string); ok {
					var v any
					var err error
					if IsIntrinsic(s) {
						v, err = Intrinsic(s, scope)
					} else {
						var p *Path
						if p, err = CompilePath(s); err == nil {
							v, err = p.GetField(scope, f.path)
						}
					}
					if err != nil {
						return fail(err)
					}
					*f.dst, _ = v.(string)
				}
			}
			return res, nil
		default:
			return execResult{}, fmt.Errorf("%w: state type %s", errSkip, typ)
		}
		if op, ok := st["OutputPath"]; ok {
			if op == nil {
				out = map[string]any{}
			} else if v, err := ApplyPath(out, op.(string), scope); err != nil {
				return fail(err)
			} else {
				out = v
			}
		}
		data = out
		if end, _ := st["End"].(bool); end || typ == "Succeed" {
			return execResult{status: "SUCCEEDED", output: data}, nil
		}
		cur = next
	}
	return execResult{}, errors.New("too many transitions")
}

// usesJSONata reports whether a definition uses JSONata anywhere.
func usesJSONata(def any) bool {
	b, _ := json.Marshal(def)
	return strings.Contains(string(b), `"QueryLanguage":"JSONata"`)
}

// deletePath removes a simple "$.a.b" path from v (for ignore_paths).
func deletePath(v any, path string) {
	parts := strings.Split(strings.TrimPrefix(path, "$."), ".")
	for i, p := range parts {
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		if i == len(parts)-1 {
			delete(m, p)
			return
		}
		v = m[p]
	}
}

func TestConformance(t *testing.T) {
	dir := conformanceDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		t.Skipf("conformance corpus not found at %q (set LOANFLOW_CONFORMANCE_DIR)", dir)
	}
	type tally struct{ pass, fail, skip int }
	counts := map[string]*tally{}
	for _, f := range files {
		base := filepath.Base(f)
		group := "other"
		switch {
		case strings.HasPrefix(base, "choice_operators__"):
			group = "choice_operators"
		case strings.HasPrefix(base, "intrinsic_functions__"):
			group = "intrinsic_functions"
		}
		if counts[group] == nil {
			counts[group] = &tally{}
		}
		c := counts[group]
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var tc confCase
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.UseNumber()
		if err := dec.Decode(&tc); err != nil {
			t.Fatalf("%s: %v", base, err)
		}
		if usesJSONata(tc.Definition) {
			c.skip++
			continue
		}
		t.Run(strings.TrimSuffix(base, ".json"), func(t *testing.T) {
			if len(raw) > 256*1024 {
				c.skip++
				t.Skip("payload size limits are the interpreter's job")
			}
			got, err := runDefinition(tc.Definition, tc.Input)
			if errors.Is(err, errSkip) {
				c.skip++
				t.Skip(err)
			}
			if err != nil {
				c.fail++
				t.Fatalf("driver: %v", err)
			}
			ok := true
			ignoreCause := false
			for _, p := range tc.IgnorePaths {
				if p == "$.cause" {
					ignoreCause = true
				}
			}
			if got.status != tc.Expected.Status {
				t.Errorf("status = %s (%s: %s), want %s", got.status, got.errName, got.cause, tc.Expected.Status)
				ok = false
			} else if got.status == "SUCCEEDED" {
				want := deepCopy(tc.Expected.Output)
				out := deepCopy(got.output)
				for _, p := range tc.IgnorePaths {
					deletePath(want, p)
					deletePath(out, p)
				}
				if !Equal(out, want) {
					t.Errorf("output = %s\nwant     %s", mustEncode(out), mustEncode(want))
					ok = false
				}
			} else {
				if tc.Expected.Error != nil && got.errName != *tc.Expected.Error {
					t.Errorf("error = %q, want %q", got.errName, *tc.Expected.Error)
					ok = false
				}
				if tc.Expected.Cause != nil && !ignoreCause && got.cause != *tc.Expected.Cause {
					t.Errorf("cause = %q\nwant    %q", got.cause, *tc.Expected.Cause)
					ok = false
				}
			}
			if ok {
				c.pass++
			} else {
				c.fail++
			}
		})
	}
	groups := make([]string, 0, len(counts))
	for g := range counts {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		c := counts[g]
		t.Logf("conformance %-20s pass %3d  fail %3d  skip %3d", g, c.pass, c.fail, c.skip)
	}
}
