package corpus

import (
	"strings"
)

// familyData lists family names as "kanji kana romaji". Kanji variants
// (髙橋, 齋藤, 渡邊, 山﨑, ...) are separate entries sharing a reading.
const familyData = `佐藤 サトウ Sato
鈴木 スズキ Suzuki
高橋 タカハシ Takahashi
髙橋 タカハシ Takahashi
田中 タナカ Tanaka
伊藤 イトウ Ito
渡辺 ワタナベ Watanabe
渡邊 ワタナベ Watanabe
渡邉 ワタナベ Watanabe
山本 ヤマモト Yamamoto
中村 ナカムラ Nakamura
小林 コバヤシ Kobayashi
加藤 カトウ Kato
吉田 ヨシダ Yoshida
山田 ヤマダ Yamada
佐々木 ササキ Sasaki
山口 ヤマグチ Yamaguchi
松本 マツモト Matsumoto
井上 イノウエ Inoue
木村 キムラ Kimura
林 ハヤシ Hayashi
斎藤 サイトウ Saito
齋藤 サイトウ Saito
齊藤 サイトウ Saito
清水 シミズ Shimizu
山崎 ヤマザキ Yamazaki
山﨑 ヤマザキ Yamazaki
森 モリ Mori
池田 イケダ Ikeda
橋本 ハシモト Hashimoto
阿部 アベ Abe
石川 イシカワ Ishikawa
山下 ヤマシタ Yamashita
中島 ナカジマ Nakajima
石井 イシイ Ishii
小川 オガワ Ogawa
前田 マエダ Maeda
岡田 オカダ Okada
長谷川 ハセガワ Hasegawa
藤田 フジタ Fujita
後藤 ゴトウ Goto
近藤 コンドウ Kondo
村上 ムラカミ Murakami
遠藤 エンドウ Endo
青木 アオキ Aoki
坂本 サカモト Sakamoto
斉藤 サイトウ Saito
福田 フクダ Fukuda
太田 オオタ Ota
西村 ニシムラ Nishimura
藤井 フジイ Fujii
金子 カネコ Kaneko
岡本 オカモト Okamoto
藤原 フジワラ Fujiwara
中野 ナカノ Nakano
三浦 ミウラ Miura
原田 ハラダ Harada
中川 ナカガワ Nakagawa
松田 マツダ Matsuda
竹内 タケウチ Takeuchi
小野 オノ Ono
田村 タムラ Tamura
中山 ナカヤマ Nakayama
和田 ワダ Wada
石田 イシダ Ishida
森田 モリタ Morita
上田 ウエダ Ueda
原 ハラ Hara
内田 ウチダ Uchida
柴田 シバタ Shibata
酒井 サカイ Sakai
宮崎 ミヤザキ Miyazaki
宮﨑 ミヤザキ Miyazaki
横山 ヨコヤマ Yokoyama
高木 タカギ Takagi
安藤 アンドウ Ando
宮本 ミヤモト Miyamoto
大野 オオノ Ohno
小島 コジマ Kojima
工藤 クドウ Kudo
谷口 タニグチ Taniguchi
今井 イマイ Imai
高田 タカダ Takada
丸山 マルヤマ Maruyama
増田 マスダ Masuda
杉山 スギヤマ Sugiyama
村田 ムラタ Murata
大塚 オオツカ Otsuka
小山 コヤマ Koyama
平野 ヒラノ Hirano
藤本 フジモト Fujimoto
河野 コウノ Kono
上野 ウエノ Ueno
野口 ノグチ Noguchi
武田 タケダ Takeda
松井 マツイ Matsui
千葉 チバ Chiba
岩崎 イワサキ Iwasaki
菅原 スガワラ Sugawara
木下 キノシタ Kinoshita
久保 クボ Kubo
佐野 サノ Sano
野村 ノムラ Nomura
松尾 マツオ Matsuo
菊地 キクチ Kikuchi
杉本 スギモト Sugimoto
市川 イチカワ Ichikawa
古川 フルカワ Furukawa
大西 オオニシ Onishi
島田 シマダ Shimada
水野 ミズノ Mizuno
桜井 サクライ Sakurai
櫻井 サクライ Sakurai
高野 タカノ Takano
渡部 ワタナベ Watanabe
吉川 ヨシカワ Yoshikawa
山内 ヤマウチ Yamauchi
西田 ニシダ Nishida
飯田 イイダ Iida
菊池 キクチ Kikuchi
小松 コマツ Komatsu
北村 キタムラ Kitamura
安田 ヤスダ Yasuda
五十嵐 イガラシ Igarashi
川口 カワグチ Kawaguchi
平田 ヒラタ Hirata
関 セキ Seki
中田 ナカタ Nakata
久保田 クボタ Kubota
服部 ハットリ Hattori
東 アズマ Azuma
岩田 イワタ Iwata
土屋 ツチヤ Tsuchiya
川崎 カワサキ Kawasaki
福島 フクシマ Fukushima
本田 ホンダ Honda
辻 ツジ Tsuji
樋口 ヒグチ Higuchi
秋山 アキヤマ Akiyama
田口 タグチ Taguchi
永井 ナガイ Nagai
山中 ヤマナカ Yamanaka
中西 ナカニシ Nakanishi
吉村 ヨシムラ Yoshimura
川上 カワカミ Kawakami
石原 イシハラ Ishihara
大橋 オオハシ Ohashi
松岡 マツオカ Matsuoka
馬場 ババ Baba
浜田 ハマダ Hamada
濱田 ハマダ Hamada
森本 モリモト Morimoto
星野 ホシノ Hoshino
矢野 ヤノ Yano
浅野 アサノ Asano
大久保 オオクボ Okubo
松下 マツシタ Matsushita
小池 コイケ Koike
岡崎 オカザキ Okazaki
沢田 サワダ Sawada
澤田 サワダ Sawada`

