package fidelity

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/aws/smithy-go"
)

// apiErr says how err differs from an AWS error with this code and, unless
// msg is empty, exactly this message.
func apiErr(err error, code, msg string) error {
	return apiErrMatch(err, code, msg, func(got string) bool { return got == msg }, "message")
}

// apiErrPrefix is apiErr with a message that must start with prefix.
func apiErrPrefix(err error, code, prefix string) error {
	return apiErrMatch(err, code, prefix, func(got string) bool { return strings.HasPrefix(got, prefix) }, "message starting with")
}

// apiErrContains is apiErr with a message that must contain part.
func apiErrContains(err error, code, part string) error {
	return apiErrMatch(err, code, part, func(got string) bool { return strings.Contains(got, part) }, "message containing")
}

func apiErrMatch(err error, code, msg string, ok func(string) bool, how string) error {
	if err == nil {
		if msg == "" {
			return fmt.Errorf("want error %s, got success", code)
		}
		return fmt.Errorf("want error %s (%s %q), got success", code, how, msg)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return fmt.Errorf("want AWS error %s, got a non-API error: %v", code, err)
	}
	if ae.ErrorCode() != code {
		return fmt.Errorf("error code: want %q, got %q (message %q)", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	if msg != "" && !ok(ae.ErrorMessage()) {
		return fmt.Errorf("%s error %s: want %s %q, got %q", code, code, how, msg, ae.ErrorMessage())
	}
	return nil
}

// noErr wraps an unexpected error with the call that returned it.
func noErr(call string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: want success, got: %w", call, err)
}

// eq says how got differs from want for field.
func eq[T comparable](field string, want, got T) error {
	if want != got {
		return fmt.Errorf("%s: want %v, got %v", field, quote(want), quote(got))
	}
	return nil
}

// deepEq is eq for values that are not comparable (slices, maps).
func deepEq(field string, want, got any) error {
	if !reflect.DeepEqual(want, got) {
		return fmt.Errorf("%s: want %#v, got %#v", field, want, got)
	}
	return nil
}

// jsonEq compares two JSON documents by value.
func jsonEq(field, want, got string) error {
	var w, g any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		return fmt.Errorf("%s: the expected value is not JSON: %v", field, err)
	}
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		return fmt.Errorf("%s: want JSON %s, got %q (not JSON: %v)", field, want, got, err)
	}
	if !reflect.DeepEqual(w, g) {
		return fmt.Errorf("%s: want JSON %s, got %s", field, want, got)
	}
	return nil
}

func quote(v any) any {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	if p, ok := v.(*string); ok {
		if p == nil {
			return "<nil>"
		}
		return fmt.Sprintf("%q", *p)
	}
	return v
}

// str dereferences an optional string, "<nil>" standing for absent.
func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// first returns the first non-nil error.
func first(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// pollEvery is how often a check asks AWS (or the local stack) again while
// it waits, with localtest.Poll, for something done asynchronously (a
// delivery, a move task).
const pollEvery = 50 * time.Millisecond
