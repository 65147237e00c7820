package valuationrequest

import (
	"context"
	"io"
	"log/slog"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"loanflow/consumers/lambdalog"
	"loanflow/consumers/tokenstore"
)

// BuildOptions are what differs between Lambda and the local stack when the
// function is built.
type BuildOptions struct {
	// Logs receives the function's JSON log lines, at the configured
	// level; os.Stdout (what Lambda collects) when nil. Unused when Logger
	// is set.
	Logs io.Writer
	// Logger, when set, is the function's logger as it is (the local
	// stack's, which tags each function's lines).
	Logger *slog.Logger
	// Transport, when set, wraps the transport of the HTTP client that
	// calls the valuation service (the local stack keeps the calls to
	// itself in-process). SigV4 signing, when configured, signs before it.
	Transport func(http.RoundTripper) http.RoundTripper
}

// Build is the function's one assembly, used by its main in Lambda and by
// the local stack: it reads the configuration through getenv, makes the
// token store and Step Functions clients from awsCfg, signs the requests to
// the valuation service with awsCfg's credentials when the configuration
// asks for IAM, and returns the handler.
func Build(_ context.Context, getenv func(string) string, awsCfg aws.Config, o BuildOptions) (*Handler, error) {
	cfg, err := ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	client := NewHTTPClient(cfg)
	if o.Transport != nil {
		client.Transport = o.Transport(client.Transport)
	}
	if cfg.ServiceAuth == AuthIAM {
		client.Transport = &SigV4Transport{Next: client.Transport, Credentials: awsCfg.Credentials, Region: awsCfg.Region}
	}
	return NewHandler(cfg, Deps{
		Store:  tokenstore.NewDynamoStore(dynamodb.NewFromConfig(awsCfg), cfg.TableName),
		Tasks:  sfn.NewFromConfig(awsCfg),
		HTTP:   client,
		Logger: lambdalog.Function(o.Logger, o.Logs, cfg.LogLevel),
	})
}

// Logger is the handler's logger, at the configured level.
func (h *Handler) Logger() *slog.Logger { return h.log }
