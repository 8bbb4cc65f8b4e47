package rules

import (
	"bytes"
	"fmt"
	"krakend-rules/config"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"
)

// Templates: parsed once per action at load, cloned and bound to one
// request at a time.

// templateSet holds the templates of one action. They are parsed once, at
// load; each request executes them on a clone taken from a pool, whose
// request-bound functions (body, bodyRaw) read that request's body. A clone
// serves one request at a time, so no function is ever shared between two.
type templateSet struct {
	root  *template.Template // nil until the first template: rootTemplate
	names []string
	fast  []fastTemplate // by index; nil where text/template must run
	uses  []TemplateUse  // by index: where each is and what it reads
	pool  sync.Pool

	// seed, when seeded, makes random helpers reproducible: see
	// templatefuncs_fake.go and setSeed.
	seeded     bool
	seed       text
	seedPrefix string   // the response's location, which names leave out
	streams    []uint64 // by index: the stream of each template

	checked map[*parse.Tree]bool      // the trees add has checked, at load
	regexps map[string]*regexp.Regexp // the literal patterns of its helpers
}

// boundTemplates is a clone of a templateSet bound to one request.
type boundTemplates struct {
	x         *exchange
	set       *templateSet
	templates []*template.Template

	// The random stream of a seeded set, reseeded before each template.
	seeded    bool
	pcg       rand.PCG
	rng       *rand.Rand
	seedValue uint64
	seedReady bool

	stack []any         // the arguments of fast helper calls
	out   limitedWriter // what text/template writes into
}

func newTemplateSet() *templateSet {
	s := &templateSet{}
	s.pool.New = s.clone
	return s
}

// rootTemplate is the set's root, made with its first template: most sets
// (a static answer's, a plain delegate's) never get one, and a root given
// the function library costs about 100 KB to make, which ten thousand
// static rules would allocate at every load.
func (s *templateSet) rootTemplate() *template.Template {
	if s.root == nil {
		// missingkey=zero: a missing .Params.x is "", not "<no value>" in a mock.
		s.root = template.New("").Option("missingkey=zero").Funcs((&boundTemplates{}).funcs())
	}
	return s.root
}

// isTemplate tells a template from a plain value: the whole engine uses
// this one test.
func isTemplate(s string) bool { return strings.Contains(s, "{{") }

// add parses a template named by its location and returns its index.
func (s *templateSet) add(at config.Path, text string) (int, error) {
	loc := at.String()
	t, err := s.rootTemplate().New(loc).Parse(text)
	if err != nil {
		// "template: LOC:1: ..." -> "bad template: line 1: ..."
		msg := strings.TrimPrefix(err.Error(), "template: "+loc+":")
		return 0, fmt.Errorf("bad template %q: line %s", text, msg)
	}
	// Only the trees this text adds: t.Templates() lists the whole set's.
	for _, tt := range t.Templates() {
		if tt.Tree == nil || s.checked[tt.Tree] {
			continue
		}
		if s.checked == nil {
			s.checked = map[*parse.Tree]bool{}
		}
		s.checked[tt.Tree] = true
		if err := checkEnvLiterals(tt.Tree.Root); err != nil {
			return 0, fmt.Errorf("bad template %q: %v", text, err)
		}
		if err := compileXPathLiterals(tt.Tree.Root); err != nil {
			return 0, fmt.Errorf("bad template %q: %v", text, err)
		}
		if err := s.checkRegexpLiterals(tt.Tree.Root); err != nil {
			return 0, fmt.Errorf("bad template %q: %v", text, err)
		}
	}
	s.names = append(s.names, loc)
	if s.seeded {
		s.addStream(len(s.names) - 1)
	}
	s.fast = append(s.fast, compileFast(t.Tree.Root))
	s.uses = append(s.uses, TemplateUse{Location: config.Location{At: at}, Reads: readsOf(t)})
	return len(s.names) - 1, nil
}

func (s *templateSet) clone() any {
	c, err := s.rootTemplate().Clone()
	if err != nil {
		panic(err) // Clone fails only after Execute on the root, which never runs
	}
	b := &boundTemplates{set: s}
	b.rng = rand.New(&b.pcg)
	c.Funcs(b.funcs())
	for _, name := range s.names {
		b.templates = append(b.templates, c.Lookup(name))
	}
	return b
}

func (s *templateSet) bind(x *exchange) *boundTemplates {
	b := s.pool.Get().(*boundTemplates)
	b.x = x
	return b
}

func (s *templateSet) release(b *boundTemplates) {
	b.x = nil
	b.seeded, b.seedReady = false, false
	s.pool.Put(b)
}

func (b *boundTemplates) execute(buf *bytes.Buffer, i int) error {
	if b.set.seeded {
		if err := b.reseed(i); err != nil {
			return err
		}
	}
	if fast := b.set.fast[i]; fast != nil {
		start := buf.Len()
		if err := fast.render(buf, b); err != nil {
			return err
		}
		if buf.Len()-start > maxRenderedBytes {
			return errRenderedTooLong
		}
		return nil
	}
	b.out = limitedWriter{buf: buf, left: maxRenderedBytes}
	err := b.templates[i].Execute(&b.out, b.x.templateData())
	b.out.buf = nil
	return err
}

// text is a configured string that is either plain or a template.
type text struct {
	plain    string
	template int // index in the action's templateSet; -1 when plain
}

func compileText(s *templateSet, loc config.Path, src string) (text, error) {
	if !isTemplate(src) {
		return text{plain: src, template: -1}, nil
	}
	i, err := s.add(loc, src)
	return text{template: i}, err
}

// render returns the text for this request.
func (t text) render(b *boundTemplates, buf *bytes.Buffer) (string, error) {
	if t.template < 0 {
		return t.plain, nil
	}
	buf.Reset()
	if err := b.execute(buf, t.template); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// templateUses lists the templates of the sets, in the file they are in.
func templateUses(file string, sets ...*templateSet) []TemplateUse {
	var out []TemplateUse
	for _, s := range sets {
		if s == nil {
			continue
		}
		for _, u := range s.uses {
			u.File = file
			out = append(out, u)
		}
	}
	return out
}
