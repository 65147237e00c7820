package local

import (
	"net/http"
	"strings"

	"loanflow/infra/local/awsjson"
	"loanflow/infra/local/cfn"
	"loanflow/infra/local/httpapi"
	"loanflow/infra/local/sns"
	"loanflow/infra/local/sts"
	"loanflow/infra/local/unserved"
	"loanflow/infra/local/webhook"
)

// routes serves, on one port: the AWS JSON protocols (any request with
// X-Amz-Target), CloudFormation's and SNS's query protocols (cfn.IsRequest,
// sns.IsRequest), the webhook REST API under /valuations/, the mock
// valuation service's HTTP API under /valuation-service/, STS's
// GetCallerIdentity (sts.IsRequest), an AWS-style error to any other AWS
// API call (unserved.IsRequest), and the console everywhere else; all of
// them only to requests whose Host is on the allow-list.
func (s *Stack) routes() http.Handler {
	aws := s.auditJSON(awsjson.NewMux(s.log, s.sfnService(), s.Queues.Service(), s.Bus.Service(), s.Tables.Service(), s.Secrets.Service(),
		s.Parameters.Service()))
	hook := &webhook.Handler{Bus: s.auditPublisher(s.Bus), BusName: s.Config.EventBusName, Log: s.log,
		APIKeys: func() []string { return []string{s.WebhookAPIKey()} }}
	mock := s.auditMockAPI(&httpapi.API{Prefix: MockServicePathPrefix, Fn: s.Functions, Log: s.log,
		Routes: []httpapi.Route{{Method: http.MethodPost, Path: "/valuations", Function: FnServiceAPI}}})
	topics := s.auditSNS(s.Topics)
	callerIdentity := &sts.Handler{AccountID: AccountID, Log: s.log}
	unservedAPI := &unserved.Handler{Log: s.log,
		Served: []string{"DynamoDB", "SQS (AWS JSON protocol)", "Step Functions", "EventBridge", "Secrets Manager", "SSM Parameter Store",
			"SNS", "CloudFormation", "STS GetCallerIdentity"},
		Hints: map[string]string{"sqs": "SQS is served over the AWS JSON protocol only, which current AWS SDKs and the AWS CLI use."}}
	console := s.consoleHandler()
	return s.hosts.guard(s.log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case awsjson.IsAWSRequest(r):
			aws.ServeHTTP(w, r)
		case strings.HasPrefix(r.URL.Path, webhook.PathPrefix):
			hook.ServeHTTP(w, r)
		case strings.HasPrefix(r.URL.Path, MockServicePathPrefix+"/"):
			mock.ServeHTTP(w, r)
		case cfn.IsRequest(r):
			s.CloudFormation.ServeHTTP(w, r)
		case sns.IsRequest(r):
			topics.ServeHTTP(w, r)
		case sts.IsRequest(r):
			callerIdentity.ServeHTTP(w, r)
		case unserved.IsRequest(r):
			unservedAPI.ServeHTTP(w, r)
		default:
			console.ServeHTTP(w, r)
		}
	}))
}
