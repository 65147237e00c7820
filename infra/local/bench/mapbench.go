package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"
)

// MapResult is the engine-versus-peer figure.
type MapResult struct {
	Items int // loan applications in the batch
	Runs  int // timed runs of each engine (interleaved, after one warm-up)

	Ours []time.Duration // wall time of each of our runs (start to output read)
	Peer []time.Duration // time of each peer run (input parse, run, output stringify)

	OursMedian, PeerMedian time.Duration
	// Ratio is the median over rounds of peer time / our time (so 10 means
	// we are ten times faster). Zero when the peer did not run.
	Ratio float64
	// PeerSkipped says why the peer did not run ("" if it did).
	PeerSkipped string
	// PeerNode is the node version the peer ran on.
	PeerNode string
}

// measureMap runs LoanMapDefinition over items applications on our engine
// (a database under dir) and, if withPeer, on the npm peer, interleaved.
// Each engine's first run is a warm-up whose output is checked: ours against
// ExpectedOutput, the peer's against ours; any difference is an error.
func measureMap(ctx context.Context, dir string, items, runs int, withPeer bool, node, peerDir string) (MapResult, error) {
	res := MapResult{Items: items, Runs: runs}
	batch := GenerateBatch(items)
	input, err := MarshalBatch(batch)
	if err != nil {
		return res, err
	}
	want, err := json.Marshal(ExpectedOutput(batch))
	if err != nil {
		return res, fmt.Errorf("encode expected output: %w", err)
	}
	h, err := openEngine(ctx, filepath.Join(dir, "map.db"), nil)
	if err != nil {
		return res, err
	}
	defer h.close()
	smARN, _, err := h.e.CreateStateMachine(ctx, "bench-loan-map", string(LoanMapDefinition), roleARN, "STANDARD")
	if err != nil {
		return res, fmt.Errorf("create map state machine: %w", err)
	}
	seq := 0
	ours := func() (time.Duration, []byte, error) {
		seq++
		t0 := time.Now()
		x, err := h.run(ctx, smARN, fmt.Sprintf("map-%d", seq), string(input))
		d := time.Since(t0)
		if err != nil {
			return 0, nil, err
		}
		if x.Status != "SUCCEEDED" || x.Output == nil {
			return 0, nil, fmt.Errorf("map execution %s: %s (%s: %s)", x.Name, x.Status, deref(x.Error), deref(x.Cause))
		}
		return d, []byte(*x.Output), nil
	}
	_, out, err := ours()
	if err != nil {
		return res, err
	}
	if same, diff, err := SameJSON(out, want); err != nil {
		return res, fmt.Errorf("check our map output: %w", err)
	} else if !same {
		return res, fmt.Errorf("our map output differs from the expected output at %s", diff)
	}

	var p *peer
	if !withPeer {
		res.PeerSkipped = "not requested"
	} else {
		p, err = startPeer(ctx, node, peerDir, LoanMapDefinition, input)
		switch {
		case errors.Is(err, ErrPeerUnavailable):
			res.PeerSkipped = err.Error()
		case err != nil:
			return res, err
		default:
			defer p.close()
			res.PeerNode = p.Node
			_, pout, err := p.run(true)
			if err != nil {
				return res, err
			}
			if same, diff, err := SameJSON(out, pout); err != nil {
				return res, fmt.Errorf("compare outputs: %w", err)
			} else if !same {
				return res, fmt.Errorf("the peer's map output differs from ours at %s", diff)
			}
		}
	}

	var ratios []float64
	for i := range runs {
		var do, dp time.Duration
		var err error
		peerFirst := p != nil && i%2 == 1
		if peerFirst {
			if dp, _, err = p.run(false); err != nil {
				return res, err
			}
		}
		if do, _, err = ours(); err != nil {
			return res, err
		}
		if p != nil && !peerFirst {
			if dp, _, err = p.run(false); err != nil {
				return res, err
			}
		}
		res.Ours = append(res.Ours, do)
		if p != nil {
			res.Peer = append(res.Peer, dp)
			ratios = append(ratios, dp.Seconds()/do.Seconds())
		}
	}
	res.OursMedian = medianDuration(res.Ours)
	if p != nil {
		res.PeerMedian = medianDuration(res.Peer)
		res.Ratio = median(ratios)
	}
	return res, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// median returns the median of xs (0 for none).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func medianDuration(ds []time.Duration) time.Duration {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d)
	}
	return time.Duration(median(xs))
}
