//go:build !race

package jsonata

// raceSlowdown scales the language suite's time limits; 1 without the race
// detector.
const raceSlowdown = 1
