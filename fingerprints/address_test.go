package fingerprints

import (
	"strings"
	"testing"
)

func TestAddressValid(t *testing.T) {
	testValid(t, Address, map[string]string{
		"東京都千代田区丸の内1-2-3":                     "千代田区丸の内1-2-3",
		"〒100-0005 東京都千代田区丸の内一丁目2番3号 丸の内ビル5F": "千代田区丸の内1-2-3",
		"100-0005東京都千代田区丸の内1-2-3":             "千代田区丸の内1-2-3",
		"東京都〒100-0005千代田区丸の内1-2-3":            "千代田区丸の内1-2-3",
		"北海道札幌市中央区北1条西2丁目3-4":                 "札幌市中央区北1条西2-3-4",
		"岩手県八幡平市第二地割10番地":                     "八幡平市第2地割10",
		"京都府京都市中京区河原町通三条上る下丸屋町1-2":            "京都市中京区河原町通3条上る下丸屋町1-2",
		"大阪府大阪市北区梅田1丁目":                       "大阪市北区梅田1",
		"千代田区丸の内01-02-003":                    "千代田区丸の内1-2-3",
		"中央区八丁堀3丁目1-1":                        "中央区八丁堀3-1-1",
		"千代田区二番町1-2":                          "千代田区二番町1-2",
		"新宿区百人町2丁目1番":                         "新宿区百人町2-1",
		"足立区千住旭町一番地":                          "足立区千住旭町1",
		"北海道勇払郡占冠村字トマム":                       "勇払郡占冠村字トマム",
		"千代田区丸の内1丁目三井ビル":                      "千代田区丸の内1",
		"千代田区丸の内1 2 3":                        "千代田区丸の内1",
		"世田谷区成城三ー四ー五":                         "世田谷区成城3-4-5",
		"港区六本木ー丁目":                            "港区六本木ー丁目",
		"渋谷区神南一丁目十九番十一号":                      "渋谷区神南1-19-11",
		"渋谷区神南二十丁目百番千号":                       "渋谷区神南20-100-1000",
	})
}

func TestAddressInvalid(t *testing.T) {
	testInvalid(t, Address, map[string]string{
		"":                        "empty",
		" \u3000 ":                "empty",
		"東京都":                     "only a postal code or prefecture",
		"〒100-0005":               "only a postal code or prefecture",
		"〒100-0005 東京都":           "only a postal code or prefecture",
		"1000000-":                "only a postal code or prefecture",
		"千代田区\x00丸の内":             "control character",
		"千代田区\xff":                "invalid UTF-8",
		strings.Repeat("丸", 1000): "too long",
	})
}

func TestAddressPrefectures(t *testing.T) {
	if len(prefectures) != 47 {
		t.Fatalf("%d prefectures; want 47", len(prefectures))
	}
	seen := map[string]bool{}
	for _, p := range prefectures {
		if seen[p] {
			t.Errorf("%s listed twice", p)
		}
		seen[p] = true
		if !strings.HasSuffix(p, "都") && !strings.HasSuffix(p, "道") && !strings.HasSuffix(p, "府") && !strings.HasSuffix(p, "県") {
			t.Errorf("%s has no 都道府県 suffix", p)
		}
		got, err := Normalize(Address, p+"中央1-2-3")
		if err != nil || got != "中央1-2-3" {
			t.Errorf("Normalize(%s中央1-2-3) = %q, %v", p, got, err)
		}
	}
}

