package cloud

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"

	"loanflow/consumers/valuationcallback"
	"loanflow/infra/config"
)

// Context keys the app reads (cdk.json's "context", or `cdk synth -c key=value`).
const (
	// ContextStage names the deployment; it becomes the REST API stage name
	// and a tag, and every physical name outside the default stage carries
	// it (config.StageName, config.StagePath).
	ContextStage = "stage"
	// ContextCallbackTimeout is how long an execution waits for its valuation
	// (a Go duration such as "24h", or whole seconds).
	ContextCallbackTimeout = "callbackTimeout"
	// ContextValuationServiceURL points the processor at a real valuation
	// service; empty deploys the mock ValuationService stack and uses it.
	ContextValuationServiceURL = "valuationServiceUrl"
	// ContextSigningSecretName is the Secrets Manager name of the webhook's HMAC key.
	ContextSigningSecretName = "signingSecretName"
	// ContextWebhookRateLimit is the webhook's steady-state requests per second.
	ContextWebhookRateLimit = "webhookRateLimit"
	// ContextWebhookBurstLimit is the webhook's burst of requests.
	ContextWebhookBurstLimit = "webhookBurstLimit"
	// ContextAlarmEmail, when set, subscribes an address to the alarm topic.
	ContextAlarmEmail = "alarmEmail"
	// ContextMockValuationService ("true" or "false") asks for the mock
	// valuation service explicitly. A prod deploy without
	// valuationServiceUrl is refused unless it is true: the mock signs
	// callbacks with the production key. Other stages deploy the mock
	// whenever no URL is set.
	ContextMockValuationService = "mockValuationService"
)

// Settings is everything the stacks are built from: the shared typed config
// plus the few knobs that exist only in the cloud.
type Settings struct {
	Config config.Config
	// WebhookRateLimit and WebhookBurstLimit throttle the webhook stage.
	WebhookRateLimit  float64
	WebhookBurstLimit float64
	// AlarmEmail, when set, is subscribed to the alarm topic.
	AlarmEmail string
	// MockValuationService asks for the mock valuation service explicitly;
	// a prod stage needs it to deploy without a valuation service URL.
	MockValuationService bool
}

// ProdStage is the stage whose data is retained and which refuses to deploy
// the mock valuation service unless asked to.
const ProdStage = "prod"

// UsesMock reports whether the mock valuation service is deployed: no real
// service URL is configured.
func (s Settings) UsesMock() bool { return s.Config.ValuationService.URL == "" }

// IsProd reports whether this is the production stage: its data is retained.
func (s Settings) IsProd() bool { return s.Config.Stage == ProdStage }

// Physical names. The default stage keeps the plain names; every other
// stage's carry the stage, so stages share an account without touching each
// other. Nothing else in the stacks may set a physical name.

// StackName is a stack's name: "LoanProcessor", "dev-LoanProcessor".
func (s Settings) StackName(base string) string { return config.StageName(s.Config.Stage, base) }

// Name qualifies any other flat name (an API, an export) for the stage.
func (s Settings) Name(base string) string { return config.StageName(s.Config.Stage, base) }

// EventBusName is the webhook's event bus: "loanflow-valuations", "dev-loanflow-valuations".
func (s Settings) EventBusName() string {
	return config.StageName(s.Config.Stage, s.Config.EventBusName)
}

// SigningSecretName is the Secrets Manager name of the webhook's HMAC key:
// "loanflow/valuation-webhook-signing-key", "dev/loanflow/valuation-webhook-signing-key".
func (s Settings) SigningSecretName() string {
	return config.StagePath(s.Config.Stage, s.Config.Signature.SecretName)
}

// AllowedCallbackParameterName is the SSM parameter that tells the mock its
// only callback URL prefix: AllowedCallbackParameterName, or
// "/dev/loanflow/valuation-service/allowed-callback-prefix".
func (s Settings) AllowedCallbackParameterName() string {
	return config.StagePath(s.Config.Stage, AllowedCallbackParameterName)
}

// MetricNamespace is the namespace of metrics the stacks derive from logs
// (metric filters, which cannot add a dimension of their own): "Loanflow",
// "dev/Loanflow". The resolver's embedded metrics stay in
// valuationcallback.MetricsNamespace and tell stages apart by their
// FunctionName dimension.
func (s Settings) MetricNamespace() string {
	return config.StagePath(s.Config.Stage, valuationcallback.MetricsNamespace)
}

// RemovalPolicy is what CloudFormation does with a stateful resource (a
// table, queue, log group, secret, key, archive) when it leaves the stack:
// prod retains it, every other stage is disposable.
func (s Settings) RemovalPolicy() awscdk.RemovalPolicy {
	if s.IsProd() {
		return awscdk.RemovalPolicy_RETAIN
	}
	return awscdk.RemovalPolicy_DESTROY
}

// NonProdLogRetentionDays caps the log retention of stages other than prod.
const NonProdLogRetentionDays = 7

// LogRetentionDays is the retention of every log group: the config's in
// prod, at most NonProdLogRetentionDays elsewhere.
func (s Settings) LogRetentionDays() int {
	if s.IsProd() {
		return s.Config.Functions.LogRetentionDays
	}
	return min(s.Config.Functions.LogRetentionDays, NonProdLogRetentionDays)
}

