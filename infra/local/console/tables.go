package console

import (
	"context"
	"fmt"
	"net/http"
)

// TableLister is a Source that can list the stack's DynamoDB tables; the
// console then shows them, with their secondary indexes, at /tables.
type TableLister interface {
	Tables(ctx context.Context) ([]Table, error)
}

// Table is one DynamoDB table: its key ("pk (S), sk (N)"), its item count
// and its secondary indexes.
type Table struct {
	Name, Key string
	ItemCount int64
	Indexes   []TableIndex
}

// TableIndex is one secondary index of a table.
type TableIndex struct {
	Name       string
	Global     bool // a global secondary index; false: a local one
	Key        string
	Projection string
	ItemCount  int64
}

// tablesView is the tables page.
type tablesView struct {
	Tables []Table
}

func (s *server) tables(w http.ResponseWriter, r *http.Request) {
	tl, ok := s.src.(TableLister)
	if !ok {
		s.fail(w, r, fmt.Errorf("this console's source lists no tables: %w", ErrNotFound))
		return
	}
	ts, err := tl.Tables(r.Context())
	if err != nil {
		s.fail(w, r, fmt.Errorf("list tables: %w", err))
		return
	}
	s.render(w, r, http.StatusOK, "tables", page{Title: "Tables", Nav: "tables", Live: true, View: tablesView{Tables: ts}})
}
