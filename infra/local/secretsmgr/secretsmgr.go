// Package secretsmgr is the local stack's Secrets Manager: the secrets the
// functions read (the webhook signing key, the webhook API key), behind the
// AWS JSON protocol, with AWS's version stages. PutSecretValue makes the new
// value AWSCURRENT and the one it replaces AWSPREVIOUS, as AWS does, so the
// key-rotation runbook is the same `aws secretsmanager put-secret-value`
// against AWS and against the local stack. Secrets live in one JSON file in
// the state directory, mode 0600, replaced atomically on every change.
package secretsmgr

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"loanflow/infra/local/awsjson"
)

// Stages of a secret's versions.
const (
	StageCurrent  = "AWSCURRENT"
	StagePrevious = "AWSPREVIOUS"
)

// MaxValue is Secrets Manager's limit on a secret value (64 KiB).
const MaxValue = 65536

type version struct {
	ID      string    `json:"id"`
	Value   string    `json:"value"`
	Created time.Time `json:"created"`
}

type secret struct {
	Name     string   `json:"name"`
	Current  version  `json:"current"`
	Previous *version `json:"previous,omitempty"`
}

// Store holds the secrets.
type Store struct {
	path    string
	region  string
	account string

	mu      sync.Mutex
	secrets map[string]*secret
}

// Open reads the secrets file at path (none yet is an empty store).
func Open(path, region, account string) (*Store, error) {
	s := &Store{path: path, region: region, account: account, secrets: map[string]*secret{}}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("read secrets: %w", err)
	}
	var list []*secret
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("secrets file %s is damaged (%v); restore it or delete it to make new keys", path, err)
	}
	for _, sec := range list {
		if sec.Name == "" || sec.Current.Value == "" {
			return nil, fmt.Errorf("secrets file %s is damaged: a secret without a name or value", path)
		}
		s.secrets[sec.Name] = sec
	}
	_ = os.Chmod(path, 0o600)
	return s, nil
}

// Ensure creates the secret with value if it does not exist, and returns
// its current value.
func (s *Store) Ensure(name, value string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sec, ok := s.secrets[name]; ok {
		return sec.Current.Value, nil
	}
	s.secrets[name] = &secret{Name: name, Current: newVersion(value)}
	return value, s.saveLocked()
}

// Current returns the secret's current value.
func (s *Store) Current(name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, ok := s.secrets[name]
	if !ok {
		return "", false
	}
	return sec.Current.Value, true
}

// Put makes value the secret's AWSCURRENT version and the current one
// AWSPREVIOUS. Putting the current value again changes nothing.
func (s *Store) Put(name, value string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, ok := s.secrets[name]
	if !ok {
		return "", errNotFound(name)
	}
	if sec.Current.Value == value {
		return sec.Current.ID, nil
	}
	prev := sec.Current
	sec.Previous, sec.Current = &prev, newVersion(value)
	if err := s.saveLocked(); err != nil {
		sec.Current, sec.Previous = prev, nil
		return "", err
	}
	return sec.Current.ID, nil
}

func newVersion(value string) version {
	sum := sha256.Sum256([]byte(value + time.Now().String()))
	h := hex.EncodeToString(sum[:16])
	return version{ID: h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32], Value: value, Created: time.Now().UTC()}
}

func (s *Store) saveLocked() error {
	list := make([]*secret, 0, len(s.secrets))
	for _, sec := range s.secrets {
		list = append(list, sec)
	}
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".secrets-*")
	if err != nil {
		return fmt.Errorf("write secrets: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write secrets: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write secrets: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write secrets: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("write secrets: %w", err)
	}
	return nil
}