// maleData lists male given names as "kanji kana romaji".
const maleData = `太郎 タロウ Taro
一郎 イチロウ Ichiro
健太 ケンタ Kenta
翔太 ショウタ Shota
大輔 ダイスケ Daisuke
拓也 タクヤ Takuya
健一 ケンイチ Kenichi
誠 マコト Makoto
浩 ヒロシ Hiroshi
博 ヒロシ Hiroshi
隆 タカシ Takashi
剛 ツヨシ Tsuyoshi
修 オサム Osamu
茂 シゲル Shigeru
清 キヨシ Kiyoshi
勇 イサム Isamu
実 ミノル Minoru
明 アキラ Akira
豊 ユタカ Yutaka
進 ススム Susumu
正 タダシ Tadashi
和夫 カズオ Kazuo
正男 マサオ Masao
幸雄 ユキオ Yukio
秀樹 ヒデキ Hideki
直樹 ナオキ Naoki
和也 カズヤ Kazuya
達也 タツヤ Tatsuya
哲也 テツヤ Tetsuya
雅之 マサユキ Masayuki
康弘 ヤスヒロ Yasuhiro
浩二 コウジ Koji
健二 ケンジ Kenji
賢治 ケンジ Kenji
俊介 シュンスケ Shunsuke
亮 リョウ Ryo
涼 リョウ Ryo
陽介 ヨウスケ Yosuke
慎吾 シンゴ Shingo
悠斗 ユウト Yuto
蓮 レン Ren
大翔 ヒロト Hiroto
陽翔 ハルト Haruto
湊 ミナト Minato
悠真 ユウマ Yuma
颯太 ソウタ Sota
蒼 アオイ Aoi
樹 イツキ Itsuki
大和 ヤマト Yamato
優斗 ユウト Yuto
拓海 タクミ Takumi
翼 ツバサ Tsubasa
海斗 カイト Kaito
勇気 ユウキ Yuki
祐介 ユウスケ Yusuke
雄一 ユウイチ Yuichi
裕太 ユウタ Yuta
智也 トモヤ Tomoya
将太 ショウタ Shota
圭 ケイ Kei
航 ワタル Wataru
昇 ノボル Noboru
武 タケシ Takeshi
猛 タケシ Takeshi
勝 マサル Masaru
弘 ヒロシ Hiroshi
義男 ヨシオ Yoshio
敏夫 トシオ Toshio
昭 アキラ Akira
稔 ミノル Minoru
忠 タダシ Tadashi
保 タモツ Tamotsu
光男 ミツオ Mitsuo
英樹 ヒデキ Hideki
孝 タカシ Takashi
徹 トオル Toru
学 マナブ Manabu
聡 サトシ Satoshi
淳 ジュン Jun
純一 ジュンイチ Junichi
信也 シンヤ Shinya
晃 アキラ Akira
克也 カツヤ Katsuya
恭平 キョウヘイ Kyohei
啓太 ケイタ Keita
大地 ダイチ Daichi
翔 ショウ Sho
陸 リク Riku
悠人 ハルト Haruto
健 ケン Ken
智 サトシ Satoshi
正樹 マサキ Masaki
秀人 ヒデト Hideto
広大 コウダイ Kodai
崇 タカシ Takashi
雄大 ユウダイ Yudai
龍之介 リュウノスケ Ryunosuke
一輝 カズキ Kazuki
和樹 カズキ Kazuki
春樹 ハルキ Haruki
信二 シンジ Shinji
修平 シュウヘイ Shuhei
洋平 ヨウヘイ Yohei
孝之 タカユキ Takayuki`

