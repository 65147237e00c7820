// Package conformance locates the AWS-recorded conformance corpora that the
// local stack's tests run: $LOANFLOW_CONFORMANCE_DIR/<sub> when that is set,
// else ../shared/conformance/<sub> beside the directory holding go.mod (as CI
// lays out shared/ beside the clone).
package conformance

import (
	"os"
	"path/filepath"
)

// Dir returns the corpus directory named sub ("asl", "event-patterns"), or ""
// when the module root cannot be found. The directory may not exist.
func Dir(sub string) string {
	if root := os.Getenv("LOANFLOW_CONFORMANCE_DIR"); root != "" {
		return filepath.Join(root, sub)
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "conformance", sub)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
