package rules

import (
	"krakend-rules/config"
	"math/rand/v2"
	"net/http"
)

// responseSet is a rule's "responses": one of them answers each request,
// chosen by the rule's mode from the number of requests the rule answered.
type responseSet struct {
	responses []*response
	pick      func(count uint64, n int) int
}

var modes = map[config.Mode]func(count uint64, n int) int{
	config.ModeSequence: func(count uint64, n int) int { return int((count - 1) % uint64(n)) },
	config.ModeStick:    func(count uint64, n int) int { return int(min(count-1, uint64(n-1))) },
	config.ModeRandom:   func(_ uint64, n int) int { return rand.IntN(n) },
}

func compileResponseSet(errs *config.Errors, loc config.Path, mode config.Mode, cfgs []config.Response, log *logger) *responseSet {
	if mode == "" {
		mode = config.ModeSequence
	}
	set := &responseSet{pick: modes[mode]} // decoding let no other mode through
	for i := range cfgs {
		set.responses = append(set.responses, compileResponse(errs, loc.Field("responses").Index(i), &cfgs[i], log))
	}
	return set
}

func (r *response) templateSets() []*templateSet { return []*templateSet{r.templateSet()} }

func (s *responseSet) templateSets() []*templateSet {
	var sets []*templateSet
	for _, r := range s.responses {
		sets = append(sets, r.templateSet())
	}
	return sets
}

func (s *responseSet) serve(w http.ResponseWriter, x *exchange) {
	s.responses[s.pick(x.count, len(s.responses))].serve(w, x)
}
