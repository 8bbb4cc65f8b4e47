package rules

import "krakend-rules/config"

// validJSON reports whether data is exactly one JSON value (RFC 8259),
// surrounded by optional white space, whose arrays and objects nest at most
// maxDepth levels (at most config.MaxBodyDepthLimit).
//
// It is a loop over the bytes with an explicit stack of one bit per open
// container, not a recursive descent: a client controls the body, and a
// body of nothing but "[" must cost neither stack nor memory (gjson.Valid
// and the decoders of encoding/json recurse, or grow a stack, per level).
func validJSON(data []byte, maxDepth int) bool {
	maxDepth = min(maxDepth, config.MaxBodyDepthLimit)
	var objects [config.MaxBodyDepthLimit/64 + 1]uint64 // bit d: the container at depth d is an object
	depth := 0
	i := 0
value: // a value must start at i
	i = skipJSONSpace(data, i)
	if i >= len(data) {
		return false
	}
	switch c := data[i]; c {
	case '{', '[':
		if depth == maxDepth {
			return false
		}
		depth++
		bit := uint64(1) << ((depth - 1) % 64)
		if c == '{' {
			objects[(depth-1)/64] |= bit
		} else {
			objects[(depth-1)/64] &^= bit
		}
		i = skipJSONSpace(data, i+1)
		if i < len(data) && (data[i] == '}' && c == '{' || data[i] == ']' && c == '[') {
			depth--
			i++
			goto next
		}
		if c == '{' {
			if i = skipJSONMember(data, i); i < 0 {
				return false
			}
		}
		goto value
	case '"':
		if i = skipJSONString(data, i); i < 0 {
			return false
		}
	case 't':
		if i = skipLiteral(data, i, "true"); i < 0 {
			return false
		}
	case 'f':
		if i = skipLiteral(data, i, "false"); i < 0 {
			return false
		}
	case 'n':
		if i = skipLiteral(data, i, "null"); i < 0 {
			return false
		}
	default:
		if i = skipJSONNumber(data, i); i < 0 {
			return false
		}
	}
next: // a value ended before i
	i = skipJSONSpace(data, i)
	if depth == 0 {
		return i == len(data)
	}
	if i >= len(data) {
		return false
	}
	switch data[i] {
	case ',':
		i++
		if objects[(depth-1)/64]&(1<<((depth-1)%64)) != 0 {
			if i = skipJSONMember(data, skipJSONSpace(data, i)); i < 0 {
				return false
			}
		}
		goto value
	case '}', ']':
		if (data[i] == '}') != (objects[(depth-1)/64]&(1<<((depth-1)%64)) != 0) {
			return false
		}
		depth--
		i++
		goto next
	}
	return false
}

// skipJSONMember skips an object member's name and colon starting at i; -1 when
// there is none.
func skipJSONMember(data []byte, i int) int {
	if i >= len(data) || data[i] != '"' {
		return -1
	}
	if i = skipJSONString(data, i); i < 0 {
		return -1
	}
	i = skipJSONSpace(data, i)
	if i >= len(data) || data[i] != ':' {
		return -1
	}
	return i + 1
}

func skipJSONSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipJSONString skips the string that starts with the quote at i.
func skipJSONString(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			return i + 1
		case c < 0x20:
			return -1
		case c == '\\':
			i++
			if i >= len(data) {
				return -1
			}
			switch data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(data) {
					return -1
				}
				for _, h := range data[i+1 : i+5] {
					if !isHex(h) {
						return -1
					}
				}
				i += 4
			default:
				return -1
			}
		}
	}
	return -1
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func skipLiteral(data []byte, i int, lit string) int {
	if len(data)-i < len(lit) || string(data[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

// skipJSONNumber skips -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func skipJSONNumber(data []byte, i int) int {
	digits := func(i int) (int, bool) {
		start := i
		for i < len(data) && '0' <= data[i] && data[i] <= '9' {
			i++
		}
		return i, i > start
	}
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && '1' <= data[i] && data[i] <= '9':
		i, _ = digits(i)
	default:
		return -1
	}
	if i < len(data) && data[i] == '.' {
		var ok bool
		if i, ok = digits(i + 1); !ok {
			return -1
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		var ok bool
		if i, ok = digits(i); !ok {
			return -1
		}
	}
	return i
}
