//go:build !race

package rules

// raceDetector tells whether the tests run with -race, whose instrumentation
// allocates on its own: allocation counts are then not the code's.
const raceDetector = false
