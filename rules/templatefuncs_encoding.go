package rules

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
)

// Encodings and hashes, with sprig's names. Decoded text with invalid
// UTF-8 has it replaced by U+FFFD, so that no answer carries it.

func init() {
	addHelpers(map[string]helperSpec{
		"b64enc":    str1Spec(func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }),
		"base64":    str1Spec(func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }),
		"b64dec":    {fn: b64dec, min: 1, max: 1},
		"hex":       str1Spec(func(s string) string { return hex.EncodeToString([]byte(s)) }),
		"urlEncode": str1Spec(url.QueryEscape),
		"urlDecode": {fn: urlDecode, min: 1, max: 1},
		"md5sum":    str1Spec(func(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }),
		"sha1sum":   str1Spec(func(s string) string { h := sha1.Sum([]byte(s)); return hex.EncodeToString(h[:]) }),
		"sha256sum": str1Spec(func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }),
	})
}

func b64dec(_ *boundTemplates, a []any) (any, error) {
	s := toString(a[0])
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if b, err = base64.RawURLEncoding.DecodeString(s); err != nil {
			return nil, fmt.Errorf("b64dec: %s is not base64", describe(a[0]))
		}
	}
	return validUTF8(string(b)), nil
}

func urlDecode(_ *boundTemplates, a []any) (any, error) {
	s, err := url.QueryUnescape(toString(a[0]))
	if err != nil {
		return nil, fmt.Errorf("urlDecode: %v", err)
	}
	return validUTF8(s), nil
}
