package eventbus

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"loanflow/infra/local/awsjson"
)

// The wording of the archive and replay errors is AWS's as LocalStack's
// test_archive_and_replay.snapshot.json recorded it, except where a
// comment says otherwise.

// archiveView is an archive as DescribeArchive (every field) and
// ListArchives (no ARN, description or pattern) show it.
type archiveView struct {
	ArchiveARN     string `json:"ArchiveArn,omitempty"`
	ArchiveName    string `json:"ArchiveName"`
	EventSourceARN string `json:"EventSourceArn"`
	Description    string `json:"Description,omitempty"`
	EventPattern   string `json:"EventPattern,omitempty"`
	State          string `json:"State"`
	RetentionDays  int    `json:"RetentionDays"`
	SizeBytes      int64  `json:"SizeBytes"`
	EventCount     int64  `json:"EventCount"`
	CreationTime   *epoch `json:"CreationTime,omitempty"`
}

// archiveState is an archive's state: the local one is enabled as soon as it is made.
const archiveState = "ENABLED"

func (b *Bus) archiveView(a Archive, full bool) archiveView {
	v := archiveView{ArchiveName: a.Name, EventSourceARN: b.BusARN(a.Bus), State: archiveState, RetentionDays: a.RetentionDays,
		SizeBytes: a.SizeBytes, EventCount: a.EventCount, CreationTime: stamp(a.Created)}
	if full {
		v.ArchiveARN, v.Description, v.EventPattern = a.ARN, a.Description, a.Pattern
	}
	return v
}

// busOfARN reads an event bus ARN of this account and region.
func (b *Bus) busOfARN(arn string) (string, bool) {
	name, ok := strings.CutPrefix(arn, b.BusARN(""))
	return name, ok && name != ""
}

func archiveNotFound(name string) error { return notFound("Archive %s does not exist.", name) }

func (b *Bus) opCreateArchive(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ArchiveName, Description, EventPattern, KmsKeyIdentifier string
		EventSourceARN                                           string `json:"EventSourceArn"`
		RetentionDays                                            int
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if in.ArchiveName == "" || in.EventSourceARN == "" {
		return nil, awsjson.Validation("ArchiveName and EventSourceArn", "are required")
	}
	cs := checkName(in.ArchiveName, "archiveName", 48)
	if in.RetentionDays < 0 {
		cs = append(cs, constraint{strconv.Itoa(in.RetentionDays), "retentionDays", "have value greater than or equal to 0"})
	}
	if err := constraintError(cs); err != nil {
		return nil, err
	}
	if _, err := b.DescribeArchive(ctx, in.ArchiveName); err == nil {
		return nil, awsjson.Errorf("ResourceAlreadyExistsException", "Archive %s already exists.", in.ArchiveName)
	}
	bus, ok := b.busOfARN(in.EventSourceARN)
	if !ok {
		// Not recorded against AWS: the member and its rule, as the other
		// parameter errors word them.
		return nil, validation("Parameter EventSourceArn is not valid. Reason: Must contain an event bus ARN.")
	}
	a, err := b.CreateArchive(ctx, in.ArchiveName, bus, in.EventPattern, in.Description, in.RetentionDays)
	switch {
	case errors.Is(err, ErrBusNotFound):
		return nil, notFound("Event bus %s does not exist.", bus)
	case errors.Is(err, ErrArchiveExists):
		return nil, awsjson.Errorf("ResourceAlreadyExistsException", "Archive %s already exists.", in.ArchiveName)
	case err != nil:
		return nil, patternError(err)
	}
	return struct {
		ArchiveARN   string `json:"ArchiveArn"`
		State        string `json:"State"`
		CreationTime *epoch `json:"CreationTime"`
	}{a.ARN, archiveState, stamp(a.Created)}, nil
}

