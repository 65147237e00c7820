package local

import "loanflow/infra/functionspec"

// AccountID is the account of every local resource.
const AccountID = "000000000000"

// Names of the locally deployed resources.
const (
	QueueName             = "valuation-requests"
	DLQName               = "valuation-requests-dlq"
	CallbackDLQName       = "valuation-callback-dlq"
	NotificationsTopic    = "loanflow-loan-notifications"
	TableName             = "loanflow-tokens"
	LoanProcessorName     = "LoanProcessor"
	ValuationServiceName  = "ValuationService"
	FnValuationRequest    = functionspec.NameValuationRequest
	FnValuationCallback   = functionspec.NameValuationCallback
	FnServiceAPI          = functionspec.NameMockAPI
	FnServiceCallback     = functionspec.NameMockCallbackSender
	MockServicePathPrefix = "/valuation-service"
)
