package catalog

import (
	"strings"
	"unicode"

	"github.com/mozillazg/go-pinyin"
)

// Readings for sort keys where go-pinyin's first reading is not the one
// dataset titles use: 长江 is cháng, 厦门 xià, 成都 dū. Two-character
// phrases fix a reading in context (重庆 chóng, 银行 háng). Small on
// purpose; a wrong reading only moves a title within its letter.
var (
	readingOverrides = map[rune]string{'长': "chang", '厦': "xia", '都': "du"}
	phraseReadings   = map[string][2]string{
		"重庆": {"chong", "qing"}, "银行": {"yin", "hang"}, "行业": {"hang", "ye"},
		"调查": {"diao", "cha"}, "西藏": {"xi", "zang"}, "音乐": {"yin", "yue"},
	}
)

// TitleSortKey returns the key a title sorts by: Chinese characters become
// their toneless pinyin, letters are lower-cased, and syllables and words
// are separated by single spaces; punctuation is dropped. So 阿里 < 北京 <
// 长江 < 东海, the order of a Chinese index, and Latin titles interleave
// by their letters.
func TitleSortKey(title string) string {
	args := pinyin.NewArgs()
	var b strings.Builder
	sep := func() {
		if b.Len() > 0 && !strings.HasSuffix(b.String(), " ") {
			b.WriteByte(' ')
		}
	}
	runes := []rune(title)
	inWord := false
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		switch {
		case unicode.Is(unicode.Han, r):
			inWord = false
			if i+1 < len(runes) {
				if p, ok := phraseReadings[string(runes[i:i+2])]; ok {
					sep()
					b.WriteString(p[0] + " " + p[1])
					i++
					continue
				}
			}
			py, ok := readingOverrides[r]
			if !ok {
				if all := pinyin.SinglePinyin(r, args); len(all) > 0 {
					py = all[0]
				}
			}
			if py == "" {
				py = string(r) // no reading known: the character itself
			}
			sep()
			b.WriteString(py)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if !inWord {
				sep()
			}
			b.WriteRune(unicode.ToLower(r))
			inWord = true
		default:
			inWord = false
		}
	}
	return strings.TrimSpace(b.String())
}
