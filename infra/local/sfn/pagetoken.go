package sfn

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// A nextToken is base64url of the list it pages and the cursor where the
// next page starts, joined by a newline: a token of another operation, or of
// another state machine's executions or another execution's history, is
// InvalidToken, as on AWS.
const (
	listStateMachines = "stateMachines"
	listActivities    = "activities"
)

// The model's limits on nextToken: PageToken, and ListExecutions'
// ListExecutionsPageToken.
const (
	maxPageToken           = 1024
	maxExecutionsPageToken = 3096
)

// executionsList and historyList name the lists of a state machine's
// executions and of an execution's history events.
func executionsList(smARN string) string { return "executions " + smARN }
func historyList(execARN string) string  { return "history " + execARN }

// pageToken is the nextToken of list whose next page starts after cursor.
func pageToken(list, cursor string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(list + "\n" + cursor))
}

// checkPageToken applies the model's length limit to a nextToken ("" is
// none), in AWS's words (LocalStack's test_sfn_api.snapshot.json,
// list-state-machines- and list-executions-invalid-param-long-nextToken,
// recorded against AWS).
func checkPageToken(token string, maxLen int) error {
	return checkMaxLen(token, "nextToken", maxLen)
}

// pageCursor returns the cursor of a nextToken of list ("" for no token);
// a token that is not one is InvalidToken.
func pageCursor(token, list string) (string, error) {
	if token == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	l, cursor, ok := strings.Cut(string(b), "\n")
	if err != nil || !ok || l != list || cursor == "" {
		return "", apiErr(CodeInvalidToken, "Invalid Token: 'Invalid token'")
	}
	return cursor, nil
}

// pageID is pageCursor for a list whose cursor is a row id: def when there
// is no token.
func pageID(token, list string, def int64) (int64, error) {
	cursor, err := pageCursor(token, list)
	if err != nil || cursor == "" {
		return def, err
	}
	n, err := strconv.ParseInt(cursor, 10, 64)
	if err != nil {
		return 0, apiErr(CodeInvalidToken, "Invalid Token: 'Invalid token'")
	}
	return n, nil
}

// idToken is pageToken for a cursor that is a row id.
func idToken(list string, id int64) string { return pageToken(list, strconv.FormatInt(id, 10)) }
