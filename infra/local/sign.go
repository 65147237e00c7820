package local

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"loanflow/consumers/signature"
	"loanflow/contracts"
	"loanflow/events"
)

// SignEntriesFile reads a put-events entries file, points each detail at
// callbackID (and, when reference is not empty, at that valuation reference:
// the resolver checks it against the one the service returned), and signs its
// body with key as the valuation service would, so that a hand-published event
// can resume a waiting execution. It returns the new entries file.
func SignEntriesFile(path, callbackID, reference string, key []byte, now time.Time) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read entries: %w", err)
	}
	var entries []events.Entry
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("entries file %s: %w", path, err)
	}
	for i := range entries {
		var d contracts.ValuationCallbackDetail
		if err := json.Unmarshal([]byte(entries[i].Detail), &d); err != nil {
			return nil, fmt.Errorf("entry %d: Detail: %w", i, err)
		}
		d.CallbackID = callbackID
		if reference != "" {
			d.Response.ValuationReference = reference
		}
		body, err := json.Marshal(d.Response)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		d.Version = contracts.CallbackDetailVersion
		d.BodyBase64 = base64.StdEncoding.EncodeToString(body)
		// Published by hand, the event is received now: the webhook would
		// have stamped this.
		d.ReceivedAt = strconv.FormatInt(now.UnixMilli(), 10)
		d.ReceiptID = fmt.Sprintf("sign-event-%d-%d", now.UnixNano(), i)
		d.Signature.Timestamp, d.Signature.Value = signature.Sign(now, signature.Message{CallbackID: callbackID, Body: body}, key)
		detail, err := json.Marshal(d)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		if err := contracts.Validate(contracts.SchemaValuationCallbackDetail, detail); err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		entries[i].Detail = string(detail)
	}
	out, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