// femaleData lists female given names as "kanji kana romaji".
const femaleData = `花子 ハナコ Hanako
恵子 ケイコ Keiko
幸子 サチコ Sachiko
洋子 ヨウコ Yoko
陽子 ヨウコ Yoko
京子 キョウコ Kyoko
和子 カズコ Kazuko
節子 セツコ Setsuko
久美子 クミコ Kumiko
由美子 ユミコ Yumiko
裕子 ユウコ Yuko
優子 ユウコ Yuko
智子 トモコ Tomoko
直美 ナオミ Naomi
明美 アケミ Akemi
真由美 マユミ Mayumi
美穂 ミホ Miho
香織 カオリ Kaori
恵美 エミ Emi
愛 アイ Ai
舞 マイ Mai
彩 アヤ Aya
麻衣 マイ Mai
千尋 チヒロ Chihiro
沙織 サオリ Saori
美香 ミカ Mika
理恵 リエ Rie
由佳 ユカ Yuka
絵美 エミ Emi
さくら サクラ Sakura
陽菜 ヒナ Hina
結衣 ユイ Yui
美咲 ミサキ Misaki
葵 アオイ Aoi
凛 リン Rin
結菜 ユイナ Yuina
芽依 メイ Mei
莉子 リコ Riko
美優 ミユ Miyu
杏 アン An
紬 ツムギ Tsumugi
澪 ミオ Mio
花 ハナ Hana
真央 マオ Mao
七海 ナナミ Nanami
奈々 ナナ Nana
瞳 ヒトミ Hitomi
愛子 アイコ Aiko
典子 ノリコ Noriko
順子 ジュンコ Junko
美智子 ミチコ Michiko
悦子 エツコ Etsuko
良子 ヨシコ Yoshiko
文子 フミコ Fumiko
静香 シズカ Shizuka
千代 チヨ Chiyo
春子 ハルコ Haruko
秋子 アキコ Akiko
明子 アキコ Akiko
冬美 フユミ Fuyumi
由紀 ユキ Yuki
友美 トモミ Tomomi
亜希子 アキコ Akiko
真理子 マリコ Mariko
紀子 ノリコ Noriko
里美 サトミ Satomi
綾香 アヤカ Ayaka
美紀 ミキ Miki
加奈 カナ Kana
佳奈 カナ Kana
麻美 アサミ Asami
奈緒 ナオ Nao
千夏 チナツ Chinatsu
夏美 ナツミ Natsumi
遥 ハルカ Haruka
菜々子 ナナコ Nanako
桃子 モモコ Momoko
未来 ミライ Mirai
琴音 コトネ Kotone
彩花 アヤカ Ayaka
美月 ミズキ Mizuki
玲奈 レイナ Reina
優奈 ユウナ Yuna
萌 モエ Moe
栞 シオリ Shiori
詩織 シオリ Shiori
茜 アカネ Akane
楓 カエデ Kaede
紗希 サキ Saki
早紀 サキ Saki
小百合 サユリ Sayuri
みどり ミドリ Midori
ひかり ヒカリ Hikari
あずさ アズサ Azusa
梓 アズサ Azusa
朋子 トモコ Tomoko
弘美 ヒロミ Hiromi
裕美 ヒロミ Hiromi
恵理 エリ Eri
真紀 マキ Maki`

