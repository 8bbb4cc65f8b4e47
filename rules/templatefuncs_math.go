package rules

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Arithmetic and number parsing, with sprig's names and semantics: add,
// sub, mul, div, mod, min and max work on 64-bit integers (floats are
// truncated, numeric strings parsed); addf… and round on floats. Unlike
// sprig, a value that is not a number and a division by zero are errors
// (sprig reads the first as 0 and panics on the second).

func init() {
	addHelpers(map[string]helperSpec{
		"add":   {fn: intFold("add", func(a, b int64) (int64, error) { return a + b, nil }), min: 1, max: -1},
		"mul":   {fn: intFold("mul", func(a, b int64) (int64, error) { return a * b, nil }), min: 1, max: -1},
		"sub":   {fn: intFold("sub", func(a, b int64) (int64, error) { return a - b, nil }), min: 2, max: 2},
		"div":   {fn: intFold("div", intDiv), min: 2, max: 2},
		"mod":   {fn: intFold("mod", intMod), min: 2, max: 2},
		"max":   {fn: intFold("max", func(a, b int64) (int64, error) { return max(a, b), nil }), min: 1, max: -1},
		"min":   {fn: intFold("min", func(a, b int64) (int64, error) { return min(a, b), nil }), min: 1, max: -1},
		"addf":  {fn: floatFold("addf", func(a, b float64) (float64, error) { return a + b, nil }), min: 1, max: -1},
		"mulf":  {fn: floatFold("mulf", func(a, b float64) (float64, error) { return a * b, nil }), min: 1, max: -1},
		"subf":  {fn: floatFold("subf", func(a, b float64) (float64, error) { return a - b, nil }), min: 2, max: 2},
		"divf":  {fn: floatFold("divf", floatDiv), min: 2, max: 2},
		"maxf":  {fn: floatFold("maxf", func(a, b float64) (float64, error) { return max(a, b), nil }), min: 1, max: -1},
		"minf":  {fn: floatFold("minf", func(a, b float64) (float64, error) { return min(a, b), nil }), min: 1, max: -1},
		"round": {fn: round, min: 2, max: 3},
		// atoi and int parse an integer (sprig: atoi "42", int "4.2" is 4).
		"atoi":    {fn: parseInt("atoi"), min: 1, max: 1},
		"int":     {fn: parseInt("int"), min: 1, max: 1},
		"int64":   {fn: func(_ *boundTemplates, a []any) (any, error) { return toInt64("int64", a[0]) }, min: 1, max: 1},
		"float64": {fn: func(_ *boundTemplates, a []any) (any, error) { return toFloat64("float64", a[0]) }, min: 1, max: 1},
		"bool":    {fn: parseBool, min: 1, max: 1},
	})
}

var errDivZero = errors.New("division by zero")

func intDiv(a, b int64) (int64, error) {
	if b == 0 {
		return 0, errDivZero
	}
	if a == math.MinInt64 && b == -1 {
		return 0, errors.New("integer overflow")
	}
	return a / b, nil
}

func intMod(a, b int64) (int64, error) {
	if b == 0 {
		return 0, errDivZero
	}
	if b == -1 {
		return 0, nil
	}
	return a % b, nil
}

func floatDiv(a, b float64) (float64, error) {
	if b == 0 {
		return 0, errDivZero
	}
	return a / b, nil
}

// intFold applies op from left to right over the arguments as integers.
func intFold(name string, op func(a, b int64) (int64, error)) helper {
	return func(_ *boundTemplates, args []any) (any, error) {
		acc, err := toInt64(name, args[0])
		if err != nil {
			return nil, err
		}
		for _, a := range args[1:] {
			n, err := toInt64(name, a)
			if err != nil {
				return nil, err
			}
			if acc, err = op(acc, n); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		}
		return acc, nil
	}
}

// floatFold applies op from left to right over the arguments as floats.
func floatFold(name string, op func(a, b float64) (float64, error)) helper {
	return func(_ *boundTemplates, args []any) (any, error) {
		acc, err := toFloat64(name, args[0])
		if err != nil {
			return nil, err
		}
		for _, a := range args[1:] {
			n, err := toFloat64(name, a)
			if err != nil {
				return nil, err
			}
			if acc, err = op(acc, n); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		}
		return acc, nil
	}
}

// round rounds VALUE to PRECISION decimals, halves away from zero; sprig's
// optional third argument is the fraction from which it rounds up (.5).
func round(_ *boundTemplates, args []any) (any, error) {
	v, err := toFloat64("round", args[0])
	if err != nil {
		return nil, err
	}
	p, err := toInt("round", args[1], -308, 308)
	if err != nil {
		return nil, err
	}
	roundOn := 0.5
	if len(args) == 3 {
		if roundOn, err = toFloat64("round", args[2]); err != nil {
			return nil, err
		}
	}
	pow := math.Pow10(p)
	digit := pow * v
	_, frac := math.Modf(digit)
	if math.Abs(frac) >= roundOn {
		digit = math.Copysign(math.Ceil(math.Abs(digit)), digit)
	} else {
		digit = math.Copysign(math.Floor(math.Abs(digit)), digit)
	}
	if r := digit / pow; !math.IsNaN(r) && !math.IsInf(r, 0) {
		return r, nil
	}
	return v, nil
}

func parseInt(name string) helper {
	return func(_ *boundTemplates, args []any) (any, error) {
		i, err := toInt64(name, args[0])
		if err != nil {
			return nil, err
		}
		if i < math.MinInt || i > math.MaxInt {
			return nil, fmt.Errorf("%s: %d overflows int", name, i)
		}
		return int(i), nil
	}
}

// parseBool reads true/false, 1/0, t/f, yes/no, on/off (any case); a bool
// is itself and a number is true unless 0.
func parseBool(_ *boundTemplates, args []any) (any, error) {
	switch v := args[0].(type) {
	case bool:
		return v, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "yes", "on", "y":
			return true, nil
		case "no", "off", "n", "":
			return false, nil
		}
		if b, err := strconv.ParseBool(strings.TrimSpace(v)); err == nil {
			return b, nil
		}
	default:
		if f, err := toFloat64("bool", v); err == nil {
			return f != 0, nil
		}
	}
	return nil, fmt.Errorf("bool: %s is not a boolean", describe(args[0]))
}
