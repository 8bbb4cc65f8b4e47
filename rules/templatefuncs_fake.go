package rules

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Fake data and random values. Without a seed they draw from math/rand/v2's
// top-level source, which has a state per thread: no lock, no hot spot.
// With a response's "seed", each template of the answer draws from its own
// PCG stream, seeded by the seed's text and the template's place, held by
// the request's bound templates (never shared between two requests): the
// same seed gives the same answer, whatever the order templates render in.

func init() {
	addHelpers(map[string]helperSpec{
		"randInt":       {fn: randIntHelper, min: 2, max: 2},
		"oneOf":         {fn: oneOfHelper, min: 1, max: -1},
		"uuid":          s0Spec(uuidString),
		"fakeUUID":      s0Spec(uuidString),
		"fakeFirstName": s0Spec(pick(fakeFirstNames)),
		"fakeLastName":  s0Spec(pick(fakeLastNames)),
		"fakeName":      s0Spec(fakeName),
		"fakeEmail":     s0Spec(fakeEmail),
		"fakePhone":     s0Spec(fakePhone),
		"fakeStreet":    s0Spec(fakeStreet),
		"fakeCity":      s0Spec(pick(fakeCities)),
		"fakeCountry":   s0Spec(pick(fakeCountries)),
		"fakeZip":       s0Spec(fakeZip),
		"fakeCompany":   s0Spec(fakeCompany),
		"fakeJobTitle":  s0Spec(fakeJobTitle),
		"fakeWord":      s0Spec(pick(fakeLorem)),
		"fakeWords":     {fn: fakeWords, min: 1, max: 1},
		"fakeSentence":  {fn: fakeSentence, min: 0, max: 1},
		"fakeParagraph": {fn: fakeParagraph, min: 0, max: 1},
		"fakeInt":       {fn: fakeInt, min: 2, max: 2},
		"fakeFloat":     {fn: fakeFloat, min: 2, max: 2},
		"fakeBool":      {fn: func(b *boundTemplates, _ []any) (any, error) { return b.intN(2) == 1, nil }, min: 0, max: 0},
		"fakeDate":      {fn: fakeDate, min: 2, max: 2},
	})
}

// maxFakeWords bounds fakeWords, fakeSentence and fakeParagraph.
const maxFakeWords = 1000

