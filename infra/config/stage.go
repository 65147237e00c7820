package config

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// The physical names of a deployment carry its stage, so that several stages
// share an account without one updating another's resources in place. The
// default stage (Default().Stage, "prod") keeps the plain names it has always
// had: renaming a deployed stage's resources would replace them, and a
// replaced signing secret is a new key that the valuation provider does not
// know.

// stagePattern is what a stage may look like: it becomes part of stack,
// event bus, API, export, secret and parameter names, whose rules it meets.
var stagePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$`) })

// ValidateStage checks that stage can be part of every physical name: 1-20
// lowercase letters, digits and inner hyphens, starting with a letter.
func ValidateStage(stage string) error {
	if !stagePattern().MatchString(stage) {
		return fmt.Errorf("stage %q: must be 1-20 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen", stage)
	}
	return nil
}

// IsDefaultStage reports whether stage keeps the plain names.
func IsDefaultStage(stage string) bool { return stage == Default().Stage }

// StageName qualifies a flat name (a stack, an event bus, an API, an
// export): base itself for the default stage, "<stage>-<base>" otherwise.
func StageName(stage, base string) string {
	if IsDefaultStage(stage) {
		return base
	}
	return stage + "-" + base
}

// StagePath qualifies a hierarchical name (a Secrets Manager secret, an SSM
// parameter) with the stage as its first segment: base itself for the
// default stage, "<stage>/<base>" otherwise ("/<stage>/<base>" when base
// starts with a slash), so that IAM can scope a stage with one prefix.
func StagePath(stage, base string) string {
	if IsDefaultStage(stage) {
		return base
	}
	if rest, ok := strings.CutPrefix(base, "/"); ok {
		return "/" + stage + "/" + rest
	}
	return stage + "/" + base
}
