package lint

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// A path names a place in a JSON document, one step per level: ".name" for
// an object member, "#3" for a list element. Two spellings keep the key
// "3" and the element [3] apart.
type path []string

func (p path) member(name string) path { return append(p[:len(p):len(p)], "."+name) }
func (p path) element(i int) path      { return append(p[:len(p):len(p)], "#"+strconv.Itoa(i)) }
func (p path) key() string             { return strings.Join(p, "\x00") }

// String spells the path as the engine spells its locations:
// endpoints[2].backend[0].extra_config["plugin/http-client"].
func (p path) String() string {
	var b strings.Builder
	for _, step := range p {
		name := step[1:]
		switch {
		case step[0] == '#':
			b.WriteString("[" + name + "]")
		case isIdentifier(name):
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(name)
		default:
			b.WriteString("[" + strconv.Quote(name) + "]")
		}
	}
	return b.String()
}

// isIdentifier tells the engine's field names (lower-case snake case) from
// keys a user chose, which it quotes.
func isIdentifier(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// positions maps every place of a JSON document to the byte offset where
// it starts: its key for an object member, the value for the rest.
type positions struct {
	content []byte
	at      map[string]int
}

// indexPositions walks a JSON document that encoding/json accepts.
func indexPositions(content []byte) (*positions, error) {
	pos := &positions{content: content, at: map[string]int{}}
	dec := json.NewDecoder(bytes.NewReader(content))
	if err := pos.walk(dec, nil, -1); err != nil {
		return nil, err
	}
	return pos, nil
}

// walk reads one value at p; keyAt is where its key starts, or -1.
func (pos *positions) walk(dec *json.Decoder, p path, keyAt int) error {
	start := pos.next(dec)
	if keyAt >= 0 {
		start = keyAt
	}
	pos.at[p.key()] = start
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		for dec.More() {
			at := pos.next(dec)
			k, err := dec.Token()
			if err != nil {
				return err
			}
			name, ok := k.(string)
			if !ok {
				return errors.New("an object key is not a string")
			}
			if err := pos.walk(dec, p.member(name), at); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := pos.walk(dec, p.element(i), -1); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	}
	return err
}

// next is where the decoder's next token starts.
func (pos *positions) next(dec *json.Decoder) int {
	i := int(dec.InputOffset())
	for i < len(pos.content) && strings.IndexByte(" \t\r\n,:", pos.content[i]) >= 0 {
		i++
	}
	return i
}

// lineColumn finds p, or the nearest place above it that exists, as a
// 1-based line and column (in bytes).
func (pos *positions) lineColumn(p path) (line, col int) {
	for n := len(p); n >= 0; n-- {
		if at, ok := pos.at[p[:n].key()]; ok {
			return offsetLineColumn(pos.content, at)
		}
	}
	return 1, 1
}

func offsetLineColumn(content []byte, offset int) (line, col int) {
	offset = min(offset, len(content))
	before := content[:offset]
	return bytes.Count(before, []byte("\n")) + 1, offset - bytes.LastIndexByte(before, '\n')
}

// syntaxError places a JSON syntax error of content.
func syntaxError(content []byte, err error) (line, col int, msg string) {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		// Offset counts the bytes read, the offending one included.
		line, col = offsetLineColumn(content, max(int(syntax.Offset)-1, 0))
		return line, col, "not valid JSON: " + syntax.Error()
	}
	return 1, 1, "not valid JSON: " + err.Error()
}