// placeData lists municipalities as
// "prefecture|municipality|landline area code|town:postal,town:postal,...".
// A town marked with a trailing "*" numbers its lots 番地-号 (no 丁目).
// Postal codes follow the real regional prefixes; the last four digits are
// plausible, not authoritative.
const placeData = `東京都|千代田区|03|丸の内:100-0005,大手町:100-0004,神田神保町:101-0051,麹町:102-0083,九段南:102-0074,有楽町:100-0006
東京都|新宿区|03|西新宿:160-0023,歌舞伎町:160-0021,高田馬場:169-0075,神楽坂:162-0825,四谷:160-0004
東京都|世田谷区|03|三軒茶屋:154-0024,太子堂:154-0004,北沢:155-0031,成城:157-0066,用賀:158-0097,経堂:156-0052
東京都|練馬区|03|石神井町:177-0041,大泉学園町:178-0061,練馬:176-0001,光が丘:179-0072,豊玉北:176-0012
東京都|八王子市|042|旭町:192-0083,元本郷町:192-0051,南大沢:192-0364,横山町:192-0081,台町:193-0931
東京都|武蔵野市|0422|吉祥寺本町:180-0004,中町:180-0006,境:180-0022,御殿山:180-0005
神奈川県|横浜市中区|045|山下町*:231-0023,本町:231-0005,元町:231-0861,石川町:231-0868,山手町*:231-0862
神奈川県|横浜市港北区|045|日吉:223-0061,綱島西:223-0053,新横浜:222-0033,大倉山:222-0037,菊名:222-0011
神奈川県|川崎市中原区|044|小杉町:211-0063,新丸子町*:211-0005,木月:211-0025,上小田中:211-0053
神奈川県|藤沢市|0466|鵠沼海岸:251-0037,辻堂:251-0047,片瀬:251-0032,湘南台:252-0804,藤沢*:251-0052
埼玉県|さいたま市浦和区|048|高砂:330-0063,常盤:330-0061,岸町:330-0064,仲町:330-0062
埼玉県|川越市|049|脇田町*:350-1123,新富町:350-0043,連雀町*:350-0066,仙波町:350-0036
千葉県|千葉市中央区|043|中央:260-0013,富士見:260-0015,新町*:260-0028,本千葉町*:260-0014
千葉県|船橋市|047|本町:273-0005,湊町:273-0011,夏見:273-0865,前原西:274-0825
千葉県|柏市|04|柏:277-0005,旭町:277-0852,豊四季*:277-0861,若柴*:277-0871
大阪府|大阪市北区|06|梅田:530-0001,曽根崎:530-0057,天満:530-0043,中崎西:530-0015,堂島:530-0003
大阪府|大阪市中央区|06|心斎橋筋:542-0085,難波:542-0076,道修町:541-0045,谷町:540-0012,北浜:541-0041
大阪府|堺市堺区|072|大浜北町:590-0985,熊野町東:590-0945,南瓦町*:590-0078,北花田口町*:590-0077
大阪府|豊中市|06|本町:560-0021,岡上の町:560-0016,服部元町:561-0852,新千里東町:560-0082
京都府|京都市中京区|075|二条城町*:604-8301,西ノ京円町*:604-8495,壬生坊城町*:604-8805,姉小路町*:604-8044
京都府|宇治市|0774|宇治*:611-0021,小倉町*:611-0042,槇島町*:611-0041,広野町*:611-0031
兵庫県|神戸市中央区|078|三宮町:650-0021,元町通:650-0022,北野町:650-0002,港島中町:650-0046,磯上通:651-0086
兵庫県|姫路市|079|本町*:670-0012,駅前町*:670-0927,白浜町*:672-8023,安田:670-0955
愛知県|名古屋市中区|052|栄:460-0008,錦:460-0003,大須:460-0011,丸の内:460-0002,金山:460-0022
愛知県|名古屋市千種区|052|今池:464-0850,覚王山通:464-0841,星が丘元町:464-0802,池下:464-0067
愛知県|豊田市|0565|小坂本町:471-0034,若宮町:471-0026,西町:471-0025,元城町:471-0024
静岡県|静岡市葵区|054|紺屋町*:420-0852,呉服町:420-0031,鷹匠:420-0839,常磐町:420-0034
静岡県|浜松市中央区|053|砂山町*:430-0926,鍛冶町*:430-0933,板屋町*:430-0928,元城町*:430-0946
北海道|札幌市中央区|011|北一条西:060-0001,南二条西:060-0062,大通西:060-0042,宮の森一条:064-0951,円山西町:064-0944
北海道|旭川市|0166|宮下通:070-0030,常盤通:070-0044,豊岡一条:078-8231,神楽:070-8003
宮城県|仙台市青葉区|022|一番町:980-0811,国分町:980-0803,中央:980-0021,本町:980-0014,上杉:980-0011
福島県|郡山市|024|駅前:963-8002,中町*:963-8004,堂前町*:963-8005,虎丸町*:963-8014
広島県|広島市中区|082|紙屋町:730-0031,八丁堀:730-0013,大手町:730-0051,本通*:730-0035,袋町*:730-0036
岡山県|岡山市北区|086|表町:700-0822,駅前町:700-0023,磨屋町*:700-0826,奉還町:700-0026
福岡県|福岡市中央区|092|天神:810-0001,大名:810-0041,赤坂:810-0042,薬院:810-0022,警固:810-0023
福岡県|北九州市小倉北区|093|魚町:802-0006,京町:802-0002,紺屋町*:802-0007,浅野:802-0001
熊本県|熊本市中央区|096|手取本町*:860-0806,下通:860-0807,水前寺:862-0950,新市街*:860-0803
鹿児島県|鹿児島市|099|東千石町*:892-0842,中央町*:890-0053,山之口町*:892-0844,西田:890-0046
沖縄県|那覇市|098|久茂地:900-0015,牧志:900-0013,松山:900-0032,泉崎:900-0021,首里当蔵町:903-0812
新潟県|新潟市中央区|025|古町通*:951-8063,東大通:950-0087,万代:950-0088,西堀通*:951-8062
長野県|松本市|0263|中央:390-0811,大手:390-0874,深志:390-0815,城東:390-0866
石川県|金沢市|076|香林坊:920-0961,片町:920-0981,広坂:920-0962,尾張町:920-0902
茨城県|水戸市|029|泉町:310-0026,南町:310-0021,宮町:310-0015,三の丸:310-0011
栃木県|宇都宮市|028|馬場通り:320-0026,本町*:320-0033,大通り:320-0811,一条:320-0046
群馬県|前橋市|027|千代田町:371-0022,本町:371-0023,大手町:371-0026,表町:371-0024
愛媛県|松山市|089|大街道:790-0004,一番町:790-0001,湊町:790-0012,道後湯之町*:790-0842
香川県|高松市|087|丸亀町*:760-0029,番町:760-0017,寿町:760-0023,瓦町:760-0052`