// seedOf turns a seed's text into a number.
func seedOf(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func (b *boundTemplates) intN(n int) int {
	if b.seeded {
		return b.rng.IntN(n)
	}
	return rand.IntN(n)
}

func (b *boundTemplates) uint64() uint64 {
	if b.seeded {
		return b.rng.Uint64()
	}
	return rand.Uint64()
}

func (b *boundTemplates) float64() float64 {
	if b.seeded {
		return b.rng.Float64()
	}
	return rand.Float64()
}

func pick(list []string) func(b *boundTemplates) string {
	return func(b *boundTemplates) string { return list[b.intN(len(list))] }
}

// s0Spec is a helper of no argument giving a string, which the fast path
// calls without boxing it.
func s0Spec(f func(b *boundTemplates) string) helperSpec {
	return helperSpec{fn: func(b *boundTemplates, _ []any) (any, error) { return f(b), nil }, s0: f, min: 0, max: 0}
}

func (b *boundTemplates) pick(list []string) string { return list[b.intN(len(list))] }

// randInt MIN MAX is an integer in [MIN, MAX), as sprig's.
func randIntHelper(b *boundTemplates, a []any) (any, error) {
	lo, err := toInt("randInt", a[0], math.MinInt64, math.MaxInt64)
	if err != nil {
		return nil, err
	}
	hi, err := toInt("randInt", a[1], math.MinInt64, math.MaxInt64)
	if err != nil {
		return nil, err
	}
	if hi <= lo {
		return nil, fmt.Errorf("randInt %d %d: max must be greater than min", lo, hi)
	}
	return lo + int(b.uint64()%uint64(hi-lo)), nil
}

// fakeInt MIN MAX is an integer in [MIN, MAX], both included.
func fakeInt(b *boundTemplates, a []any) (any, error) {
	lo, err := toInt64("fakeInt", a[0])
	if err != nil {
		return nil, err
	}
	hi, err := toInt64("fakeInt", a[1])
	if err != nil {
		return nil, err
	}
	if hi < lo {
		return nil, fmt.Errorf("fakeInt %d %d: max is less than min", lo, hi)
	}
	span := uint64(hi-lo) + 1
	if span == 0 { // the whole int64 range
		return int64(b.uint64()), nil
	}
	return lo + int64(b.uint64()%span), nil
}

// fakeFloat MIN MAX is a number in [MIN, MAX).
func fakeFloat(b *boundTemplates, a []any) (any, error) {
	lo, err := toFloat64("fakeFloat", a[0])
	if err != nil {
		return nil, err
	}
	hi, err := toFloat64("fakeFloat", a[1])
	if err != nil {
		return nil, err
	}
	if !(hi >= lo) || math.IsInf(hi-lo, 0) {
		return nil, fmt.Errorf("fakeFloat %v %v: max must be at least min, both finite", lo, hi)
	}
	return lo + b.float64()*(hi-lo), nil
}

// fakeDate FROM TO is a time between two times, to the second.
func fakeDate(b *boundTemplates, a []any) (any, error) {
	from, err := toTime("fakeDate", a[0])
	if err != nil {
		return nil, err
	}
	to, err := toTime("fakeDate", a[1])
	if err != nil {
		return nil, err
	}
	lo, hi := from.Unix(), to.Unix()
	if hi < lo {
		return nil, fmt.Errorf("fakeDate: %s is before %s", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	secs := int64(b.uint64()) // the whole range of int64 seconds
	if span := uint64(hi-lo) + 1; span != 0 {
		secs = lo + int64(b.uint64()%span)
	}
	return time.Unix(secs, 0).In(from.Location()), nil
}

func oneOfHelper(b *boundTemplates, a []any) (any, error) { return a[b.intN(len(a))], nil }

func uuidString(b *boundTemplates) string {
	if !b.seeded {
		return newUUID()
	}
	var u [16]byte
	for i := 0; i < 16; i += 8 {
		v := b.rng.Uint64()
		for j := range 8 {
			u[i+j] = byte(v >> (8 * j))
		}
	}
	return formatUUID(u)
}

func fakeName(b *boundTemplates) string {
	return b.pick(fakeFirstNames) + " " + b.pick(fakeLastNames)
}

func fakeEmail(b *boundTemplates) string {
	first := emailPart(b.pick(fakeFirstNames))
	last := emailPart(b.pick(fakeLastNames))
	sep := []string{".", "_", ""}[b.intN(3)]
	n := ""
	if b.intN(3) == 0 {
		n = strconv.Itoa(b.intN(100))
	}
	return first + sep + last + n + "@" + b.pick(fakeDomains)
}

func emailPart(s string) string {
	return strings.ToLower(strings.ReplaceAll(s, " ", ""))
}

// fakePhone is a number in the form +CC NNN NNN NNN.
func fakePhone(b *boundTemplates) string {
	codes := []string{"1", "31", "33", "34", "39", "44", "49", "61", "81"}
	return fmt.Sprintf("+%s %03d %03d %03d", codes[b.intN(len(codes))], 200+b.intN(800), b.intN(1000), b.intN(1000))
}

func fakeStreet(b *boundTemplates) string {
	return strconv.Itoa(1+b.intN(999)) + " " + b.pick(fakeStreets) + " " + b.pick(fakeStreetKinds)
}

func fakeZip(b *boundTemplates) string {
	return fmt.Sprintf("%05d", b.intN(100000))
}

func fakeCompany(b *boundTemplates) string {
	return b.pick(fakeCompanyWords) + " " + b.pick(fakeCompanyKinds) + " " + b.pick(fakeCompanySuffixes)
}

func fakeJobTitle(b *boundTemplates) string {
	return b.pick(fakeJobLevels) + " " + b.pick(fakeJobFields) + " " + b.pick(fakeJobRoles)
}

func wordCount(name string, a []any, def int) (int, error) {
	if len(a) == 0 {
		return def, nil
	}
	return toInt(name, a[0], 0, maxFakeWords)
}

// fakeWords N is N lorem words.
func fakeWords(b *boundTemplates, a []any) (any, error) {
	n, err := wordCount("fakeWords", a, 0)
	if err != nil {
		return nil, err
	}
	var s strings.Builder
	for i := range n {
		if i > 0 {
			s.WriteByte(' ')
		}
		s.WriteString(b.pick(fakeLorem))
	}
	return s.String(), nil
}

// fakeSentence [N] is a capitalised sentence of N words (6 to 12).
func fakeSentence(b *boundTemplates, a []any) (any, error) {
	n, err := wordCount("fakeSentence", a, 6+b.intN(7))
	if err != nil {
		return nil, err
	}
	return b.sentence(n), nil
}

func (b *boundTemplates) sentence(n int) string {
	if n == 0 {
		return ""
	}
	w, _ := fakeWords(b, []any{n})
	s := w.(string)
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:] + "."
}

// fakeParagraph [N] is N sentences (3 to 5).
func fakeParagraph(b *boundTemplates, a []any) (any, error) {
	n, err := wordCount("fakeParagraph", a, 3+b.intN(3))
	if err != nil {
		return nil, err
	}
	n = min(n, maxFakeWords/12)
	var s strings.Builder
	for i := range n {
		if i > 0 {
			s.WriteByte(' ')
		}
		s.WriteString(b.sentence(6 + b.intN(7)))
	}
	return s.String(), nil
}