func TestAddressAlike(t *testing.T) {
	testAlike(t, Address, [][]string{
		{"東京都千代田区丸の内1-2-3", "千代田区丸の内1-2-3", "千代田区丸の内1丁目2番3号", "千代田区丸の内1丁目2番地3",
			"千代田区丸の内1丁目2-3", "千代田区丸の内1の2の3", "千代田区丸の内１－２－３", "千代田区丸の内一丁目二番三号",
			"千代田区丸の内一丁目2番地の3", "千代田区丸の内1ー2ー3", "千代田区丸の内1ｰ2ｰ3", "千代田区丸の内1‐2−3",
			"千代田区丸の内1-2-3 丸の内ビル5F", "千代田区丸の内1-2-3丸の内ビル5F", "千代田区丸の内1-2-3-405",
			"千代田区丸の内1丁目2番3号 丸の内ビル 12階", "〒100-0005 東京都千代田区丸の内一丁目2番3号",
			"〒１００－０００５　東京都　千代田区　丸の内　１－２－３", "千代田区 丸の内 1 - 2 - 3", "千代田区丸の内1ノ2ノ3"},
		{"千代田区丸の内1-2-4"},
		{"千代田区丸の内1-3-2"},
		{"千代田区丸の内2-2-3"},
		{"北海道札幌市中央区北1条西2丁目3-4", "札幌市中央区北1条西2丁目3-4", "札幌市中央区北一条西二丁目3番4号",
			"札幌市中央区北1条西2-3-4", "札幌市中央区北一条西2丁目3番地4"},
		{"札幌市中央区北2条西1-3-4"},
		{"東京都三鷹市下連雀三丁目1番1号", "三鷹市下連雀3-1-1"},
		{"東京都八王子市元本郷町三丁目24番1号", "八王子市元本郷町3-24-1"},
		{"千代田区九段南1-2-3", "東京都千代田区九段南一丁目2番3号"},
		{"勇払郡占冠村字トマム", "北海道勇払郡占冠村字トマム", "北海道 勇払郡 占冠村 字トマム"},
		// Place names' kana particles between kanji (forms version 2).
		{"千代田区霞が関1-2-3", "千代田区霞ヶ関1-2-3", "千代田区霞ケ関1-2-3", "千代田区霞ヵ関1-2-3", "東京都千代田区霞ｹ関一丁目2番3号"},
		{"千代田区丸ノ内2-4-1", "千代田区丸の内2丁目4番1号"},
		{"港区虎ノ門1-1-1", "港区虎の門一丁目1番1号"},
		{"茅ヶ崎市茅ヶ崎1-1-1", "神奈川県茅ケ崎市茅が崎一丁目1-1"},
	})
}

func TestAddressDiffer(t *testing.T) {
	testDiffer(t, Address, [][2]string{
		{"千代田区丸の内1-2-3", "千代田区丸の内1-2-4"},
		{"千代田区丸の内1-2-3", "千代田区丸の内1-2"},
		{"千代田区丸の内1-2-3", "中央区丸の内1-2-3"},
		{"三鷹市下連雀3-1-1", "3鷹市下連雀3-1-1"},       // place names keep their kanji numerals
		{"千代田区二番町1-2", "千代田区2番町1-2"},         // 番町 is a place name
		{"札幌市中央区北1条西2-3-4", "札幌市中央区北1条西2-3"}, // the last number counts
		{"大阪府大阪市北区梅田1-2-3", "大阪府大阪市北区梅田1-2-4"},
		{"虻田郡ニセコ町字ケ1", "虻田郡ニセコ町字が1"},     // a kana not between two kanji stays
		{"千代田区霞が関1-2-3", "千代田区霞ガ関1-2-3"}, // ガ is no particle of place names
	})
}

// TestAddressEndsWithBlockGroup checks the rule the extractor relies on: a
// canonical address with a block group ends with a digit, and whatever
// follows the group in raw text does not change it.
func TestAddressEndsWithBlockGroup(t *testing.T) {
	base := "千代田区丸の内1丁目2番3号"
	want, err := Normalize(Address, base)
	if err != nil || want[len(want)-1] < '0' || want[len(want)-1] > '9' {
		t.Fatalf("Normalize(%q) = %q, %v", base, want, err)
	}
	for _, tail := range []string{"", " ", "号室", "ビル", " 5F", "丸の内ビル5階501号室", "、電話", "-405", "\n次の行"} {
		got, err := Normalize(Address, base+tail)
		if err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", base+tail, got, err, want)
		}
	}
}
