package valuationcallback

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"loanflow/consumers/lambdalog"
	"loanflow/consumers/secrets"
	"loanflow/consumers/tokenstore"
)

// BuildOptions are what differs between Lambda and the local stack when the
// function is built.
type BuildOptions struct {
	// Logs receives the function's JSON log lines, and its metric lines
	// when Metrics is nil; os.Stdout (what Lambda collects) when nil.
	Logs io.Writer
	// Logger, when set, is the function's logger as it is (the local
	// stack's, which tags each function's lines).
	Logger *slog.Logger
	// Metrics, when set, counts the callbacks (the local stack's
	// counters); otherwise they are EMF lines on Logs, which CloudWatch
	// turns into metrics.
	Metrics Metrics
}

// lambdaFunctionName is the variable Lambda sets to the function's name.
const lambdaFunctionName = "AWS_LAMBDA_FUNCTION_NAME"

// keyReadTimeout bounds the first read of the signing keys.
const keyReadTimeout = 5 * time.Second

// Build is the function's one assembly, used by its main in Lambda and by
// the local stack: it reads the configuration through getenv, makes the
// token store and Step Functions clients from awsCfg and, when the
// environment names a Secrets Manager secret, reads the signing keys from
// it before it returns (a function that cannot read its key does not
// start), then keeps them fresh.
func Build(ctx context.Context, getenv func(string) string, awsCfg aws.Config, o BuildOptions) (*Handler, error) {
	cfg, err := ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	var keys KeySource
	if cfg.SigningSecretID != "" {
		ring := &secrets.Keyring{Getter: secretsmanager.NewFromConfig(awsCfg), ID: cfg.SigningSecretID, TTL: cfg.SecretCacheTTL}
		kctx, cancel := context.WithTimeout(ctx, keyReadTimeout)
		defer cancel()
		if _, err := ring.Keys(kctx, false); err != nil {
			return nil, fmt.Errorf("valuation-callback: signing key: %w", err)
		}
		keys = ring
	}
	metrics := o.Metrics
	if metrics == nil {
		w := o.Logs
		if w == nil {
			w = os.Stdout
		}
		// Metric lines carry the level Lambda filters at, so they survive it.
		metrics = NewEMF(w, EMFOptions{LogLevel: cfg.LogLevel, FunctionName: getenv(lambdaFunctionName)})
	}
	return NewHandler(cfg, Deps{
		Store:   tokenstore.NewDynamoStore(dynamodb.NewFromConfig(awsCfg), cfg.TableName),
		Tasks:   sfn.NewFromConfig(awsCfg),
		Keys:    keys,
		Metrics: metrics,
		Logger:  lambdalog.Function(o.Logger, o.Logs, cfg.LogLevel),
	})
}

// Logger is the handler's logger, at the configured level.
func (h *Handler) Logger() *slog.Logger { return h.log }
