package rules

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tidwall/gjson"
)

// shadowLogInterval is how often, at most, one rule logs a shadow
// difference: a drifted mock differs on every request, and one line now
// and then says so as well as thousands.
const shadowLogInterval = 10 * time.Second

// maxShadowDifferences bounds the paths one log line lists.
const maxShadowDifferences = 20

// shadow renders a mock for a delegated request and compares the structure
// of its JSON with the backend's answer, off the request's path: the
// client never waits for the comparison.
type shadow struct {
	response *response
	busy     atomic.Bool  // a comparison is running: skip, don't queue
	nextLog  atomic.Int64 // unix nanoseconds before which nothing is logged
}

// compare renders the mock now (the request's data is gone afterwards) and
// compares it with the backend's answer in the background. It reports
// whether it took real: the caller must then not reuse it, and the
// comparison puts pooled (the answer buffer real may lie in; may be nil)
// back in its pool when it is done.
func (s *shadow) compare(x *exchange, real []byte, pooled *[]byte, be *backend) bool {
	if time.Now().UnixNano() < s.nextLog.Load() || !s.busy.CompareAndSwap(false, true) {
		return false // nothing could be logged now, or a comparison is running
	}
	rule := x.ruleName()
	if int64(len(real)) > be.maxShadow {
		s.busy.Store(false)
		s.warn(be.log, rule, "shadow: the backend's answer ("+strconv.Itoa(len(real))+" bytes) is longer than max_shadow_bytes ("+strconv.FormatInt(be.maxShadow, 10)+"), so it is not compared")
		return false
	}
	mock, err := s.response.bodyFor(x)
	switch {
	case err != nil:
		s.busy.Store(false)
		s.warn(be.log, rule, "shadow: the mock could not be rendered: "+err.Error())
		return false
	case int64(len(mock)) > be.maxShadow:
		s.busy.Store(false)
		s.warn(be.log, rule, "shadow: the mock ("+strconv.Itoa(len(mock))+" bytes) is longer than max_shadow_bytes ("+strconv.FormatInt(be.maxShadow, 10)+"), so it is not compared")
		return false
	}
	go func() {
		defer s.busy.Store(false)
		diffs := jsonDifferences(real, mock, be.maxDepth)
		if pooled != nil {
			answerBuffers.Put(pooled)
		}
		if len(diffs) > 0 {
			s.warn(be.log, rule, "shadow: the mock differs from the backend at "+strings.Join(diffs, "; "))
		}
	}()
	return true
}

// warn logs a line about the rule's shadow, at most one every
// shadowLogInterval.
func (s *shadow) warn(log *logger, rule, text string) {
	now := time.Now().UnixNano()
	last := s.nextLog.Load()
	if now < last || !s.nextLog.CompareAndSwap(last, now+int64(shadowLogInterval)) {
		return
	}
	log.Warning("rule", strconv.Quote(rule), text)
}

// jsonDifferences lists where two JSON documents differ in structure:
// paths present in one only, and values whose type differs. Values
// themselves are not compared.
//
// The documents are walked where they lie, after an iterative check that
// they are JSON nested at most maxDepth deep: decoding them would cost many
// times their size. Arrays are walked side by side with no memory at all;
// objects have their members listed as offsets (8 bytes a member, on one
// stack shared by the whole walk) to sort and merge the two objects' names.
func jsonDifferences(real, mock []byte, maxDepth int) []string {
	if !validJSON(real, maxDepth) {
		return []string{"$ (the backend's answer is not JSON, or nests deeper than max_body_depth)"}
	}
	if !validJSON(mock, maxDepth) {
		return []string{"$ (the mock is not JSON, or nests deeper than max_body_depth)"}
	}
	d := differ{real: real, mock: mock}
	d.compare(skipJSONSpace(real, 0), skipJSONSpace(mock, 0))
	if d.count > maxShadowDifferences {
		d.diffs = append(d.diffs, fmt.Sprintf("and %d more", d.count-maxShadowDifferences))
	}
	return d.diffs
}

type differ struct {
	real, mock []byte
	path       []step      // where the walk is, rendered only for a difference
	members    []memberRef // the members of the objects on the path, as a stack
	diffs      []string    // the first maxShadowDifferences differences
	count      int         // all of them
}

// step is one step of a path: a member's name in doc, or an array index.
type step struct {
	doc   []byte
	name  memberRef
	index int // when doc is nil
}

func (d *differ) add(what string) {
	if d.count++; d.count > maxShadowDifferences {
		return
	}
	var b strings.Builder
	b.WriteByte('$')
	for _, s := range d.path {
		if s.doc == nil {
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		} else {
			b.WriteString("." + s.name.name(s.doc))
		}
	}
	d.diffs = append(d.diffs, b.String()+" "+what)
}

