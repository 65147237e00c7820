package tokenstore_test

import (
	"testing"

	"loanflow/consumers/tokenstore"
	"loanflow/consumers/tokenstore/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) tokenstore.Store { return tokenstore.NewMemoryStore() })
}
