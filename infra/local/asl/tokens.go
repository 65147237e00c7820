package asl

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"loanflow/infra/local/asl/expr"
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
		return apiErr(CodeInvalidToken, "Invalid token")
	}
	b, err := base64.RawURLEncoding.DecodeString(token[len(tokenPrefix):])
	if err != nil || len(b) != tokenRandBytes {
		return apiErr(CodeInvalidToken, "Invalid token")
	}
	return nil
}

// tokenLogID is a short, non-secret prefix of a token for logs.
func tokenLogID(token string) string {
	if len(token) > 10 {
		return token[:10] + "…"
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
	if len(output) > maxPayload {
		return apiErr(CodeInvalidOutput, "Invalid Output: output exceeds the maximum size of %d bytes", maxPayload)
	}
	raw, _ := json.Marshal(v)
	so, _ := json.Marshal(storedOutcome{Success: true, Output: raw})
	return e.resolveTask(ctx, token, string(so), &taskOutcome{Success: true, Output: v})
}

// SendTaskFailure fails the task waiting on token with an error name and
// cause, which the state's Retry and Catch match on.
func (e *Engine) SendTaskFailure(ctx context.Context, token, errName, cause string) error {
	if err := checkToken(token); err != nil {
		return err
	}
	if len(errName) > 256 {
		return apiErr(CodeValidationException, "1 validation error detected: Value at 'error' failed to satisfy constraint: Member must have length less than or equal to 256")
	}
	if len(cause) > 32768 {
		return apiErr(CodeValidationException, "1 validation error detected: Value at 'cause' failed to satisfy constraint: Member must have length less than or equal to 32768")
	}
	so, _ := json.Marshal(storedOutcome{Error: errName, Cause: cause})
	return e.resolveTask(ctx, token, string(so), &taskOutcome{Error: errName, Cause: cause})
}

// SendTaskHeartbeat reports that the task waiting on token is alive,
// restarting its HeartbeatSeconds timer.
func (e *Engine) SendTaskHeartbeat(ctx context.Context, token string) error {
	if err := checkToken(token); err != nil {
		return err
	}
	var execID, hbAt int64
	var nested bool
	err := e.write(ctx, func(tx *sql.Tx) error {
		t, err := e.pendingTask(tx, token)
		if err != nil {
			return err
		}
		execID, nested = t.execID, t.nested
		if t.hbSeconds > 0 {
			hbAt = e.clock.Now().UnixNano() + t.hbSeconds*1e9
			if _, err := tx.Exec(`UPDATE sfn_tasks SET hb_ns = ? WHERE token = ?`, hbAt, token); err != nil {
				return fmt.Errorf("update heartbeat: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if nested && hbAt != 0 {
		e.signal(token, taskSignal{hbAt: hbAt})
	}
	e.log.DebugContext(ctx, "task heartbeat", "execution_id", execID, "token", tokenLogID(token))
	return nil
}

type pendingTaskRow struct {
	execID    int64
	nested    bool
	hbSeconds int64
}

// pendingTask returns the task for token if it can still be resolved, or
// TaskDoesNotExist / TaskTimedOut.
func (e *Engine) pendingTask(tx *sql.Tx, token string) (*pendingTaskRow, error) {
	var (
		t           pendingTaskRow
		status      string
		timeout, hb sql.NullInt64
		hbSeconds   sql.NullInt64
		execStatus  string
	)
	err := tx.QueryRow(`SELECT t.exec_id, t.nested, t.status, t.timeout_ns, t.hb_ns, t.hb_seconds, x.status
		FROM sfn_tasks t JOIN sfn_executions x ON x.id = t.exec_id WHERE t.token = ?`, token).
		Scan(&t.execID, &t.nested, &status, &timeout, &hb, &hbSeconds, &execStatus)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apiErr(CodeTaskDoesNotExist, "Task does not exist")
	}
	if err != nil {
		return nil, fmt.Errorf("read task: %w", err)
	}
	t.hbSeconds = hbSeconds.Int64
	now := e.clock.Now().UnixNano()
	expired := timeout.Valid && now >= timeout.Int64 || hb.Valid && now >= hb.Int64
	switch {
	case status == taskTimedOut || execStatus == "TIMED_OUT" || status != taskCompleted && expired:
		return nil, apiErr(CodeTaskTimedOut, "Task Timed Out")
	case status != taskPending || execStatus != "RUNNING":
		return nil, apiErr(CodeTaskDoesNotExist, "Task does not exist anymore")
	}
	return &t, nil
}

func (e *Engine) resolveTask(ctx context.Context, token, stored string, o *taskOutcome) error {
	var t *pendingTaskRow
	err := e.write(ctx, func(tx *sql.Tx) error {
		var err error
		if t, err = e.pendingTask(tx, token); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE sfn_tasks SET status = ?, outcome = ? WHERE token = ?`, taskCompleted, stored, token); err != nil {
			return fmt.Errorf("complete task: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	e.log.InfoContext(ctx, "task resolved", "execution_id", t.execID, "token", tokenLogID(token), "success", o.Success)
	if t.nested {
		e.signal(token, taskSignal{outcome: o})
		return nil
	}
	e.enqueue(t.execID, nil)
	return nil
}

func (e *Engine) signal(token string, s taskSignal) {
	e.wmu.Lock()
	ch := e.waiters[token]
	e.wmu.Unlock()
	if ch != nil {
		select {
		case ch <- s:
		default:
		}
	}
}
