// Package consumers holds the code that runs in Lambda: the valuation-request
// consumer, the callback resolver, the mock valuation service and the token
// store they share. Nothing here knows where it runs: it imports contracts,
// never infra, and reads its configuration from environment variables whose
// names are constants in each handler's package.
package consumers
