package sfn

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"

	"loanflow/infra/local/asl"
	"loanflow/infra/local/asl/expr"
	"loanflow/infra/local/internal/modellen"
)

// Task tokens are "v1" + base64url(32 random bytes): opaque and unguessable.
// A token is generated when a Task is scheduled and checkpointed before the
// invocation, so a replay after a crash sends the same token.
const (
	tokenPrefix    = "v1"
	tokenRandBytes = 32
	maxTokenLen    = 2048
)

func newToken() string {
	var b [tokenRandBytes]byte
	_, _ = rand.Read(b[:])
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// checkToken validates a token's shape (InvalidToken when malformed).
func checkToken(token string) error {
	if token == "" || len(token) > maxTokenLen {
		return apiErr(CodeValidationException, "1 validation error detected: Value at 'taskToken' failed to satisfy constraint: Member must have length between 1 and %d", maxTokenLen)
	}
	if len(token) < len(tokenPrefix) || token[:len(tokenPrefix)] != tokenPrefix {
		return apiErr(CodeInvalidToken, "Invalid Token: 'Invalid token'")
	}
	b, err := base64.RawURLEncoding.DecodeString(token[len(tokenPrefix):])
	if err != nil || len(b) != tokenRandBytes {
		return apiErr(CodeInvalidToken, "Invalid Token: 'Invalid token'")
	}
	return nil
}

// tokenLogID is a short, non-secret prefix of a token for logs: its first 8
// characters, as the functions log it (lambdalog).
func tokenLogID(token string) string {
	if len(token) > 8 {
		return token[:8] + "…"
	}
	return "…"
}

// SendTaskSuccess completes the task waiting on token with output (a JSON
// document of at most 256 KiB).
func (e *Engine) SendTaskSuccess(ctx context.Context, token, output string) error {
	if err := checkToken(token); err != nil {
		return err
	}
	v, err := expr.Decode([]byte(output))
	if err != nil {
		return apiErr(CodeInvalidOutput, "Invalid Output: output is not valid JSON: %v", err)
	}
	if len(output) > asl.MaxPayload {
		return apiErr(CodeInvalidOutput, "Invalid Output: output exceeds the maximum size of %d bytes", asl.MaxPayload)
	}
	raw, _ := json.Marshal(v)
	so, _ := json.Marshal(storedOutcome{Success: true, Output: raw})
	return e.resolveTask(ctx, token, string(so), &asl.TaskOutcome{Success: true, Output: v})
}

// SendTaskFailure fails the task waiting on token with an error name and
// cause, which the state's Retry and Catch match on.
func (e *Engine) SendTaskFailure(ctx context.Context, token, errName, cause string) error {
	if err := checkToken(token); err != nil {
		return err
	}
	if err := checkErrorAndCause(errName, cause); err != nil {
		return err
	}
	so, _ := json.Marshal(storedOutcome{Error: errName, Cause: cause})
	return e.resolveTask(ctx, token, string(so), &asl.TaskOutcome{Error: errName, Cause: cause})
}

// SendTaskHeartbeat reports that the task waiting on token is alive,
// restarting its HeartbeatSeconds timer.
func (e *Engine) SendTaskHeartbeat(ctx context.Context, token string) error {
	if err := checkToken(token); err != nil {
		return err
	}
	t, hbAt, err := e.store.heartbeatTask(ctx, token)
	if err != nil {
		return err
	}
	if t.nested && hbAt != 0 {
		e.tokens.signal(token, asl.TaskSignal{HeartbeatAt: hbAt})
	}
	e.log.DebugContext(ctx, "task heartbeat", "executionId", t.execID, "token", tokenLogID(token))
	return nil
}

// resolveTask commits the outcome of the task waiting on token (stored is
// its JSON), then resumes what waits on it.
func (e *Engine) resolveTask(ctx context.Context, token, stored string, o *asl.TaskOutcome) error {
	t, err := e.store.resolveTask(ctx, token, stored)
	if err != nil {
		return err
	}
	e.log.InfoContext(ctx, "task resolved", "executionId", t.execID, "token", tokenLogID(token), "success", o.Success)
	if t.nested {
		e.tokens.signal(token, asl.TaskSignal{Outcome: o})
		return nil
	}
	// The worker resumes the execution with the task as just committed:
	// a completed task changes no more, so it need not read it again.
	e.enqueueResolved(t.execID, &resolvedTask{token: token, hbNS: t.hbNS, outcome: stored})
	return nil
}

// resolvedTask is a top-level task as resolveTask committed it: completed
// with outcome (its stored JSON), its heartbeat deadline hbNS (0 if none).
// Neither changes once the task is completed, so what taskState would read
// of it later is this.
type resolvedTask struct {
	token   string
	hbNS    int64
	outcome string
}

// storedOutcome is a task's outcome as sfn_tasks.outcome holds it.
type storedOutcome struct {
	Success bool            `json:"success"`
	Output  json.RawMessage `json:"output,omitempty"`
	Error   string          `json:"error,omitempty"`
	Cause   string          `json:"cause,omitempty"`
}

func decodeOutcome(s string) (*asl.TaskOutcome, error) {
	var so storedOutcome
	if err := json.Unmarshal([]byte(s), &so); err != nil {
		return nil, err
	}
	o := &asl.TaskOutcome{Success: so.Success, Error: so.Error, Cause: so.Cause}
	if so.Success {
		v, err := expr.Decode(so.Output)
		if err != nil {
			return nil, err
		}
		o.Output = v
	}
	return o, nil
}

// checkErrorAndCause applies the API's limits on the error and cause a
// caller gives (SendTaskFailure, StopExecution): SensitiveError is at most
// 256 characters and SensitiveCause at most 32,768.
func checkErrorAndCause(errName, cause string) error {
	if modellen.Len(errName) > 256 {
		return apiErr(CodeValidationException, "1 validation error detected: Value at 'error' failed to satisfy constraint: Member must have length less than or equal to 256")
	}
	if modellen.Len(cause) > 32768 {
		return apiErr(CodeValidationException, "1 validation error detected: Value at 'cause' failed to satisfy constraint: Member must have length less than or equal to 32768")
	}
	return nil
}
