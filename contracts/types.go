package contracts

// Event bus vocabulary shared by the webhook, the rules and the resolver.
const (
	// EventSource is the source of every event the webhook publishes.
	EventSource = "loanflow.valuations"
	// DetailTypeCompleted is the detail-type of a completed valuation.
	DetailTypeCompleted = "Valuation Completed"
	// DetailTypeFailed is the detail-type of a failed valuation.
	DetailTypeFailed = "Valuation Failed"
)

// Valuation statuses in a ValuationResponse.
const (
	StatusCompleted = "COMPLETED"
	StatusFailed    = "FAILED"
)

// Headers of the valuation service's calls. The signature header carries
// one or more "v1=<hex>" entries, comma separated (see consumers/signature).
const (
	HeaderSignatureTimestamp = "X-Valuation-Timestamp"
	HeaderSignature          = "X-Valuation-Signature"
	HeaderIdempotencyKey     = "Idempotency-Key"
	// HeaderAPIKey is API Gateway's API key header: each valuation provider
	// calls the webhook with its own key.
	HeaderAPIKey = "x-api-key"
)

// CallbackDetailVersion is the version of ValuationCallbackDetail the
// webhook publishes and the rules match. Version "1" (an unversioned
// signature over timestamp and body only) is no longer accepted.
const CallbackDetailVersion = "2"

// LoanApplication is the input of the LoanProcessor state machine.
type LoanApplication struct {
	ApplicationID string    `json:"applicationId"`
	Applicant     Applicant `json:"applicant"`
	Property      Property  `json:"property"`
	// LoanAmount is in minor units (pence).
	LoanAmount  int64  `json:"loanAmount"`
	Currency    string `json:"currency"`
	TermMonths  int    `json:"termMonths"`
	SubmittedAt string `json:"submittedAt,omitempty"`
}

// Applicant is the person applying for the loan.
type Applicant struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Property is the property to be valued.
type Property struct {
	// Name is the house name or number; the mock valuation service reads its
	// fault markers here.
	Name         string  `json:"name,omitempty"`
	PropertyType string  `json:"propertyType,omitempty"`
	Address      Address `json:"address"`
}

// Address is a UK postal address.
type Address struct {
	Line1    string `json:"line1"`
	Line2    string `json:"line2,omitempty"`
	Town     string `json:"town"`
	Postcode string `json:"postcode"`
}

// ValuationRequestMessage is the SQS message body that RequestValuation sends
// with its task token.
type ValuationRequestMessage struct {
	Version         int             `json:"version"`
	TaskToken       string          `json:"taskToken"`
	ExecutionID     string          `json:"executionId"`
	RequestedAt     string          `json:"requestedAt"`
	LoanApplication LoanApplication `json:"loanApplication"`
}

// ValuationRequest is the body POSTed to the valuation service.
type ValuationRequest struct {
	Property    Property `json:"property"`
	CallbackURL string   `json:"callbackUrl"`
}

// ValuationRequestResponse is the valuation service's 201 body.
type ValuationRequestResponse struct {
	ValuationReference string `json:"valuationReference"`
}

// ValuationResponse is what the valuation service POSTs to the webhook.
type ValuationResponse struct {
	ValuationReference string `json:"valuationReference"`
	Status             string `json:"status"`
	// PropertyValue is in minor units (pence); set when Status is COMPLETED.
	PropertyValue int64             `json:"propertyValue,omitempty"`
	Currency      string            `json:"currency,omitempty"`
	ValuedAt      string            `json:"valuedAt,omitempty"`
	Failure       *ValuationFailure `json:"failure,omitempty"`
}

// ValuationFailure says why a valuation could not be made.
type ValuationFailure struct {
	ReasonCode string `json:"reasonCode"`
	Reason     string `json:"reason,omitempty"`
}

// ValuationCallbackDetail is the detail of the "Valuation Completed" and
// "Valuation Failed" events the webhook publishes.
type ValuationCallbackDetail struct {
	Version string `json:"version"`
	// CallbackID is the last segment of the callback URL's path; the
	// signature covers it.
	CallbackID string    `json:"callbackId"`
	Signature  Signature `json:"signature"`
	// BodyBase64 is the request body exactly as received, base64 encoded:
	// the signature covers these bytes, which need not be valid UTF-8.
	BodyBase64 string `json:"bodyBase64"`
	// ReceivedAt is when the webhook received the request, in Unix
	// milliseconds (API Gateway's $context.requestTimeEpoch): the trusted
	// time at which the signature's freshness is judged.
	ReceivedAt string `json:"receivedAt"`
	// ReceiptID identifies the webhook request (API Gateway's
	// $context.requestId): two posts of the same signed body are two
	// callbacks, one post delivered twice is one.
	ReceiptID string `json:"receiptId"`
	// Response is the body parsed, for routing only (rule patterns); the
	// resolver acts on the signed bytes.
	Response ValuationResponse `json:"response"`
}

// Signature carries the webhook's signature headers.
type Signature struct {
	Timestamp string `json:"timestamp"`
	Value     string `json:"value"`
}

// ValuationResult is the SendTaskSuccess output that resumes RequestValuation.
type ValuationResult struct {
	ValuationReference string `json:"valuationReference"`
	PropertyValue      int64  `json:"propertyValue"`
	Currency           string `json:"currency"`
	ValuedAt           string `json:"valuedAt,omitempty"`
	// LoanToValueBps is loanAmount / propertyValue in basis points (7500 = 75%),
	// rounded up so that a borderline loan is never approved by rounding.
	LoanToValueBps int64 `json:"loanToValueBps"`
}

// LoanToValueBps returns loan/value in basis points, rounded up. value must be > 0.
func LoanToValueBps(loan, value int64) int64 {
	if value <= 0 {
		return 0
	}
	return (loan*10000 + value - 1) / value
}

// DetailType returns the event detail-type for a response status.
func DetailType(status string) string {
	if status == StatusFailed {
		return DetailTypeFailed
	}
	return DetailTypeCompleted
}
