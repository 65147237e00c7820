package sfn

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"loanflow/infra/local/asl"
)

// Activities: tasks done by workers that poll Step Functions. A Task state
// whose Resource is an activity ARN schedules a task (asl: ActivityScheduled,
// persisted with the execution's checkpoint); GetActivityTask hands it to one
// worker with its token and input; the worker answers with SendTaskSuccess,
// SendTaskFailure and SendTaskHeartbeat as for any task token. Scheduled tasks
// live in the state file, so they survive a restart of the stack.

// getActivityTaskWait is how long GetActivityTask waits for a task: "The
// maximum time the service holds on to the request before responding is 60
// seconds" (API reference, GetActivityTask).
const getActivityTaskWait = 60 * time.Second

// Encryption types of an EncryptionConfiguration.
const (
	encryptionAWSOwned = "AWS_OWNED_KEY"
	encryptionKMS      = "CUSTOMER_MANAGED_KMS_KEY"
)

// EncryptionConfiguration is an activity's server-side encryption setting.
// The local stack keeps and returns it; it encrypts nothing.
type EncryptionConfiguration struct {
	Type                         string `json:"type"`
	KMSKeyID                     string `json:"kmsKeyId,omitempty"`
	KMSDataKeyReusePeriodSeconds int    `json:"kmsDataKeyReusePeriodSeconds,omitempty"`
}

// Activity describes an activity.
type Activity struct {
	ARN          string
	Name         string
	CreationDate time.Time
	Encryption   EncryptionConfiguration
}

// ActivityTask is a task GetActivityTask handed to a worker.
type ActivityTask struct {
	TaskToken string
	Input     string
}

func (e *Engine) activityARN(name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:activity:%s", e.region, e.account, name)
}

// encodeEncryption validates c as AWS does and returns its stored form (""
// for the default, AWS_OWNED_KEY).
func encodeEncryption(c *EncryptionConfiguration) (string, error) {
	if c == nil || c.Type == encryptionAWSOwned && c.KMSKeyID == "" && c.KMSDataKeyReusePeriodSeconds == 0 {
		return "", nil
	}
	switch c.Type {
	case encryptionAWSOwned, encryptionKMS:
	default:
		return "", apiErr(CodeValidationException, "1 validation error detected: Value '%s' at 'encryptionConfiguration.type' failed to satisfy constraint: Member must satisfy enum value set: [CUSTOMER_MANAGED_KMS_KEY, AWS_OWNED_KEY]", c.Type)
	}
	if c.KMSDataKeyReusePeriodSeconds != 0 && (c.KMSDataKeyReusePeriodSeconds < 60 || c.KMSDataKeyReusePeriodSeconds > 900) {
		return "", apiErr(CodeValidationException, "1 validation error detected: Value '%d' at 'encryptionConfiguration.kmsDataKeyReusePeriodSeconds' failed to satisfy constraint: Member must have value between 60 and 900", c.KMSDataKeyReusePeriodSeconds)
	}
	if c.Type == encryptionKMS && c.KMSKeyID == "" {
		return "", apiErr(CodeInvalidEncryption, "Invalid Encryption Configuration: kmsKeyId is required when type is CUSTOMER_MANAGED_KMS_KEY")
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode encryption configuration: %w", err)
	}
	return string(b), nil
}

// decodeEncryption reads a stored configuration.
func decodeEncryption(s string) (EncryptionConfiguration, error) {
	c := EncryptionConfiguration{Type: encryptionAWSOwned}
	if s == "" {
		return c, nil
	}
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return c, fmt.Errorf("decode encryption configuration: %w", err)
	}
	return c, nil
}

// CreateActivityInput is CreateActivity's request.
type CreateActivityInput struct {
	Name       string
	Tags       map[string]string
	Encryption *EncryptionConfiguration
}

// CreateActivity creates an activity and returns its ARN and creation date.
// It is idempotent on the name: "If a following request has different tags
// values, Step Functions will ignore these differences and treat it as an
// idempotent request of the previous" (API reference, CreateActivity), and
// ActivityAlreadyExists means "EncryptionConfiguration may not be updated".
func (e *Engine) CreateActivity(ctx context.Context, in CreateActivityInput) (string, time.Time, error) {
	if err := checkName(in.Name); err != nil {
		return "", time.Time{}, err
	}
	if err := checkTags(in.Tags); err != nil {
		return "", time.Time{}, err
	}
	enc, err := encodeEncryption(in.Encryption)
	if err != nil {
		return "", time.Time{}, err
	}
	arn := e.activityARN(in.Name)
	created, err := e.store.createActivity(ctx, activityRow{arn: arn, name: in.Name, created: e.clock.Now(), encryption: enc}, in.Tags)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("create activity %s: %w", in.Name, err)
	}
	return arn, created, nil
}