func errNotFound(name string) *awsjson.Error {
	return awsjson.Errorf("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
}

// ARN is the secret's ARN as this store names it: as Secrets Manager does,
// the name followed by a hyphen and six characters (here derived from the
// name, so they are the same at every start). A policy that grants the bare
// name's ARN does not match it, on AWS or here.
func (s *Store) ARN(name string) string {
	return s.partialARN(name) + "-" + arnSuffix(s.region, s.account, name)
}

// partialARN is the ARN without the six-character suffix, which Secrets
// Manager accepts as a SecretId.
func (s *Store) partialARN(name string) string {
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s", s.region, s.account, name)
}

const suffixChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func arnSuffix(region, account, name string) string {
	sum := sha256.Sum256([]byte(region + "\x00" + account + "\x00" + name))
	b := make([]byte, 6)
	for i := range b {
		b[i] = suffixChars[int(sum[i])%len(suffixChars)]
	}
	return string(b)
}

// ARNOf is the full ARN of the secret a SecretId (a name, a full or a
// partial ARN) names.
func (s *Store) ARNOf(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, ok := s.lookup(id)
	if !ok {
		return "", false
	}
	return s.ARN(sec.Name), true
}

// lookup finds a secret by name, or by its full or partial ARN.
func (s *Store) lookup(id string) (*secret, bool) {
	if sec, ok := s.secrets[id]; ok {
		return sec, true
	}
	for name, sec := range s.secrets {
		if s.ARN(name) == id || s.partialARN(name) == id {
			return sec, true
		}
	}
	return nil, false
}

// Service is the Secrets Manager JSON protocol: GetSecretValue,
// PutSecretValue and DescribeSecret.
func (s *Store) Service() *awsjson.Service {
	return &awsjson.Service{TargetPrefix: "secretsmanager", JSONVersion: "1.1", Ops: map[string]awsjson.Operation{
		"GetSecretValue": s.getSecretValue,
		"PutSecretValue": s.putSecretValue,
		"DescribeSecret": s.describeSecret,
	}}
}

type getInput struct {
	SecretID     string `json:"SecretId"`
	VersionID    string `json:"VersionId"`
	VersionStage string `json:"VersionStage"`
}

func (s *Store) getSecretValue(_ context.Context, body []byte) (any, error) {
	var in getInput
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, awsjson.Errorf("SerializationException", "%v", err)
	}
	if in.SecretID == "" {
		return nil, awsjson.Validation("SecretId", "must be set")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, ok := s.lookup(in.SecretID)
	if !ok {
		return nil, errNotFound(in.SecretID)
	}
	v, stage := sec.Current, StageCurrent
	switch {
	case in.VersionStage == StagePrevious || (in.VersionID != "" && sec.Previous != nil && in.VersionID == sec.Previous.ID):
		if sec.Previous == nil {
			return nil, awsjson.Errorf("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: %s", StagePrevious)
		}
		v, stage = *sec.Previous, StagePrevious
	case in.VersionStage != "" && in.VersionStage != StageCurrent:
		return nil, awsjson.Errorf("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: %s", in.VersionStage)
	case in.VersionID != "" && in.VersionID != sec.Current.ID:
		return nil, awsjson.Errorf("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for VersionId: %s", in.VersionID)
	}
	return map[string]any{
		"ARN": s.ARN(sec.Name), "Name": sec.Name, "VersionId": v.ID, "SecretString": v.Value,
		"VersionStages": []string{stage}, "CreatedDate": float64(v.Created.UnixMilli()) / 1000,
	}, nil
}

type putInput struct {
	SecretID           string `json:"SecretId"`
	SecretString       string `json:"SecretString"`
	SecretBinary       []byte `json:"SecretBinary"`
	ClientRequestToken string `json:"ClientRequestToken"`
	VersionStages      []string
}

func (s *Store) putSecretValue(_ context.Context, body []byte) (any, error) {
	var in putInput
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, awsjson.Errorf("SerializationException", "%v", err)
	}
	value := in.SecretString
	if value == "" {
		value = string(in.SecretBinary)
	}
	switch {
	case in.SecretID == "":
		return nil, awsjson.Validation("SecretId", "must be set")
	case value == "":
		return nil, awsjson.Errorf("InvalidParameterException", "You must provide either SecretString or SecretBinary.")
	case len(value) > MaxValue:
		return nil, awsjson.Validation("SecretString", fmt.Sprintf("must be at most %d bytes", MaxValue))
	}
	for _, st := range in.VersionStages {
		if st != StageCurrent {
			return nil, awsjson.Errorf("InvalidParameterException", "this local Secrets Manager moves only %s on PutSecretValue, not %s", StageCurrent, st)
		}
	}
	s.mu.Lock()
	sec, ok := s.lookup(in.SecretID)
	name := ""
	if ok {
		name = sec.Name
	}
	s.mu.Unlock()
	if !ok {
		return nil, errNotFound(in.SecretID)
	}
	id, err := s.Put(name, value)
	if err != nil {
		return nil, &awsjson.Error{Code: "InternalServiceError", Message: err.Error(), Status: http.StatusInternalServerError}
	}
	return map[string]any{"ARN": s.ARN(name), "Name": name, "VersionId": id, "VersionStages": []string{StageCurrent}}, nil
}

func (s *Store) describeSecret(_ context.Context, body []byte) (any, error) {
	var in getInput
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, awsjson.Errorf("SerializationException", "%v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, ok := s.lookup(in.SecretID)
	if !ok {
		return nil, errNotFound(in.SecretID)
	}
	stages := map[string][]string{sec.Current.ID: {StageCurrent}}
	if sec.Previous != nil {
		stages[sec.Previous.ID] = []string{StagePrevious}
	}
	return map[string]any{"ARN": s.ARN(sec.Name), "Name": sec.Name, "VersionIdsToStages": stages,
		"RotationEnabled": false, "LastChangedDate": float64(sec.Current.Created.UnixMilli()) / 1000}, nil
}