// compare compares the values that start at r in the backend's answer and
// at m in the mock.
func (d *differ) compare(r, m int) {
	if rt, mt := jsonType(d.real[r]), jsonType(d.mock[m]); rt != mt {
		d.add("(" + rt + " in the backend, " + mt + " in the mock)")
		return
	}
	switch d.real[r] {
	case '{':
		base := len(d.members)
		d.members = appendMembers(d.members, d.real, r)
		split := len(d.members)
		d.members = appendMembers(d.members, d.mock, m)
		end := len(d.members)
		for i, j := base, split; i < split || j < end; {
			// d.members may move as nested objects push theirs: index it
			// afresh each time.
			var c int
			switch {
			case i == split:
				c = 1
			case j == end:
				c = -1
			default:
				c = compareNames(d.real, d.members[i], d.mock, d.members[j])
			}
			switch {
			case c < 0:
				d.path = append(d.path, step{doc: d.real, name: d.members[i]})
				d.add("(only in the backend)")
				i++
			case c > 0:
				d.path = append(d.path, step{doc: d.mock, name: d.members[j]})
				d.add("(only in the mock)")
				j++
			default:
				d.path = append(d.path, step{doc: d.real, name: d.members[i]})
				d.compare(int(d.members[i].value), int(d.members[j].value))
				i++
				j++
			}
			d.path = d.path[:len(d.path)-1]
		}
		d.members = d.members[:base]
	case '[':
		r, m = firstElement(d.real, r), firstElement(d.mock, m)
		for i := 0; r >= 0 && m >= 0; i++ {
			d.path = append(d.path, step{index: i})
			d.compare(r, m)
			d.path = d.path[:len(d.path)-1]
			r, m = nextElement(d.real, r), nextElement(d.mock, m)
		}
	}
}

// memberRef is an object member: where its name (a string, quotes
// included) and its value start in the document.
type memberRef struct {
	name0, value uint32
}

// raw is the name between its quotes, and whether it has escapes.
func (r memberRef) raw(doc []byte) ([]byte, bool) {
	raw := doc[r.name0+1 : skipJSONString(doc, int(r.name0))-1]
	return raw, bytes.IndexByte(raw, '\\') >= 0
}

func (r memberRef) name(doc []byte) string {
	raw, escaped := r.raw(doc)
	if !escaped {
		return string(raw)
	}
	return gjson.ParseBytes(doc[r.name0 : int(r.name0)+len(raw)+2]).String()
}

// compareNames orders two members by their decoded names, decoding only
// names with escapes.
func compareNames(a []byte, ra memberRef, b []byte, rb memberRef) int {
	x, xe := ra.raw(a)
	y, ye := rb.raw(b)
	if !xe && !ye {
		return bytes.Compare(x, y)
	}
	return strings.Compare(ra.name(a), rb.name(b))
}

// appendMembers appends the members of the object at i, sorted by name;
// where a name repeats, only its last value is kept, as a JSON decoder
// keeps it.
func appendMembers(refs []memberRef, doc []byte, i int) []memberRef {
	base, n := len(refs), 0
	for j := firstElement(doc, i); j >= 0; j = nextElement(doc, j) {
		n++ // counted first: a growing slice would allocate several times its size
	}
	refs = slices.Grow(refs, n)
	for i = firstElement(doc, i); i >= 0; i = nextElement(doc, i) {
		value := skipJSONSpace(doc, skipJSONSpace(doc, skipJSONString(doc, i))+1) // past the colon
		refs = append(refs, memberRef{name0: uint32(i), value: uint32(value)})
	}
	list := refs[base:]
	slices.SortStableFunc(list, func(a, b memberRef) int { return compareNames(doc, a, doc, b) })
	kept := list[:0]
	for k, r := range list {
		if k+1 < len(list) && compareNames(doc, list[k+1], doc, r) == 0 {
			continue // a later one of the same name follows
		}
		kept = append(kept, r)
	}
	return refs[:base+len(kept)]
}

// firstElement returns where the first element (or member) of the array
// (or object) at i starts, or -1 when it is empty. The document is valid.
func firstElement(doc []byte, i int) int {
	i = skipJSONSpace(doc, i+1)
	if doc[i] == ']' || doc[i] == '}' {
		return -1
	}
	return i
}

// nextElement returns where the element (or member) after the one at i
// starts, or -1 after the last one.
func nextElement(doc []byte, i int) int {
	if doc[i] == '"' { // a member's name, or a string in an array
		end := skipJSONString(doc, i)
		if j := skipJSONSpace(doc, end); doc[j] == ':' {
			i = skipJSONSpace(doc, j+1)
		}
	}
	i = skipJSONSpace(doc, skipValue(doc, i))
	if doc[i] != ',' {
		return -1
	}
	return skipJSONSpace(doc, i+1)
}

// skipValue returns where the value at i of a valid document ends,
// counting brackets outside strings instead of recursing.
func skipValue(doc []byte, i int) int {
	switch doc[i] {
	case '"':
		return skipJSONString(doc, i)
	case '{', '[':
		depth := 0
		for ; i < len(doc); i++ {
			switch doc[i] {
			case '"':
				i = skipJSONString(doc, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return i
	default: // a number or a literal
		for i < len(doc) && !strings.ContainsRune(",]} \t\n\r", rune(doc[i])) {
			i++
		}
		return i
	}
}

// jsonType names the type of the value that starts with c.
func jsonType(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}
