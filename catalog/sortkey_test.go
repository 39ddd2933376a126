package catalog

import (
	"slices"
	"testing"
)

func TestTitleSortKey(t *testing.T) {
	for _, tc := range []struct{ title, want string }{
		{"阿里巴巴", "a li ba ba"},
		{"江苏省胸部CT影像数据集", "jiang su sheng xiong bu ct ying xiang shu ju ji"},
		{"<b>重点</b>舆情", "b zhong dian b yu qing"},
		{"Jiangsu  Chest-CT 2026", "jiangsu chest ct 2026"},
		{"长江重庆段银行网点", "chang jiang chong qing duan yin hang wang dian"},
	} {
		if got := TitleSortKey(tc.title); got != tc.want {
			t.Errorf("TitleSortKey(%q) = %q, want %q", tc.title, got, tc.want)
		}
	}
	keys := []string{TitleSortKey("长江"), TitleSortKey("北京"), TitleSortKey("阿拉善")}
	if !slices.IsSorted([]string{keys[2], keys[1], keys[0]}) {
		t.Errorf("阿 < 北 < 长 does not hold: %q", keys)
	}
}
