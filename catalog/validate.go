package catalog

import (
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/github/go-spdx/v2/spdxexp"
	"golang.org/x/text/language"
)

var slugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ValidSlug reports whether s is a dataset id: lower-case ASCII letters and
// digits in hyphen-separated groups, 3 to 64 characters.
func ValidSlug(s string) bool {
	return len(s) >= 3 && len(s) <= 64 && slugRE.MatchString(s)
}

// creditAlphabet is the character set of the unified social credit code
// (GB 32100-2015): digits and upper-case letters without I, O, Z, S, V.
const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// CreditCodeCheck computes the check character for the first 17 characters
// of a unified social credit code. ok is false if they are not valid.
func CreditCodeCheck(first17 string) (byte, bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(creditAlphabet, first17[i])
		if v < 0 {
			return 0, false
		}
		sum += v * creditWeights[i]
	}
	c := 31 - sum%31
	if c == 31 {
		c = 0
	}
	return creditAlphabet[c], true
}

// ValidCreditCode reports whether code is a well-formed unified social credit
// code: 18 characters from the GB 32100-2015 alphabet, an administrative
// division code of six digits in positions 3–8, and the right check character.
func ValidCreditCode(code string) bool {
	if len(code) != 18 {
		return false
	}
	for i := 2; i < 8; i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	want, ok := CreditCodeCheck(code[:17])
	return ok && code[17] == want
}

// NormalizeLanguage returns the canonical BCP 47 form of tag.
func NormalizeLanguage(tag string) (string, bool) {
	if tag == "" || len(tag) > 35 {
		return "", false
	}
	t, err := language.Parse(tag)
	if err != nil {
		return "", false
	}
	return t.String(), true
}

// NormalizeLicense returns the canonical SPDX form of an id or expression, or
// "proprietary".
func NormalizeLicense(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 100 {
		return "", false
	}
	if strings.EqualFold(s, "proprietary") {
		return "proprietary", true
	}
	if ok, id := spdxexp.ActiveLicense(s); ok {
		return id, true
	}
	norm, bad := spdxexp.ValidateAndNormalizeLicensesWithOptions([]string{s}, spdxexp.ValidateLicensesOptions{})
	if len(bad) > 0 || len(norm) != 1 {
		return "", false
	}
	return norm[0], true
}

// NormalizeEmail lower-cases and checks an e-mail address.
func NormalizeEmail(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) > 254 {
		return "", false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", false
	}
	return s, true
}

// checkText validates a free-text field's length in characters.
func checkText(v *Validation, field, value string, min, max int, zhName, enName string) {
	n := utf8.RuneCountInString(value)
	switch {
	case !utf8.ValidString(value):
		v.Add(field, "encoding", zhName+"不是有效的 UTF-8 文本", enName+" is not valid UTF-8")
	case n < min && min == 1:
		v.Add(field, "required", zhName+"必填", enName+" is required")
	case n < min:
		v.Add(field, "too_short", zhName+"太短", enName+" is too short")
	case n > max:
		v.Add(field, "too_long", zhName+"过长", enName+" is too long")
	}
}
