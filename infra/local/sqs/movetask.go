package sqs

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"loanflow/infra/local/internal/ids"
)

// Message move task statuses, as ListMessageMoveTasks reports them.
const (
	MoveTaskRunning    = "RUNNING"
	MoveTaskCompleted  = "COMPLETED"
	MoveTaskCancelling = "CANCELLING"
	MoveTaskCancelled  = "CANCELLED"
	MoveTaskFailed     = "FAILED"
)

// maxMoveTasks is how many tasks are kept per source queue: the ten most
// recent, which is all ListMessageMoveTasks can return.
const maxMoveTasks = 10

// maxMovePerSecond is the highest MaxNumberOfMessagesPerSecond.
const maxMovePerSecond = 500

// MoveTask is a message move task (StartMessageMoveTask).
type MoveTask struct {
	// Handle is the TaskHandle; ListMessageMoveTasks shows it only while
	// the task runs.
	Handle         string
	SourceARN      string
	DestinationARN string // empty: each message back to the queue it was dead-lettered from
	// MaxPerSecond is MaxNumberOfMessagesPerSecond, 0 when not set (then
	// the task moves every message at once).
	MaxPerSecond  int
	Status        string
	StartedAt     time.Time
	ToMove, Moved int64
	// FailureReason is the error code that failed the task.
	FailureReason string
}

// taskHandle is what a TaskHandle encodes.
type taskHandle struct {
	TaskID    string `json:"taskId"`
	SourceARN string `json:"sourceArn"`
}

func encodeTaskHandle(id, source string) string {
	raw, _ := json.Marshal(taskHandle{TaskID: id, SourceARN: source})
	return base64.StdEncoding.EncodeToString(raw)
}

func decodeTaskHandle(h string) (taskHandle, error) {
	var t taskHandle
	raw, err := base64.StdEncoding.DecodeString(h)
	if err == nil {
		err = json.Unmarshal(raw, &t)
	}
	if err != nil || t.TaskID == "" || t.SourceARN == "" {
		return taskHandle{}, fail(ErrInvalidParameterValue, "Value for parameter TaskHandle is invalid.")
	}
	return t, nil
}

// errNoSource is AWS's answer for a source ARN that names no queue.
func errNoSource() error {
	return fail(ErrResourceNotFound, "The resource that you specified for the SourceArn parameter doesn't exist.")
}