// DefaultSettings are the production defaults of config.Default with the
// webhook throttled to 50 requests per second, bursts of 100.
func DefaultSettings() Settings {
	return Settings{Config: config.Default(), WebhookRateLimit: 50, WebhookBurstLimit: 100}
}

// Validate checks the config and the cloud-only knobs.
func (s Settings) Validate() error {
	var errs []error
	if err := s.Config.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := config.ValidateStage(s.Config.Stage); err != nil {
		errs = append(errs, err)
	}
	if s.WebhookRateLimit <= 0 {
		errs = append(errs, errors.New("webhookRateLimit: must be > 0"))
	}
	if s.WebhookBurstLimit < 1 || s.WebhookBurstLimit > 5000 {
		errs = append(errs, errors.New("webhookBurstLimit: must be between 1 and 5000"))
	}
	switch {
	case s.Config.ValuationService.URL != "" && s.MockValuationService:
		errs = append(errs, fmt.Errorf("%s: the mock cannot be deployed together with %s %q; drop one of them",
			ContextMockValuationService, ContextValuationServiceURL, s.Config.ValuationService.URL))
	case s.Config.Stage == ProdStage && s.UsesMock() && !s.MockValuationService:
		errs = append(errs, fmt.Errorf("%s: stage %q has no %s, so it would deploy the mock valuation service, "+
			"which signs callbacks with this stage's signing key; point it at the real service with -c %s=https://... "+
			"or, to deploy the mock on purpose, pass -c %s=true",
			ContextMockValuationService, ProdStage, ContextValuationServiceURL, ContextValuationServiceURL, ContextMockValuationService))
	}
	if s.AlarmEmail != "" {
		if at := strings.LastIndex(s.AlarmEmail, "@"); at < 1 || at == len(s.AlarmEmail)-1 || strings.ContainsAny(s.AlarmEmail, " ,;") {
			errs = append(errs, fmt.Errorf("alarmEmail: %q is not an email address", s.AlarmEmail))
		}
	}
	return errors.Join(errs...)
}

// SettingsFromContext overlays the node's context values on DefaultSettings
// and validates the result. Values may be JSON-typed (cdk.json) or strings
// (`-c key=value`).
func SettingsFromContext(node constructs.Node) (Settings, error) {
	s := DefaultSettings()
	var errs []error
	str := func(key string, dst *string) {
		if v := node.TryGetContext(&key); v != nil {
			sv, ok := v.(string)
			if !ok {
				errs = append(errs, fmt.Errorf("context %s: must be a string, got %v", key, v))
				return
			}
			*dst = strings.TrimSpace(sv)
		}
	}
	num := func(key string, dst *float64) {
		v := node.TryGetContext(&key)
		switch n := v.(type) {
		case nil:
		case float64:
			*dst = n
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("context %s: must be a number, got %q", key, n))
				return
			}
			*dst = f
		default:
			errs = append(errs, fmt.Errorf("context %s: must be a number, got %v", key, v))
		}
	}
	str(ContextStage, &s.Config.Stage)
	str(ContextValuationServiceURL, &s.Config.ValuationService.URL)
	str(ContextSigningSecretName, &s.Config.Signature.SecretName)
	str(ContextAlarmEmail, &s.AlarmEmail)
	flag := func(key string, dst *bool) {
		v := node.TryGetContext(&key)
		switch b := v.(type) {
		case nil:
		case bool:
			*dst = b
		case string:
			p, err := strconv.ParseBool(strings.TrimSpace(b))
			if err != nil {
				errs = append(errs, fmt.Errorf("context %s: must be true or false, got %q", key, b))
				return
			}
			*dst = p
		default:
			errs = append(errs, fmt.Errorf("context %s: must be true or false, got %v", key, v))
		}
	}
	num(ContextWebhookRateLimit, &s.WebhookRateLimit)
	num(ContextWebhookBurstLimit, &s.WebhookBurstLimit)
	flag(ContextMockValuationService, &s.MockValuationService)
	key := ContextCallbackTimeout
	switch v := node.TryGetContext(&key).(type) {
	case nil:
	case float64:
		s.Config.CallbackTimeout = time.Duration(v * float64(time.Second))
	case string:
		d, err := parseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("context %s: %w", key, err))
		}
		s.Config.CallbackTimeout = d
	default:
		errs = append(errs, fmt.Errorf("context %s: must be a duration such as \"24h\", got %v", key, v))
	}
	if err := errors.Join(errs...); err != nil {
		return s, err
	}
	if err := s.Validate(); err != nil {
		return s, fmt.Errorf("settings: %w", err)
	}
	return s, nil
}

// parseDuration accepts a Go duration ("36h", "90m") or whole seconds ("3600").
func parseDuration(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("must be a duration such as \"24h\" or whole seconds, got %q", v)
	}
	return d, nil
}

// ModuleRoot finds the directory holding go.mod, walking up from dir. The Go
// bundler builds the Lambda functions there.
func ModuleRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("module root: %w", err)
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("module root: no go.mod above %s", abs)
		}
	}
}
