// Package ssm is the local stack's SSM Parameter Store, the part the system
// uses: String parameters behind the AWS JSON protocol (GetParameter,
// GetParameters, PutParameter, DeleteParameter). The stack writes its own
// parameters at every start, as CloudFormation would at deploy, so they are
// kept in memory only.
package ssm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"loanflow/infra/local/awsjson"
)

// TargetPrefix is SSM's X-Amz-Target prefix.
const TargetPrefix = "AmazonSSM"

// MaxValue is a standard parameter's largest value (4 KB).
const MaxValue = 4096

type parameter struct {
	Name     string
	Type     string
	Value    string
	Version  int64
	Modified time.Time
}

// Store holds the parameters.
type Store struct {
	region, account string

	mu     sync.Mutex
	params map[string]*parameter
}

// New returns an empty store.
func New(region, account string) *Store {
	return &Store{region: region, account: account, params: map[string]*parameter{}}
}

// ARN is a parameter's ARN: "parameter" and the name, whose leading slash
// the ARN does not repeat.
func (s *Store) ARN(name string) string {
	return fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/%s", s.region, s.account, strings.TrimPrefix(name, "/"))
}

// Put writes a String parameter, a new version when the value changes.
func (s *Store) Put(name, value string) (int64, error) {
	if err := checkName(name); err != nil {
		return 0, err
	}
	if value == "" || len(value) > MaxValue {
		return 0, awsjson.Validation("Value", fmt.Sprintf("must be 1-%d characters", MaxValue))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.params[name]
	if !ok {
		p = &parameter{Name: name, Type: "String"}
		s.params[name] = p
	}
	if p.Value != value || p.Version == 0 {
		p.Value, p.Version, p.Modified = value, p.Version+1, time.Now().UTC()
	}
	return p.Version, nil
}

// Get returns a parameter's value.
func (s *Store) Get(name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.params[name]
	if !ok {
		return "", false
	}
	return p.Value, true
}

func checkName(name string) error {
	switch {
	case name == "" || len(name) > 2048:
		return awsjson.Validation("Name", "must be 1-2048 characters")
	case strings.Count(name, "/") > 15:
		return awsjson.Errorf("HierarchyLevelLimitExceededException", "A parameter name can have at most 15 levels of hierarchy")
	}
	return nil
}

// Service is the AWS JSON protocol of the parameters.
func (s *Store) Service() *awsjson.Service {
	return &awsjson.Service{TargetPrefix: TargetPrefix, JSONVersion: "1.1", Ops: map[string]awsjson.Operation{
		"GetParameter":    s.opGetParameter,
		"GetParameters":   s.opGetParameters,
		"PutParameter":    s.opPutParameter,
		"DeleteParameter": s.opDeleteParameter,
	}}
}

func (s *Store) describe(p *parameter) map[string]any {
	return map[string]any{"Name": p.Name, "Type": p.Type, "Value": p.Value, "Version": p.Version, "ARN": s.ARN(p.Name),
		"DataType": "text", "LastModifiedDate": float64(p.Modified.UnixMilli()) / 1000}
}

func notFound(name string) *awsjson.Error {
	return &awsjson.Error{Code: "ParameterNotFound", Message: "Parameter " + name + " not found.", Status: http.StatusBadRequest}
}

func (s *Store) opGetParameter(_ context.Context, body []byte) (any, error) {
	var in struct{ Name string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkName(in.Name); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.params[in.Name]
	if !ok {
		return nil, notFound(in.Name)
	}
	return map[string]any{"Parameter": s.describe(p)}, nil
}

func (s *Store) opGetParameters(_ context.Context, body []byte) (any, error) {
	var in struct{ Names []string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.Names) == 0 || len(in.Names) > 10 {
		return nil, awsjson.Validation("Names", "must hold 1-10 names")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	found, invalid := []any{}, []string{}
	for _, n := range in.Names {
		if p, ok := s.params[n]; ok {
			found = append(found, s.describe(p))
		} else {
			invalid = append(invalid, n)
		}
	}
	return map[string]any{"Parameters": found, "InvalidParameters": invalid}, nil
}

func (s *Store) opPutParameter(_ context.Context, body []byte) (any, error) {
	var in struct {
		Name, Value, Type string
		Overwrite         bool
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if in.Type != "" && in.Type != "String" {
		return nil, awsjson.Errorf("UnsupportedParameterType", "this local SSM stores String parameters only, not %s", in.Type)
	}
	s.mu.Lock()
	_, exists := s.params[in.Name]
	s.mu.Unlock()
	if exists && !in.Overwrite {
		return nil, awsjson.Errorf("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
	}
	v, err := s.Put(in.Name, in.Value)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Version": v, "Tier": "Standard"}, nil
}

func (s *Store) opDeleteParameter(_ context.Context, body []byte) (any, error) {
	var in struct{ Name string }
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, awsjson.Errorf("SerializationException", "%v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.params[in.Name]; !ok {
		return nil, notFound(in.Name)
	}
	delete(s.params, in.Name)
	return struct{}{}, nil
}