// DescribeActivity returns activity arn.
func (e *Engine) DescribeActivity(ctx context.Context, arn string) (*Activity, error) {
	if err := e.checkARN(arn, "activity"); err != nil {
		return nil, err
	}
	row, err := e.store.describeActivity(ctx, arn)
	if err != nil {
		return nil, err
	}
	enc, err := decodeEncryption(row.encryption)
	if err != nil {
		return nil, fmt.Errorf("describe activity %s: %w", arn, err)
	}
	return &Activity{ARN: row.arn, Name: row.name, CreationDate: row.created, Encryption: enc}, nil
}

// ListActivities returns up to maxResults activities (0: 100) ordered by
// name, from nextToken on, and the token of the next page ("" at the end).
func (e *Engine) ListActivities(ctx context.Context, maxResults int, nextToken string) ([]Activity, string, error) {
	limit, after, err := pageStart(maxResults, nextToken, listActivities)
	if err != nil {
		return nil, "", err
	}
	rows, err := e.store.listActivities(ctx, after, limit+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = pageToken(listActivities, rows[limit-1].name)
	}
	out := make([]Activity, 0, len(rows))
	for _, r := range rows {
		out = append(out, Activity{ARN: r.arn, Name: r.name, CreationDate: r.created})
	}
	return out, next, nil
}

// DeleteActivity deletes activity arn; deleting one that does not exist
// succeeds, as on AWS (LocalStack's AWS-validated snapshot
// test_sfn_api_activities.snapshot.json, delete_activity_response_2).
// Tasks already scheduled for it stay until they time out or their
// executions end.
func (e *Engine) DeleteActivity(ctx context.Context, arn string) error {
	if err := e.checkARN(arn, "activity"); err != nil {
		return err
	}
	if err := e.store.deleteActivity(ctx, arn); err != nil {
		return fmt.Errorf("delete activity: %w", err)
	}
	e.log.InfoContext(ctx, "activity deleted", "activityArn", arn)
	return nil
}

// GetActivityTask hands the oldest task scheduled for activity arn to the
// worker named worker ("" for none), waiting up to 60 seconds for one; nil
// when none came ("If no task is available within 60 seconds, the poll
// returns a taskToken with a null string", API reference, GetActivityTask).
func (e *Engine) GetActivityTask(ctx context.Context, arn, worker string) (*ActivityTask, error) {
	if err := e.checkARN(arn, "activity"); err != nil {
		return nil, err
	}
	if len(worker) > 80 {
		return nil, apiErr(CodeValidationException, "1 validation error detected: Value '%s' at 'workerName' failed to satisfy constraint: Member must have length less than or equal to 80", worker)
	}
	if _, err := e.store.describeActivity(ctx, arn); err != nil {
		return nil, err
	}
	timer := e.clock.NewTimer(getActivityTaskWait)
	defer timer.Stop()
	for {
		// Listen before looking, so that a task added in between wakes us.
		added := e.polls.Wait(arn)
		t, err := e.store.takeActivityTask(ctx, arn, worker)
		if err != nil || t != nil {
			if err != nil {
				return nil, fmt.Errorf("get activity task: %w", err)
			}
			e.activityTaken(ctx, t, worker)
			return &ActivityTask{TaskToken: t.token, Input: t.input}, nil
		}
		select {
		case <-added:
		case <-timer.C():
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-e.stop:
			return nil, nil
		}
	}
}

// activityTaken resumes the thread waiting on the task t, which records
// ActivityStarted.
func (e *Engine) activityTaken(ctx context.Context, t *takenTask, worker string) {
	e.log.InfoContext(ctx, "activity task taken", "executionId", t.execID, "token", tokenLogID(t.token), "workerName", worker)
	if t.nested {
		e.tokens.signal(t.token, asl.TaskSignal{Start: &asl.ActivityStart{Worker: worker, HeartbeatAt: t.hbAt}})
		return
	}
	e.enqueue(t.execID, nil)
}

// ActivityExists reports whether activity arn exists (asl.ActivityHost).
func (r *run) ActivityExists(ctx context.Context, arn string) (bool, error) {
	return r.e.store.activityExists(ctx, arn)
}

var _ asl.ActivityHost = (*run)(nil)

// ActivitySummary is an activity with the tasks of running executions that
// wait for a worker (Waiting) and that a worker has taken (InProgress).
type ActivitySummary struct {
	ARN, Name           string
	Waiting, InProgress int
}

// ActivitySummaries lists every activity by name with its task counts, for
// the local stack's console.
func (e *Engine) ActivitySummaries(ctx context.Context) ([]ActivitySummary, error) {
	return e.store.activitySummaries(ctx, e.clock.Now().UnixNano())
}