// StartMoveTask starts moving the messages of a dead-letter queue (source)
// to dest, or, when dest is empty, each back to the queue it was
// dead-lettered from. With perSecond 0 every message moves at once and the
// task is complete when StartMoveTask returns; otherwise the task moves
// perSecond messages a second (on the Broker's clock: the moves that are
// due happen whenever the Broker is used) until it has moved the messages
// the queue held when it started, or it is cancelled. Errors are AWS's:
// ErrResourceNotFound for a queue that does not exist, ErrNotDeadLetterQueue
// for a source that is no queue's dead-letter queue, ErrInvalidParameterValue
// for a source that already has a task running.
func (b *Broker) StartMoveTask(ctx context.Context, sourceARN, destARN string, perSecond int) (string, error) {
	if sourceARN == "" {
		return "", fail(ErrMissingParameter, "The request must contain the parameter SourceArn.")
	}
	source, ok := b.nameFromARN(sourceARN)
	if !ok {
		return "", invalidParam("SourceArn", sourceARN, "Not a queue ARN of this local stack.")
	}
	from, ok := b.lookup(source)
	if !ok {
		return "", errNoSource()
	}
	if len(b.DeadLetterSourceQueues(source)) == 0 {
		return "", ErrNotDeadLetterQueue
	}
	if destARN != "" {
		dest, ok := b.nameFromARN(destARN)
		if !ok {
			return "", invalidParam("DestinationArn", destARN, "Not a queue ARN of this local stack.")
		}
		if _, ok := b.lookup(dest); !ok {
			return "", fail(ErrResourceNotFound, "The resource that you specified for the DestinationArn parameter doesn't exist.")
		}
		if dest == source {
			return "", fail(ErrInvalidParameterValue, "Source queue arn and destination queue arn cannot be the same.")
		}
	}
	if perSecond < 0 || perSecond > maxMovePerSecond {
		return "", invalidParam("MaxNumberOfMessagesPerSecond", perSecond, fmt.Sprintf("must be an integer from 1 to %d.", maxMovePerSecond))
	}
	if _, err := b.advanceMoveTasks(ctx); err != nil {
		return "", err
	}
	id := ids.UUID()
	var dests []int64
	err := b.write(ctx, "start move task", func(tx *sql.Tx) error {
		now := b.nowMS()
		var active int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqs_move_tasks WHERE source_arn = ? AND status IN (?, ?)`,
			sourceARN, MoveTaskRunning, MoveTaskCancelling).Scan(&active); err != nil {
			return fmt.Errorf("sqs start move task: %w", err)
		}
		if active > 0 {
			return fail(ErrInvalidParameterValue, "There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
		}
		var toMove int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqs_messages WHERE queue_id = ? AND expires_at > ?`,
			from.id, now).Scan(&toMove); err != nil {
			return fmt.Errorf("sqs start move task: %w", err)
		}
		var rate any
		if perSecond > 0 {
			rate = perSecond
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sqs_move_tasks (id, source_arn, dest_arn, rate, status, started_at, to_move)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, sourceARN, destARN, rate, MoveTaskRunning, now, toMove); err != nil {
			return fmt.Errorf("sqs start move task: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sqs_move_tasks WHERE source_arn = ?1 AND id NOT IN
			(SELECT id FROM sqs_move_tasks WHERE source_arn = ?1 ORDER BY started_at DESC, rowid DESC LIMIT ?2)`, sourceARN, maxMoveTasks); err != nil {
			return fmt.Errorf("sqs start move task: %w", err)
		}
		t := moveTaskRow{id: id, source: sourceARN, dest: destARN, rate: int64(perSecond), status: MoveTaskRunning, started: now, toMove: toMove}
		var err error
		dests, err = b.stepMoveTask(ctx, tx, &t, now)
		return err
	})
	if err != nil {
		return "", err
	}
	for _, d := range dests {
		b.waiters.Notify(d)
	}
	b.log.InfoContext(ctx, "message move task started", "source", sourceARN, "destination", destARN, "perSecond", perSecond)
	return encodeTaskHandle(id, sourceARN), nil
}

// ListMoveTasks returns the most recent move tasks of a source queue, newest
// first: max of them (1 to 10; 0 means 1, as AWS's default).
func (b *Broker) ListMoveTasks(ctx context.Context, sourceARN string, max int) ([]MoveTask, error) {
	if sourceARN == "" {
		return nil, fail(ErrMissingParameter, "The request must contain the parameter SourceArn.")
	}
	if max == 0 {
		max = 1
	}
	if max < 1 || max > maxMoveTasks {
		return nil, invalidParam("MaxResults", max, "You must enter a number that's between 1 and 10.")
	}
	source, ok := b.nameFromARN(sourceARN)
	if !ok {
		return nil, fail(ErrInvalidParameterValue, "You must use this format to specify the SourceArn: arn:<partition>:<service>:<region>:<account-id>:<resource-id>")
	}
	if _, ok := b.lookup(source); !ok {
		return nil, errNoSource()
	}
	if _, err := b.advanceMoveTasks(ctx); err != nil {
		return nil, err
	}
	rows, err := b.db.QueryContext(ctx, `SELECT `+moveTaskColumns+` FROM sqs_move_tasks WHERE source_arn = ?
		ORDER BY started_at DESC, rowid DESC LIMIT ?`, sourceARN, max)
	if err != nil {
		return nil, fmt.Errorf("sqs list move tasks: %w", err)
	}
	defer rows.Close()
	var out []MoveTask
	for rows.Next() {
		t, err := scanMoveTask(rows)
		if err != nil {
			return nil, fmt.Errorf("sqs list move tasks: %w", err)
		}
		out = append(out, t.task())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqs list move tasks: %w", err)
	}
	return out, nil
}

// CancelMoveTask cancels a running move task and returns how many messages
// it has moved. The task is CANCELLING until the moment its next message
// was due, then CANCELLED; the messages it moved stay moved. A handle that
// is not one is ErrInvalidParameterValue; one whose queue or task does not
// exist is ErrResourceNotFound, as AWS answers.
func (b *Broker) CancelMoveTask(ctx context.Context, handle string) (int64, error) {
	if handle == "" {
		return 0, fail(ErrMissingParameter, "The request must contain the parameter TaskHandle.")
	}
	h, err := decodeTaskHandle(handle)
	if err != nil {
		return 0, err
	}
	source, ok := b.nameFromARN(h.SourceARN)
	if !ok {
		return 0, errNoSource()
	}
	if _, ok := b.lookup(source); !ok {
		return 0, errNoSource()
	}
	if _, err := b.advanceMoveTasks(ctx); err != nil {
		return 0, err
	}
	var moved int64
	err = b.write(ctx, "cancel move task", func(tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, `SELECT `+moveTaskColumns+` FROM sqs_move_tasks WHERE id = ? AND source_arn = ?`, h.TaskID, h.SourceARN)
		t, err := scanMoveTask(row)
		if errors.Is(err, sql.ErrNoRows) {
			return fail(ErrResourceNotFound, "Task does not exist.")
		}
		if err != nil {
			return fmt.Errorf("sqs cancel move task: %w", err)
		}
		if t.status != MoveTaskRunning {
			return invalidParam("TaskHandle", handle, "Only a task with status RUNNING can be cancelled; this task is "+t.status+".")
		}
		moved = t.moved
		if _, err := tx.ExecContext(ctx, `UPDATE sqs_move_tasks SET status = ?, cancel_at = ? WHERE id = ?`, MoveTaskCancelling, b.nowMS(), t.id); err != nil {
			return fmt.Errorf("sqs cancel move task: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	b.log.InfoContext(ctx, "message move task cancelled", "source", h.SourceARN, "moved", moved)
	return moved, nil
}

// moveTaskRow is a row of sqs_move_tasks.
type moveTaskRow struct {
	id, source, dest, status, failure string
	rate, started, toMove, moved      int64
}

const moveTaskColumns = `id, source_arn, dest_arn, COALESCE(rate, 0), status, started_at, to_move, moved, COALESCE(failure, '')`

func scanMoveTask(row interface{ Scan(...any) error }) (moveTaskRow, error) {
	var t moveTaskRow
	err := row.Scan(&t.id, &t.source, &t.dest, &t.rate, &t.status, &t.started, &t.toMove, &t.moved, &t.failure)
	return t, err
}

func (t moveTaskRow) task() MoveTask {
	m := MoveTask{SourceARN: t.source, DestinationARN: t.dest, MaxPerSecond: int(t.rate), Status: t.status,
		StartedAt: msToTime(t.started), ToMove: t.toMove, Moved: t.moved, FailureReason: t.failure}
	if t.status == MoveTaskRunning {
		m.Handle = encodeTaskHandle(t.id, t.source)
	}
	return m
}

// dueAt returns when the task's next message is due to move (Unix ms).
func (t moveTaskRow) dueAt() int64 {
	return t.started + (t.moved*1000+t.rate-1)/t.rate
}

// advanceMoveTasks makes every active move task catch up with the clock:
// a rate-limited task moves the messages due by now, a cancelling one
// becomes cancelled once its next message was due. It returns when the
// next message of a running task is due (Unix ms), 0 if none is.
func (b *Broker) advanceMoveTasks(ctx context.Context) (int64, error) {
	if !b.tasksActive.Load() {
		return 0, nil
	}
	var (
		next  int64
		dests []int64
	)
	err := b.write(ctx, "advance move tasks", func(tx *sql.Tx) error {
		next, dests = 0, nil
		now := b.nowMS()
		rows, err := tx.QueryContext(ctx, `SELECT `+moveTaskColumns+` FROM sqs_move_tasks WHERE status IN (?, ?)`, MoveTaskRunning, MoveTaskCancelling)
		if err != nil {
			return fmt.Errorf("sqs move tasks: %w", err)
		}
		var tasks []moveTaskRow
		for rows.Next() {
			t, err := scanMoveTask(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("sqs move tasks: %w", err)
			}
			tasks = append(tasks, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("sqs move tasks: %w", err)
		}
		active := false
		for i := range tasks {
			t := &tasks[i]
			if t.status == MoveTaskCancelling {
				if now >= t.dueAt() {
					if _, err := tx.ExecContext(ctx, `UPDATE sqs_move_tasks SET status = ? WHERE id = ?`, MoveTaskCancelled, t.id); err != nil {
						return fmt.Errorf("sqs move tasks: %w", err)
					}
					continue
				}
				active = true
				continue
			}
			d, err := b.stepMoveTask(ctx, tx, t, now)
			if err != nil {
				return err
			}
			dests = append(dests, d...)
			if t.status == MoveTaskRunning {
				active = true
				if due := t.dueAt(); next == 0 || due < next {
					next = due
				}
			}
		}
		b.tasksActive.Store(active)
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, d := range dests {
		b.waiters.Notify(d)
	}
	return next, nil
}

// stepMoveTask moves the messages of a running task that are due by now
// (all of them without a rate), and completes or fails it. It returns the
// ids of the queues it moved messages to; t is updated.
func (b *Broker) stepMoveTask(ctx context.Context, tx *sql.Tx, t *moveTaskRow, now int64) ([]int64, error) {
	due := t.toMove
	if t.rate > 0 {
		due = min(t.toMove, 1+(now-t.started)*t.rate/1000)
	}
	var dests []int64
	failure := ""
	if n := due - t.moved; n > 0 {
		moved, to, reason, err := b.moveMessages(ctx, tx, t, n, now)
		if err != nil {
			return nil, err
		}
		t.moved += moved
		dests, failure = to, reason
		if failure == "" && moved < n {
			t.toMove = t.moved // the queue ran out of messages
		}
	}
	switch {
	case failure != "":
		t.status, t.failure = MoveTaskFailed, failure
		b.log.WarnContext(ctx, "message move task failed", "source", t.source, "reason", failure, "moved", t.moved)
	case t.moved >= t.toMove:
		t.status = MoveTaskCompleted
	}
	if t.status == MoveTaskRunning {
		b.tasksActive.Store(true)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sqs_move_tasks SET status = ?, moved = ?, to_move = ?, failure = NULLIF(?, '') WHERE id = ?`,
		t.status, t.moved, t.toMove, t.failure, t.id); err != nil {
		return nil, fmt.Errorf("sqs move task: %w", err)
	}
	return dests, nil
}

// nonExistentQueue is the FailureReason of a task whose queue is gone.
const nonExistentQueue = "AWS.SimpleQueueService.NonExistentQueue"

// moveMessages moves up to n messages of a task's source, oldest first
// (those in flight too, like Redrive: their receipt handles go stale), to its destination: the task's, or the queue each message was
// dead-lettered from (the dead-letter queue's only source queue for a
// message sent to it directly). A moved message is visible at once with a
// fresh receive count. It returns how many moved, to which queues, and a
// failure reason when a queue is missing.
func (b *Broker) moveMessages(ctx context.Context, tx *sql.Tx, t *moveTaskRow, n, now int64) (int64, []int64, string, error) {
	sourceName, _ := b.nameFromARN(t.source)
	from, ok := b.lookup(sourceName)
	if !ok {
		return 0, nil, nonExistentQueue, nil
	}
	var fixed *queue
	if t.dest != "" {
		name, _ := b.nameFromARN(t.dest)
		if fixed, ok = b.lookup(name); !ok {
			return 0, nil, nonExistentQueue, nil
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT seq, COALESCE(source_arn, '') FROM sqs_messages
		WHERE queue_id = ? AND expires_at > ? ORDER BY seq LIMIT ?`, from.id, now, n)
	if err != nil {
		return 0, nil, "", fmt.Errorf("sqs move task: %w", err)
	}
	type move struct {
		seq    int64
		origin string
	}
	var moves []move
	for rows.Next() {
		var m move
		if err := rows.Scan(&m.seq, &m.origin); err != nil {
			rows.Close()
			return 0, nil, "", fmt.Errorf("sqs move task: %w", err)
		}
		moves = append(moves, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, nil, "", fmt.Errorf("sqs move task: %w", err)
	}
	var (
		moved int64
		to    []int64
		seen  = map[int64]bool{}
	)
	for _, m := range moves {
		dest := fixed
		if dest == nil {
			name, _ := b.nameFromARN(m.origin)
			if dest, ok = b.lookup(name); !ok {
				if sources := b.DeadLetterSourceQueues(sourceName); len(sources) == 1 && m.origin == "" {
					dest, ok = b.lookup(sources[0])
				}
			}
			if !ok {
				return moved, to, nonExistentQueue, nil
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sqs_messages SET queue_id = ?, visible_at = ?, receive_count = 0, first_receive_at = NULL,
			receipt = NULL, source_arn = NULL, expires_at = ? WHERE seq = ?`, dest.id, now, now+dest.retention.Milliseconds(), m.seq); err != nil {
			return 0, nil, "", fmt.Errorf("sqs move task: %w", err)
		}
		moved++
		if !seen[dest.id] {
			seen[dest.id] = true
			to = append(to, dest.id)
		}
	}
	return moved, to, "", nil
}
