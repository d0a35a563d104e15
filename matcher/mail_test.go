package matcher

import (
	"bufio"
	"encoding/base64"
	"mime/quotedprintable"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
)

func b64(s string) string {
	enc := base64.StdEncoding.EncodeToString([]byte(s))
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	return b.String() + enc + "\r\n"
}

// encodeJA encodes s in a Japanese encoding, as a mail client would.
func encodeJA(t *testing.T, enc encoding.Encoding, s string) string {
	t.Helper()
	b, err := enc.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func qp(s string) string {
	var b strings.Builder
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

// testMailbox is an mbox of four messages: a name in an encoded From and
// a phone in an ISO-2022-JP body; a customer list as a base64 Shift_JIS
// CSV attachment next to an image; a forwarded message in a
// quoted-printable UTF-8 body; and a message whose base64 breaks after
// the record (padding, then more).
func testMailbox(t *testing.T) string {
	from := "=?ISO-2022-JP?B?" + base64.StdEncoding.EncodeToString([]byte(encodeJA(t, japanese.ISO2022JP, "山田 太郎"))) + "?="
	return "From taro@example.net Mon Jan  1 09:00:00 2024\n" +
		"From: " + from + " <someone@example.net>\n" +
		"To: desk@example.co.jp\nSubject: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("お問い合わせ")) + "?=\n" +
		"Date: Mon, 1 Jan 2024 09:00:00 +0900\nMIME-Version: 1.0\n" +
		"Content-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit\n\n" +
		encodeJA(t, japanese.ISO2022JP, "折り返しのお電話をお願いします。０９０－１２３４－５６７８") + "\n\n" +
		"From desk@example.co.jp Mon Jan  1 10:00:00 2024\n" +
		"From: desk@example.co.jp\nTo: wrong@example.com\nSubject: list\nDate: Mon, 1 Jan 2024 10:00:00 +0900\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\n\n" +
		"--b1\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: base64\n\n" + b64("添付のとおりです。") +
		"--b1\nContent-Type: image/png\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\"logo.png\"\n\n" + b64("\x89PNG\r\n\x1a\n\x00\x00 090-1234-5678 ") +
		"--b1\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\"customers.csv\"\n\n" +
		b64(encodeJA(t, japanese.ShiftJIS, "氏名,電話,住所\r\n佐藤 花子,03-1234-5678,大阪府大阪市北区梅田2-4-9\r\n")) +
		"--b1--\n\n" +
		"From desk@example.co.jp Tue Jan  2 10:00:00 2024\n" +
		"From: desk@example.co.jp\nSubject: Fwd\nDate: Tue, 2 Jan 2024 10:00:00 +0900\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/mixed; boundary=b2\n\n" +
		"--b2\nContent-Type: text/plain\n\nsee below\n" +
		"--b2\nContent-Type: message/rfc822\n\n" +
		"From: x@example.org\nSubject: =?UTF-8?Q?" + "=E9=88=B4=E6=9C=A8_=E4=B8=80=E9=83=8E" + "?=\nMIME-Version: 1.0\n" +
		"Content-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n\n" +
		qp("<p>tel: <b>080-9876-5432</b></p>") + "\n" +
		"--b2--\n\n" +
		"From desk@example.co.jp Wed Jan  3 10:00:00 2024\n" +
		"From: desk@example.co.jp\nDate: Wed, 3 Jan 2024 10:00:00 +0900\nContent-Transfer-Encoding: base64\n\n" +
		b64("Taro Yamada 070-1111-2222\n") + "A=A=\r\n" + b64("lost") +
		"\n"
}

// TestMailText: what mailText writes of a mailbox: the envelope lines,
// headers decoded, each part's text decoded from its transfer encoding
// and charset, the image left out, a broken base64 read up to its break.
func TestMailText(t *testing.T) {
	var b strings.Builder
	w := bufio.NewWriter(&b)
	if err := mailText(w, strings.NewReader(testMailbox(t)), "box"); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	got := b.String()
	for _, want := range []string{
		"From: 山田 太郎 <someone@example.net>", "Subject: お問い合わせ", "０９０－１２３４－５６７８",
		"添付のとおりです。", "佐藤 花子,03-1234-5678,大阪府大阪市北区梅田2-4-9",
		"Subject: 鈴木 一郎", "080-9876-5432", "see below", "Taro Yamada 070-", "From taro@example.net Mon Jan",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	for _, not := range []string{"PNG", "iVBOR", "=E9", "$B", "lost"} {
		if strings.Contains(got, not) {
			t.Errorf("%q in:\n%s", not, got)
		}
	}
}

// TestScanMail: the records of a mailbox are found, through every part.
func TestScanMail(t *testing.T) {
	m := newTestMatcher(t)
	box := testMailbox(t)
	for _, c := range []struct{ name, media, text, want string }{
		{"mbox sniffed", "", box, "c1:name+phone c2:address+name+phone c3:name+phone c4:name+phone"},
		{"declared", MediaMail, box, "c1:name+phone c2:address+name+phone c3:name+phone c4:name+phone"},
		{"one message, CRLF", "", "From: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("山田太郎")) + "?= <a@example.net>\r\nDate: Mon, 1 Jan 2024 09:00:00 +0900\r\n\r\n090-1234-5678\r\n", "c1:name+phone"},
		{"no message after all", MediaMail, "山田太郎 090-1234-5678\n", "c1:name+phone"},
		{"a body line that starts with From", MediaMail, "From: a@example.net\nDate: x\n\nhi\n\nFrom 山田太郎 090-1234-5678\n", "c1:name+phone"},
		{"broken boundary", MediaMail, "From: a@example.net\nDate: x\nContent-Type: multipart/mixed; boundary=zz\n\n--zz\nContent-Type: text/plain\n\n山田太郎 090-1234-5678\n", "c1:name+phone"},
		{"unknown charset", MediaMail, "From: a@example.net\nDate: x\nContent-Type: text/plain; charset=x-unheard-of\n\n山田太郎 090-1234-5678\n", "c1:name+phone"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := refsOf(scanString(t, m, c.text, c.media)); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestLooksLikeMail: what is sniffed as a mail, and what is not.
func TestLooksLikeMail(t *testing.T) {
	for s, want := range map[string]bool{
		"From a@b Mon Jan  1 00:00:00 2024\nFrom: a@b\nDate: x\n\nbody": true,
		"Return-Path: <a@b>\nFrom: a@b\nMessage-ID: <1@b>\n\nbody":      true,
		"From: a@b\r\nMIME-Version: 1.0\r\n\r\nbody":                    true,
		"From: a@b\nTo: c@d\n\nbody":                                    false, // two fields any note has
		"Subject: hi\nDate: x\n\nbody":                                  false, // no From
		"山田太郎 090-1234-5678\nFrom: a@b\nDate: x\n\n":                    false,
		"From: a@b\nDate: x":                                            false, // no body
		"Name With Space: x\nFrom: a@b\nDate: x\n\n":                    false,
		"id,name\n1,From: a@b\nDate: x\n\n":                             false,
	} {
		if got := looksLikeMail([]byte(s)); got != want {
			t.Errorf("looksLikeMail(%q) = %v, want %v", s, got, want)
		}
	}
}
