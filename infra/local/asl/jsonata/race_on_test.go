//go:build race

package jsonata

// raceSlowdown scales the language suite's time limits under the race
// detector, which makes evaluation 5-20 times slower (Go's documentation:
// "memory usage may increase by 5-10x and execution time by 2-20x").
const raceSlowdown = 20
