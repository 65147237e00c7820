package local

import (
	"net/http"
	"strings"

	"loanflow/infra/local/awsjson"
	"loanflow/infra/local/httpapi"
	"loanflow/infra/local/webhook"
)

// routes serves, on one port: the AWS JSON protocols (any request with
// X-Amz-Target), the webhook REST API under /valuations/, the mock valuation
// service's HTTP API under /valuation-service/, and the console everywhere else.
func (s *Stack) routes() http.Handler {
	aws := awsjson.NewMux(s.log, s.sfnService(), s.Queues.Service(), s.Bus.Service(), s.Tables.Service(), s.Secrets.Service())
	hook := &webhook.Handler{Bus: s.Bus, BusName: s.Config.EventBusName, Log: s.log,
		APIKeys: func() []string { return []string{s.WebhookAPIKey()} }}
	mock := &httpapi.API{Prefix: MockServicePathPrefix, Fn: s.Functions, Log: s.log,
		Routes: []httpapi.Route{{Method: http.MethodPost, Path: "/valuations", Function: FnServiceAPI}}}
	console := s.consoleHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case awsjson.IsAWSRequest(r):
			aws.ServeHTTP(w, r)
		case strings.HasPrefix(r.URL.Path, webhook.PathPrefix):
			hook.ServeHTTP(w, r)
		case strings.HasPrefix(r.URL.Path, MockServicePathPrefix+"/"):
			mock.ServeHTTP(w, r)
		default:
			console.ServeHTTP(w, r)
		}
	})
}
