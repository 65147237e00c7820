package asl

import (
	"fmt"
	"strings"
)

// compiler collects definition errors in AWS's InvalidDefinition shape.
type compiler struct {
	errs []string
}

// fail records "CODE: message at /pointer".
func (c *compiler) fail(code, at, format string, args ...any) {
	if at == "" {
		at = "/"
	}
	c.errs = append(c.errs, fmt.Sprintf("%s: %s at %s", code, fmt.Sprintf(format, args...), at))
}

// schema records a SCHEMA_VALIDATION_FAILED error.
func (c *compiler) schema(at, format string, args ...any) {
	c.fail("SCHEMA_VALIDATION_FAILED", at, format, args...)
}

func (c *compiler) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	return apiErr(CodeInvalidDefinition, "Invalid State Machine Definition: '%s'", strings.Join(c.errs, ", "))
}

// escapePointer escapes a JSON pointer segment.
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
