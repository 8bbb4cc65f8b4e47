package rules

import "strings"

// pack moves what each compiled rule keeps into a few set-wide
// allocations: the rules' names and path patterns into one string, their
// conditions into one slice, their path conditions into one array, their
// static answers into another and those answers' bodies into one byte
// slice, their extras into one array (the rules without any share
// noExtras), and the debug header's values into one slice (made only when
// debug_header is on).
//
// Why: the garbage collector marks everything a gateway keeps at every
// cycle, for the process's life, and what it pays grows with the objects
// and pointers it meets. On a gateway given one core, each cycle's mark
// phase is time its requests wait, so a rule set of ten thousand rules,
// one small object per rule and part, shows in the gateway's p99. One
// array of a thousand values is one object; the byte slices hold no
// pointers and are not even scanned. BenchmarkGCMark measures it.
//
// Nothing changes for the request path: each rule's fields are the same
// slices and pointers, into shared backing arrays, capped so that nothing
// can append into a neighbour's part. Nothing may write a rule's extras
// after pack: noExtras is every plain rule's.
func (s *ruleSet) pack(debugHeader bool) {
	if len(s.rules) == 0 {
		return
	}
	var nameBytes, nConds, nPaths, nAnswers, bodyBytes, nExtras int
	for _, r := range s.all() {
		if debugHeader || !r.ruleExtras.none() {
			nExtras++
		}
		nameBytes += len(r.name)
		nConds += len(r.conditions)
		for _, c := range r.conditions {
			if pc, ok := c.(*pathCondition); ok {
				nPaths++
				nameBytes += len(pc.src)
			}
		}
		if a, ok := r.action.(*response); ok && a.templatedResponse == nil {
			nAnswers++
			bodyBytes += len(a.body)
		}
	}

	// The rules' names and path patterns, in rule order, in one string.
	var names strings.Builder
	names.Grow(nameBytes)
	for _, r := range s.all() {
		names.WriteString(r.name)
		for _, c := range r.conditions {
			if pc, ok := c.(*pathCondition); ok {
				names.WriteString(pc.src)
			}
		}
	}
	allNames := names.String()
	conds := make([]condition, 0, nConds)
	paths := make([]pathCondition, 0, nPaths)
	answers := make([]response, 0, nAnswers)
	bodies := make([]byte, 0, bodyBytes)
	extras := make([]ruleExtras, 0, nExtras)
	var debugValues []string
	if debugHeader {
		debugValues = make([]string, len(s.rules))
	}
	for i, r := range s.all() {
		r.name, allNames = allNames[:len(r.name)], allNames[len(r.name):]
		start := len(conds)
		for _, c := range r.conditions {
			if pc, ok := c.(*pathCondition); ok {
				paths = append(paths, *pc)
				packed := &paths[len(paths)-1]
				packed.src, allNames = allNames[:len(pc.src)], allNames[len(pc.src):]
				c = packed
			}
			conds = append(conds, c)
		}
		if len(r.conditions) > 0 {
			r.conditions = conds[start:len(conds):len(conds)]
		}
		if a, ok := r.action.(*response); ok && a.templatedResponse == nil {
			answers = append(answers, *a)
			packed := &answers[len(answers)-1]
			if len(a.body) > 0 {
				at := len(bodies)
				bodies = append(bodies, a.body...)
				packed.body = bodies[at:len(bodies):len(bodies)]
			}
			r.action = packed
		}
		if debugHeader {
			debugValues[i] = sanitizeHeaderValue(r.name)
			r.debugValue = debugValues[i : i+1 : i+1]
		}
		if r.ruleExtras.none() {
			r.ruleExtras = &noExtras
		} else {
			extras = append(extras, *r.ruleExtras)
			r.ruleExtras = &extras[len(extras)-1]
		}
	}
}
