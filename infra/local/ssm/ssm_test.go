package ssm_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"loanflow/infra/local/awsjson"
	"loanflow/infra/local/ssm"
)

func TestParametersThroughTheSDK(t *testing.T) {
	st := ssm.New("us-east-1", "000000000000")
	srv := httptest.NewServer(awsjson.NewMux(slog.New(slog.NewTextHandler(io.Discard, nil)), st.Service()))
	defer srv.Close()
	c := awsssm.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")})
	ctx := context.Background()
	name := "/loanflow/valuation-service/allowed-callback-prefix"
	if _, err := c.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String(name)}); !errors.As(err, new(*types.ParameterNotFound)) {
		t.Fatalf("missing parameter: %v", err)
	}
	if _, err := st.Put(name, "http://127.0.0.1:4566/valuations/"); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Parameter.Value) != "http://127.0.0.1:4566/valuations/" || out.Parameter.Version != 1 ||
		aws.ToString(out.Parameter.ARN) != "arn:aws:ssm:us-east-1:000000000000:parameter/loanflow/valuation-service/allowed-callback-prefix" {
		t.Errorf("parameter: %+v", out.Parameter)
	}
	if _, err := c.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String(name), Value: aws.String("x"), Type: types.ParameterTypeString}); !errors.As(err, new(*types.ParameterAlreadyExists)) {
		t.Errorf("put without overwrite: %v", err)
	}
	put, err := c.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String(name), Value: aws.String("x"), Overwrite: aws.Bool(true)})
	if err != nil || put.Version != 2 {
		t.Errorf("overwrite: %+v %v", put, err)
	}
	many, err := c.GetParameters(ctx, &awsssm.GetParametersInput{Names: []string{name, "/nope"}})
	if err != nil || len(many.Parameters) != 1 || len(many.InvalidParameters) != 1 {
		t.Errorf("get parameters: %+v %v", many, err)
	}
}
