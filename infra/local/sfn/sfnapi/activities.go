package sfnapi

import (
	"context"

	"loanflow/infra/local/awsjson"
	"loanflow/infra/local/sfn"
)

// The activity operations: CreateActivity, DescribeActivity, ListActivities,
// DeleteActivity and GetActivityTask (workers answer with SendTask*).

// encryptionIn is an encryptionConfiguration as the API sends it.
type encryptionIn struct {
	Type                         string
	KMSKeyID                     string `json:"KmsKeyId"`
	KMSDataKeyReusePeriodSeconds int    `json:"KmsDataKeyReusePeriodSeconds"`
}

func (c *encryptionIn) config() *sfn.EncryptionConfiguration {
	if c == nil {
		return nil
	}
	return &sfn.EncryptionConfiguration{Type: c.Type, KMSKeyID: c.KMSKeyID, KMSDataKeyReusePeriodSeconds: c.KMSDataKeyReusePeriodSeconds}
}

func (h *handler) createActivity(ctx context.Context, body []byte) (any, error) {
	var in struct {
		Name                    string
		Tags                    tagList
		EncryptionConfiguration *encryptionIn
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	arn, created, err := h.e.CreateActivity(ctx, sfn.CreateActivityInput{Name: in.Name, Tags: in.Tags.toMap(), Encryption: in.EncryptionConfiguration.config()})
	if err != nil {
		return nil, apiError(err)
	}
	return map[string]any{"activityArn": arn, "creationDate": epoch(created)}, nil
}

func (h *handler) describeActivity(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ActivityARN string `json:"ActivityArn"`
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	a, err := h.e.DescribeActivity(ctx, in.ActivityARN)
	if err != nil {
		return nil, apiError(err)
	}
	enc := map[string]any{"type": a.Encryption.Type}
	if a.Encryption.KMSKeyID != "" {
		enc["kmsKeyId"] = a.Encryption.KMSKeyID
	}
	if a.Encryption.KMSDataKeyReusePeriodSeconds != 0 {
		enc["kmsDataKeyReusePeriodSeconds"] = a.Encryption.KMSDataKeyReusePeriodSeconds
	}
	return map[string]any{"activityArn": a.ARN, "name": a.Name, "creationDate": epoch(a.CreationDate), "encryptionConfiguration": enc}, nil
}

func (h *handler) listActivities(ctx context.Context, body []byte) (any, error) {
	var in struct {
		MaxResults int
		NextToken  string
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	as, next, err := h.e.ListActivities(ctx, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, apiError(err)
	}
	items := make([]map[string]any, 0, len(as))
	for _, a := range as {
		items = append(items, map[string]any{"activityArn": a.ARN, "name": a.Name, "creationDate": epoch(a.CreationDate)})
	}
	out := map[string]any{"activities": items}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

func (h *handler) deleteActivity(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ActivityARN string `json:"ActivityArn"`
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	return struct{}{}, apiError(h.e.DeleteActivity(ctx, in.ActivityARN))
}

// getActivityTask long-polls for up to 60 s; with no task it answers an
// empty result (no taskToken), as AWS does.
func (h *handler) getActivityTask(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ActivityARN string `json:"ActivityArn"`
		WorkerName  string
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	t, err := h.e.GetActivityTask(ctx, in.ActivityARN, in.WorkerName)
	if err != nil {
		return nil, apiError(err)
	}
	if t == nil {
		return struct{}{}, nil
	}
	return map[string]any{"taskToken": t.TaskToken, "input": t.Input}, nil
}
