// Package consumers holds the code that runs in Lambda: the valuation-request
// consumer, the callback resolver, the token store they share, and
// mockvaluation, a stand-in for the real external Valuation Service. Nothing
// here knows where it runs: it imports contracts, never infra, and reads its
// configuration from environment variables whose names are constants in each
// handler's package. Each function is assembled by one exported constructor
// (valuationrequest.Build, valuationcallback.Build, mockvaluation.BuildAPI,
// mockvaluation.BuildCallbackSender) that its main and the local stack both
// call.
package consumers
