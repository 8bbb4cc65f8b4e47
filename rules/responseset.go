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

var modes = map[string]func(count uint64, n int) int{
	"sequence": func(count uint64, n int) int { return int((count - 1) % uint64(n)) },
	"stick":    func(count uint64, n int) int { return int(min(count-1, uint64(n-1))) },
	"random":   func(_ uint64, n int) int { return rand.IntN(n) },
}

func compileResponseSet(errs *config.Errors, loc config.Path, mode string, cfgs []config.Response, log *logger) *responseSet {
	if mode == "" {
		mode = "sequence"
	}
	set := &responseSet{pick: modes[mode]}
	if set.pick == nil {
		errs.Add(loc.Field("mode"), "must be sequence, random or stick, got %q", mode)
	}
	for i := range cfgs {
		set.responses = append(set.responses, compileResponse(errs, loc.Field("responses").Index(i), &cfgs[i], log))
	}
	return set
}

func (r *response) templateSets() []*templateSet { return []*templateSet{r.templates} }

func (s *responseSet) templateSets() []*templateSet {
	var sets []*templateSet
	for _, r := range s.responses {
		sets = append(sets, r.templates)
	}
	return sets
}

func (s *responseSet) serve(w http.ResponseWriter, x *exchange) {
	s.responses[s.pick(x.count, len(s.responses))].serve(w, x)
}