func (b *Bus) opDescribeArchive(ctx context.Context, body []byte) (any, error) {
	var in struct{ ArchiveName string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	a, err := b.DescribeArchive(ctx, in.ArchiveName)
	if errors.Is(err, ErrArchiveNotFound) {
		return nil, archiveNotFound(in.ArchiveName)
	} else if err != nil {
		return nil, err
	}
	return b.archiveView(a, true), nil
}

func (b *Bus) opListArchives(ctx context.Context, body []byte) (any, error) {
	var in struct {
		NamePrefix, State string
		EventSourceARN    string `json:"EventSourceArn"`
		pageIn
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := constraintError(in.constraints()); err != nil {
		return nil, err
	}
	if countSet(in.NamePrefix, in.EventSourceARN, in.State) > 1 {
		// Not recorded against AWS: moto's wording.
		return nil, validation("At most one filter is allowed for ListArchives. Use either : State, EventSourceArn, or NamePrefix.")
	}
	var bus string
	if in.EventSourceARN != "" {
		var ok bool
		if bus, ok = b.busOfARN(in.EventSourceARN); !ok {
			return nil, validation("Parameter EventSourceArn is not valid. Reason: Must contain an event bus ARN.")
		}
		if exists, _ := b.busExists(ctx, bus); !exists {
			return nil, notFound("Event bus %s does not exist.", bus)
		}
	}
	as, err := b.Archives(ctx)
	if err != nil {
		return nil, err
	}
	out := []archiveView{}
	for _, a := range as {
		if strings.HasPrefix(a.Name, in.NamePrefix) && (bus == "" || a.Bus == bus) && (in.State == "" || in.State == archiveState) {
			out = append(out, b.archiveView(a, false))
		}
	}
	out, next, err := page(out, in.pageIn, "ListArchives")
	if err != nil {
		return nil, err
	}
	return struct {
		Archives  []archiveView `json:"Archives"`
		NextToken string        `json:"NextToken,omitempty"`
	}{out, next}, nil
}

func countSet(vs ...string) int {
	n := 0
	for _, v := range vs {
		if v != "" {
			n++
		}
	}
	return n
}

func (b *Bus) opUpdateArchive(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ArchiveName               string
		Description, EventPattern *string
		RetentionDays             *int
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if in.Description == nil && in.EventPattern == nil && in.RetentionDays == nil {
		return nil, validation("At least one of EventPattern, RetentionDays or Description must be provided.")
	}
	if in.RetentionDays != nil && *in.RetentionDays < 0 {
		return nil, constraintError([]constraint{{strconv.Itoa(*in.RetentionDays), "retentionDays", "have value greater than or equal to 0"}})
	}
	a, err := b.UpdateArchive(ctx, in.ArchiveName, in.Description, in.EventPattern, in.RetentionDays)
	switch {
	case errors.Is(err, ErrArchiveNotFound):
		return nil, archiveNotFound(in.ArchiveName)
	case err != nil:
		return nil, patternError(err)
	}
	return struct {
		ArchiveARN   string `json:"ArchiveArn"`
		State        string `json:"State"`
		CreationTime *epoch `json:"CreationTime"`
	}{a.ARN, archiveState, stamp(a.Created)}, nil
}

func (b *Bus) opDeleteArchive(ctx context.Context, body []byte) (any, error) {
	var in struct{ ArchiveName string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := b.DeleteArchive(ctx, in.ArchiveName); errors.Is(err, ErrArchiveNotFound) {
		return nil, archiveNotFound(in.ArchiveName)
	} else if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

type replayDestination struct {
	ARN        string   `json:"Arn"`
	FilterARNs []string `json:"FilterArns,omitempty"`
}

// replayView is a replay as DescribeReplay (every field) and ListReplays
// (no ARN, description or destination) show it.
type replayView struct {
	ReplayName            string             `json:"ReplayName"`
	ReplayARN             string             `json:"ReplayArn,omitempty"`
	Description           string             `json:"Description,omitempty"`
	State                 string             `json:"State"`
	StateReason           string             `json:"StateReason,omitempty"`
	EventSourceARN        string             `json:"EventSourceArn"`
	Destination           *replayDestination `json:"Destination,omitempty"`
	EventStartTime        *epoch             `json:"EventStartTime,omitempty"`
	EventEndTime          *epoch             `json:"EventEndTime,omitempty"`
	EventLastReplayedTime *epoch             `json:"EventLastReplayedTime,omitempty"`
	ReplayStartTime       *epoch             `json:"ReplayStartTime,omitempty"`
	ReplayEndTime         *epoch             `json:"ReplayEndTime,omitempty"`
}

func (b *Bus) replayView(r Replay, full bool) replayView {
	v := replayView{ReplayName: r.Name, State: r.State, StateReason: r.StateReason, EventSourceARN: r.ArchiveARN,
		EventStartTime: stamp(r.EventStart), EventEndTime: stamp(r.EventEnd), EventLastReplayedTime: stamp(r.LastReplayed),
		ReplayStartTime: stamp(r.Started), ReplayEndTime: stamp(r.Ended)}
	if full {
		v.ReplayARN, v.Description = r.ARN, r.Description
		v.Destination = &replayDestination{ARN: b.BusARN(r.Bus), FilterARNs: r.FilterARNs}
	}
	return v
}

func replayNotFound(name string) error { return notFound("Replay %s does not exist.", name) }

func (b *Bus) opStartReplay(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ReplayName, Description      string
		EventSourceARN               string `json:"EventSourceArn"`
		EventStartTime, EventEndTime *epoch
		Destination                  *replayDestination
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if in.ReplayName == "" || in.EventSourceARN == "" || in.Destination == nil || in.Destination.ARN == "" {
		return nil, awsjson.Validation("ReplayName, EventSourceArn and Destination.Arn", "are required")
	}
	start, err := timeParam(in.EventStartTime, "EventStartTime")
	if err != nil {
		return nil, err
	}
	end, err := timeParam(in.EventEndTime, "EventEndTime")
	if err != nil {
		return nil, err
	}
	if err := constraintError(checkName(in.ReplayName, "replayName", 64)); err != nil {
		return nil, err
	}
	if _, err := b.DescribeReplay(ctx, in.ReplayName); err == nil {
		return nil, awsjson.Errorf("ResourceAlreadyExistsException", "Replay %s already exists.", in.ReplayName)
	}
	if !end.After(start) {
		return nil, validation("Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.")
	}
	archiveName, _ := strings.CutPrefix(in.EventSourceARN, b.ArchiveARN(""))
	a, err := b.DescribeArchive(ctx, archiveName)
	if err != nil || !strings.HasPrefix(in.EventSourceARN, b.ArchiveARN("")) {
		name := in.EventSourceARN[strings.LastIndexByte(in.EventSourceARN, '/')+1:]
		return nil, validation("Parameter EventSourceArn is not valid. Reason: Archive %s does not exist.", name)
	}
	bus, ok := b.busOfARN(in.Destination.ARN)
	switch {
	case !ok:
		// Not recorded against AWS: moto's wording.
		return nil, validation("Parameter Destination.Arn is not valid. Reason: Must contain an event bus ARN.")
	case bus != a.Bus:
		if exists, _ := b.busExists(ctx, bus); !exists {
			return nil, notFound("Event bus %s does not exist.", bus)
		}
		return nil, validation("Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.")
	}
	for _, arn := range in.Destination.FilterARNs {
		if name, ok := b.replayRule(bus, arn); !ok {
			// Not recorded against AWS: DescribeRule's wording.
			return nil, notFound("Rule %s does not exist on EventBus %s.", name, bus)
		}
	}
	r, err := b.StartReplay(ctx, in.ReplayName, a.Name, start, end, in.Destination.FilterARNs, in.Description)
	if errors.Is(err, ErrReplayExists) {
		return nil, awsjson.Errorf("ResourceAlreadyExistsException", "Replay %s already exists.", in.ReplayName)
	} else if err != nil {
		return nil, err
	}
	return struct {
		ReplayARN       string `json:"ReplayArn"`
		State           string `json:"State"`
		ReplayStartTime *epoch `json:"ReplayStartTime"`
	}{r.ARN, r.State, stamp(r.Started)}, nil
}

func (b *Bus) opDescribeReplay(ctx context.Context, body []byte) (any, error) {
	var in struct{ ReplayName string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	r, err := b.DescribeReplay(ctx, in.ReplayName)
	if errors.Is(err, ErrReplayNotFound) {
		return nil, replayNotFound(in.ReplayName)
	} else if err != nil {
		return nil, err
	}
	return b.replayView(r, true), nil
}

func (b *Bus) opListReplays(ctx context.Context, body []byte) (any, error) {
	var in struct {
		NamePrefix, State string
		EventSourceARN    string `json:"EventSourceArn"`
		pageIn
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := constraintError(in.constraints()); err != nil {
		return nil, err
	}
	if countSet(in.NamePrefix, in.EventSourceARN, in.State) > 1 {
		// Not recorded against AWS: moto's wording.
		return nil, validation("At most one filter is allowed for ListReplays. Use either : State, EventSourceArn, or NamePrefix.")
	}
	rs, err := b.Replays(ctx)
	if err != nil {
		return nil, err
	}
	out := []replayView{}
	for _, r := range rs {
		if strings.HasPrefix(r.Name, in.NamePrefix) && (in.State == "" || r.State == in.State) &&
			(in.EventSourceARN == "" || r.ArchiveARN == in.EventSourceARN) {
			out = append(out, b.replayView(r, false))
		}
	}
	out, next, err := page(out, in.pageIn, "ListReplays")
	if err != nil {
		return nil, err
	}
	return struct {
		Replays   []replayView `json:"Replays"`
		NextToken string       `json:"NextToken,omitempty"`
	}{out, next}, nil
}

func (b *Bus) opCancelReplay(ctx context.Context, body []byte) (any, error) {
	var in struct{ ReplayName string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	r, err := b.CancelReplay(ctx, in.ReplayName)
	switch {
	case errors.Is(err, ErrReplayNotFound):
		return nil, replayNotFound(in.ReplayName)
	case errors.Is(err, ErrReplayNotCancellable):
		// Not recorded against AWS: moto's wording.
		return nil, awsjson.Errorf("IllegalStatusException", "Replay %s is not in a valid state for this operation.", in.ReplayName)
	case err != nil:
		return nil, err
	}
	return struct {
		ReplayARN string `json:"ReplayArn"`
		State     string `json:"State"`
	}{r.ARN, r.State}, nil
}
