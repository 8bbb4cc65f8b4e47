package rules

import (
	"bytes"
	"fmt"
	"krakend-rules/config"
	"strings"
)

// A response's "seed" makes its random helpers reproducible. The seed is a
// text — plain ("demo") or a template ("{{ .Params.id }}") rendered once per
// request, before anything else, without a seed of its own. Each template
// of the set then draws from a PCG stream seeded by the seed's text and the
// template's index: the same seed gives the same answer, whatever order
// the templates render in.

// setSeed compiles a seed into the set; "" leaves the set unseeded.
func (s *templateSet) setSeed(at config.Path, src string) error {
	if src == "" {
		return nil
	}
	s.seedPrefix = strings.TrimSuffix(at.String(), "seed")
	t, err := compileText(s, at, src)
	if err != nil {
		return err
	}
	s.seeded, s.seed = true, t
	for i := range s.names {
		s.addStream(i)
	}
	return nil
}

// addStream keys template i's stream by its place in the response.
func (s *templateSet) addStream(i int) {
	for len(s.streams) <= i {
		s.streams = append(s.streams, 0)
	}
	s.streams[i] = seedOf(strings.TrimPrefix(s.names[i], s.seedPrefix))
}

// reseed starts template i's stream; the first call renders the seed.
func (b *boundTemplates) reseed(i int) error {
	if i == b.set.seed.template {
		b.seeded = false // the seed's own template draws unseeded
		return nil
	}
	if !b.seedReady {
		b.seeded = false
		seed := b.set.seed.plain
		if b.set.seed.template >= 0 {
			var buf bytes.Buffer
			if err := b.execute(&buf, b.set.seed.template); err != nil {
				return fmt.Errorf("seed: %w", err)
			}
			seed = buf.String()
		}
		b.seedValue, b.seedReady = seedOf(seed), true
	}
	b.seeded = true
	b.pcg.Seed(b.seedValue, b.set.streams[i])
	return nil
}
