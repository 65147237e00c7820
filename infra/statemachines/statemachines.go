// Package statemachines holds the Amazon States Language definitions that both
// the CDK app and the local stack deploy. The files are templates: ${Name}
// placeholders (CloudFormation DefinitionSubstitutions) stand for ARNs, URLs
// and numbers from the typed config, so a file is valid JSON only once
// rendered.
package statemachines

import (
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
)

//go:embed *.asl.json
var files embed.FS

// Definition names one state machine definition file.
type Definition string

// The definitions.
const (
	LoanProcessor    Definition = "loan-processor"
	ValuationService Definition = "valuation-service"
)

// All lists every definition.
var All = []Definition{LoanProcessor, ValuationService}

// File is the definition's file name in this directory.
func (d Definition) File() string { return string(d) + ".asl.json" }

// Source returns the template text as stored.
func (d Definition) Source() (string, error) {
	b, err := files.ReadFile(d.File())
	if err != nil {
		return "", fmt.Errorf("read definition %s: %w", d, err)
	}
	return string(b), nil
}

var placeholderRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`) })

// Placeholders lists the ${Name} placeholders a template uses, sorted.
func Placeholders(template string) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range placeholderRE().FindAllStringSubmatch(template, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	sort.Strings(out)
	return out
}

// Render fills every placeholder from values and checks the result is JSON.
// A placeholder without a value, or a value without a placeholder, is an error:
// the two sides must agree exactly.
func (d Definition) Render(values map[string]string) ([]byte, error) {
	src, err := d.Source()
	if err != nil {
		return nil, err
	}
	used := Placeholders(src)
	var missing []string
	for _, p := range used {
		if _, ok := values[p]; !ok {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("render %s: no value for %s", d, strings.Join(missing, ", "))
	}
	for k := range values {
		if !strings.Contains(src, "${"+k+"}") {
			return nil, fmt.Errorf("render %s: value %s matches no placeholder", d, k)
		}
	}
	out := placeholderRE().ReplaceAllStringFunc(src, func(m string) string {
		return values[m[2:len(m)-1]]
	})
	if !json.Valid([]byte(out)) {
		return nil, fmt.Errorf("render %s: result is not valid JSON (check the placeholder values)", d)
	}
	return []byte(out), nil
}
