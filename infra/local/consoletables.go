package local

import (
	"context"

	"loanflow/infra/local/console"
)

var _ console.TableLister = (*consoleSource)(nil)

// Tables lists the stack's DynamoDB tables with their secondary indexes.
func (c *consoleSource) Tables(ctx context.Context) ([]console.Table, error) {
	sums, err := c.s.Tables.Summaries(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]console.Table, 0, len(sums))
	for _, t := range sums {
		ct := console.Table{Name: t.Name, Key: t.Key, ItemCount: t.ItemCount}
		for _, ix := range t.Indexes {
			ct.Indexes = append(ct.Indexes, console.TableIndex{Name: ix.Name, Global: ix.Global, Key: ix.Key, Projection: ix.Projection, ItemCount: ix.ItemCount})
		}
		out = append(out, ct)
	}
	return out, nil
}
