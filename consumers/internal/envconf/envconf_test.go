package envconf_test

import (
	"strings"
	"testing"
	"time"

	"loanflow/consumers/internal/envconf"
)

func reader(env map[string]string) *envconf.Reader {
	return envconf.New(func(k string) string { return env[k] })
}

// Tunables have no defaults here: unset is an error that names the variable.
func TestTunablesAreRequired(t *testing.T) {
	r := reader(nil)
	r.Duration("D")
	r.PositiveDuration("P")
	r.Int("I", 1, 10)
	r.URL("U")
	r.OneOf("O", "a", "b")
	r.LogLevel("L")
	for _, name := range []string{"D", "P", "I", "U", "O", "L"} {
		if err := r.Err(); err == nil || !strings.Contains(err.Error(), name+": must be set") {
			t.Errorf("err = %v; want %s: must be set", err, name)
		}
	}
}

func TestValues(t *testing.T) {
	r := reader(map[string]string{"D": "90", "P": "1m30s", "I": "3", "U": "https://x.example/a/", "O": "b",
		"L": "INFO", "AWS_LAMBDA_LOG_LEVEL": "DEBUG"})
	if d, p, i, u, o, l := r.Duration("D"), r.PositiveDuration("P"), r.Int("I", 1, 10), r.URL("U"), r.OneOf("O", "a", "b"), r.LogLevel("L"); d != 90*time.Second ||
		p != 90*time.Second || i != 3 || u != "https://x.example/a" || o != "b" || l != "DEBUG" || r.Err() != nil {
		t.Fatalf("%v %v %v %q %q %q %v", d, p, i, u, o, l, r.Err())
	}
}

func TestBadValuesNameTheVariableAndRule(t *testing.T) {
	r := reader(map[string]string{"D": "-1", "P": "0s", "I": "11", "U": "ftp://x", "O": "c", "L": "LOUD"})
	r.Duration("D")
	r.PositiveDuration("P")
	r.Int("I", 1, 10)
	r.URL("U")
	r.OneOf("O", "a", "b")
	r.LogLevel("L")
	r.Check(false, "X or Y", "one is required")
	err := r.Err()
	for _, want := range []string{"D: must not be negative", "P: must be > 0", "I: must be an integer between 1 and 10",
		"U: must be an absolute http(s) URL", "O: must be one of a, b", "L: must be one of TRACE", "X or Y: one is required"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v; want %q", err, want)
		}
	}
}
