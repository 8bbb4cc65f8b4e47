//go:build race

package main

// raceEnabled: the race detector multiplies CPU time (about ten times for
// an import), so time bounds hold only without it.
const raceEnabled = true