// nameEntry is one family or given name.
type nameEntry struct {
	kanji, kana, romaji string
	lower               string // romaji in lower case
}

// town is one 町 with its postal code.
type town struct {
	pref, city, area, name, postal string
	chome                          int // number of 丁目; 0 for 番地-号 numbering
}

var (
	families []nameEntry
	givens   []nameEntry // male names first, then female
	nMale    int
	towns    []town
	// pairGroup maps a (family, given) pair to its name group: pairs in one
	// group are written alike in some form (kanji up to variants, kana or
	// romaji in either order) and so are namesakes.
	pairGroup []uint32
)

func parseNames(data string) []nameEntry {
	var out []nameEntry
	for _, line := range strings.Split(data, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			panic("corpus: bad name line " + line)
		}
		out = append(out, nameEntry{f[0], f[1], f[2], strings.ToLower(f[2])})
	}
	return out
}

func init() {
	families = parseNames(familyData)
	male := parseNames(maleData)
	nMale = len(male)
	givens = append(male, parseNames(femaleData)...)
	seenPostal := map[string]bool{}
	for i, line := range strings.Split(placeData, "\n") {
		f := strings.Split(line, "|")
		if len(f) != 4 {
			panic("corpus: bad place line " + line)
		}
		for j, t := range strings.Split(f[3], ",") {
			name, postal, ok := strings.Cut(t, ":")
			if !ok || len(postal) != 8 || seenPostal[postal] {
				panic("corpus: bad or duplicate town " + t)
			}
			seenPostal[postal] = true
			chome := 4 + (i*7+j*3)%6
			if strings.HasSuffix(name, "*") {
				name, chome = strings.TrimSuffix(name, "*"), 0
			}
			towns = append(towns, town{f[0], f[1], f[2], name, postal, chome})
		}
	}
	pairGroup = groupPairs()
}

// groupPairs unites (family, given) pairs whose names coincide in any form
// a matcher may compare: kanji without space and with variants folded, kana
// without space, romaji in either order.
func groupPairs() []uint32 {
	n := len(families) * len(givens)
	parent := make([]int32, n)
	for i := range parent {
		parent[i] = int32(i)
	}
	var find func(int32) int32
	find = func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	seen := map[string]int32{}
	for fi, f := range families {
		for gi, g := range givens {
			id := int32(fi*len(givens) + gi)
			for _, key := range []string{
				"k" + foldVariants(f.kanji+g.kanji),
				"r" + strings.ToLower(f.romaji+g.romaji),
				"r" + strings.ToLower(g.romaji+f.romaji),
				"h" + f.kana + g.kana,
			} {
				if other, ok := seen[key]; ok {
					a, b := find(id), find(other)
					if a != b {
						parent[a] = b
					}
				} else {
					seen[key] = id
				}
			}
		}
	}
	out := make([]uint32, n)
	for i := range out {
		out[i] = uint32(find(int32(i)))
	}
	return out
}

// variantFolds maps kanji variants used in names to their common form.
var variantFolds = strings.NewReplacer("髙", "高", "﨑", "崎", "邊", "辺", "邉", "辺", "齋", "斎", "齊", "斎", "櫻", "桜", "濱", "浜", "澤", "沢")

// foldVariants replaces the kanji variants of names by their common form.
func foldVariants(s string) string { return variantFolds.Replace(s) }
