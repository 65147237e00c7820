//go:build !unix

package bench

import "time"

// processCPU is not measured here: the loans figure then omits its CPU.
func processCPU() (time.Duration, bool) { return 0, false }
