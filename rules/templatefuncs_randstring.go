package rules

// Random strings, with sprig's names: randAlphaNum, randAlpha, randNumeric
// and randAscii N. They are what WireMock's {{randomValue length=N
// type='ALPHANUMERIC'}} (ALPHABETIC, NUMERIC, ALPHANUMERIC_AND_SYMBOLS)
// and Mockoon's {{faker 'string.alphanumeric' N}} give real stubs: ids such
// as "ch_4f9QzK2m". They follow a response's seed like the other random
// helpers.

const (
	alphaChars    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	numericChars  = "0123456789"
	alphaNumChars = alphaChars + numericChars
	// asciiChars are the printable ASCII characters but space, as sprig's
	// randAscii draws them.
	asciiChars = "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"
	// maxRandString bounds N, as the other helpers bound what they build.
	maxRandString = 1 << 20
)

func init() {
	addHelpers(map[string]helperSpec{
		"randAlphaNum": randStringSpec("randAlphaNum", alphaNumChars),
		"randAlpha":    randStringSpec("randAlpha", alphaChars),
		"randNumeric":  randStringSpec("randNumeric", numericChars),
		"randAscii":    randStringSpec("randAscii", asciiChars),
	})
}

// randStringSpec is a helper of one argument, the length N (0 to 1 MiB),
// whose result is N characters drawn uniformly from chars.
func randStringSpec(name, chars string) helperSpec {
	return helperSpec{fn: func(b *boundTemplates, a []any) (any, error) {
		n, err := toInt(name, a[0], 0, maxRandString)
		if err != nil {
			return nil, err
		}
		out := make([]byte, n)
		for i := range out {
			out[i] = chars[b.intN(len(chars))]
		}
		return string(out), nil
	}, min: 1, max: 1}
}
