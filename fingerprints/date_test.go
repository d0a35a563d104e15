package fingerprints

import "testing"

func TestDateValid(t *testing.T) {
	cases := map[string]string{
		"1985/01/02":      "1985-01-02",
		"1985-1-2":        "1985-01-02",
		"1985.1.2":        "1985-01-02",
		"19850102":        "1985-01-02",
		"1985年1月2日":       "1985-01-02",
		"1985年01月02日":     "1985-01-02",
		"1985年1月2":        "1985-01-02",
		"１９８５年１月２日":       "1985-01-02",
		"１９８５／０１／０２":      "1985-01-02",
		"1985ー01ー02":      "1985-01-02",
		"昭和60年1月2日":       "1985-01-02",
		"昭和６０年１月２日":       "1985-01-02",
		"昭和 60 年 1 月 2 日": "1985-01-02",
		"昭和六十年一月二日":       "1985-01-02",
		"一九八五年一月二日":       "1985-01-02",
		"S60.1.2":         "1985-01-02",
		"S60/01/02":       "1985-01-02",
		"s60-1-2":         "1985-01-02",
		"Ｓ６０．１．２":         "1985-01-02",
		"S60年1月2日":        "1985-01-02",
		"S600102":         "1985-01-02",
		"S.60.1.2":        "1985-01-02",
		"Ｓ．６０．１．２":        "1985-01-02",
		"h.元.1.8":         "1989-01-08",
		"ｓ６００１０２":         "1985-01-02",
		"昭和600102":        "1985-01-02",
		"H010108":         "1989-01-08",
		"R010501":         "2019-05-01",
		"3600102":         "1985-01-02",
		"４０１０１０８":         "1989-01-08",
		"5010501":         "2019-05-01",
		"1450729":         "1912-07-29",
		"㍼60年1月2日":        "1985-01-02",
		"H1.1.8":          "1989-01-08",
		"H元.1.8":          "1989-01-08",
		"昭60.1.2":         "1985-01-02",
		"昭６０年１月２日":        "1985-01-02",
		"平元.1.8":          "1989-01-08",
		"平成元.1.8":         "1989-01-08",
		"令2/3/4":          "2020-03-04",
		"大2.3.4":          "1913-03-04",
		"明45.7.29":        "1912-07-29",
		"昭600102":         "1985-01-02",
		"平成元年1月8日":        "1989-01-08",
		"㍻元年1月8日":         "1989-01-08",
		"令和元年5月1日":        "2019-05-01",
		"R1.5.1":          "2019-05-01",
		"㋿元年5月1日":         "2019-05-01",
		"令和6年2月29日":       "2024-02-29",
		"明治元年1月25日":       "1868-01-25",
		"M45.7.29":        "1912-07-29",
		"㍾45年7月29日":       "1912-07-29",
		"大正元年7月30日":       "1912-07-30",
		"T15.12.24":       "1926-12-24",
		"㍽15年12月24日":      "1926-12-24",
		"昭和元年12月25日":      "1926-12-25",
		"昭和64年1月7日":       "1989-01-07",
		"平成31年4月30日":      "2019-04-30",
		"2000/02/29":      "2000-02-29",
		"1868/01/01":      "1868-01-01",
		"2100/12/31":      "2100-12-31",
		// The year again, in the other calendar.
		"昭和60年（1985年）1月2日": "1985-01-02",
		"1985年（昭和60年）1月2日": "1985-01-02",
		"1985年(昭和60年)1月2日": "1985-01-02",
		"1985（昭和60）年1月2日":  "1985-01-02",
		"昭和60（1985）年1月2日":  "1985-01-02",
		"1989年（平成元年）1月8日":  "1989-01-08",
		"平成元年（1989年）1月8日":  "1989-01-08",
		"S60年(1985年)1月2日":  "1985-01-02",
		"１９８５年（昭和６０年）１月２日": "1985-01-02",
		// English months.
		"Jan 2, 1985":         "1985-01-02",
		"January 2, 1985":     "1985-01-02",
		"january 2 1985":      "1985-01-02",
		"JAN 02 1985":         "1985-01-02",
		"Jan. 2, 1985":        "1985-01-02",
		"January 2nd, 1985":   "1985-01-02",
		"Sept. 21, 1985":      "1985-09-21",
		"Sep 21 1985":         "1985-09-21",
		"May 21 1985":         "1985-05-21",
		"2 Jan 1985":          "1985-01-02",
		"2 January 1985":      "1985-01-02",
		"2nd January, 1985":   "1985-01-02",
		"02-JAN-1985":         "1985-01-02",
		"2/Jan/1985":          "1985-01-02",
		"21st Dec 1999":       "1999-12-21",
		"Ｊａｎ　２，　１９８５":         "1985-01-02",
		"February 29, 2000":   "2000-02-29",
		"3rd March 2024":      "2024-03-03",
		"December 31st, 2100": "2100-12-31",
	}
	testValid(t, Birthdate, cases)
	testValid(t, Date, cases)
}

func TestDateInvalid(t *testing.T) {
	cases := map[string]string{
		"昭和64年1月8日":        "date outside its era",
		"平成元年1月7日":         "date outside its era",
		"平成31年5月1日":        "date outside its era",
		"令和元年4月30日":        "date outside its era",
		"明治元年1月24日":        "date outside its era",
		"明治45年7月30日":       "date outside its era",
		"大正元年7月29日":        "date outside its era",
		"大正15年12月25日":      "date outside its era",
		"昭和元年12月24日":       "date outside its era",
		"昭和0年1月1日":         "date outside its era",
		"1985年2月30日":       "no such date",
		"1985/13/01":       "no such date",
		"1985/00/10":       "no such date",
		"1985/04/31":       "no such date",
		"1900/02/29":       "no such date",
		"2019-02-29":       "no such date",
		"19851301":         "no such date",
		"1867/12/31":       "year out of range",
		"2101/01/01":       "year out of range",
		"60/1/2":           "year needs four digits or an era",
		"85-01-02":         "year needs four digits or an era",
		"850102":           "not a recognized date format",
		"1985/01-02":       "not a recognized date format",
		"1985年1/2":         "not a recognized date format",
		"1985/1/2/3":       "not a recognized date format",
		"1985/001/02":      "not a recognized date format",
		"S600.1.2":         "not a recognized date format",
		"S60012":           "not a recognized date format",
		"S6001020":         "not a recognized date format",
		"4010107":          "date outside its era",
		"3000101":          "date outside its era",
		"3601302":          "no such date",
		"6010101":          "not a recognized date format",
		"0600102":          "not a recognized date format",
		"S3600102":         "not a recognized date format",
		"S601302":          "no such date",
		"S640108":          "date outside its era",
		"H000101":          "date outside its era",
		"X60.1.2":          "not a recognized date format",
		"大1.2.3":           "date outside its era",
		"平31.5.1":          "date outside its era",
		"昭.60.1.2":         "not a recognized date format",
		"和60.1.2":          "not a recognized date format",
		"昭六十年一月二日":         "not a recognized date format",
		"S..60.1.2":        "not a recognized date format",
		"S.":               "not a recognized date format",
		"S. 600":           "not a recognized date format",
		"昭和60年":            "not a recognized date format",
		"":                 "not a recognized date format",
		"1985-01-02T00:00": "not a recognized date format",
		// The year again, another year.
		"昭和60年（1986年）1月2日": "not a recognized date format",
		"1985年（昭和61年）1月2日": "not a recognized date format",
		"1985年（1985年）1月2日": "not a recognized date format",
		"1985年（昭和60年1月2日":  "not a recognized date format",
		"1985年（）1月2日":      "not a recognized date format",
		"1985/(昭和60)/1/2":  "not a recognized date format",
		// English months.
		"Jan 32, 1985":     "no such date",
		"February 29 1900": "no such date",
		"Jan 0, 1985":      "no such date",
		"Jan 2, 85":        "not a recognized date format",
		"Jan 2, 19850":     "not a recognized date format",
		"Jan 123 1985":     "not a recognized date format",
		"Janu 2, 1985":     "not a recognized date format",
		"Ja 2, 1985":       "not a recognized date format",
		"Foo 2, 1985":      "not a recognized date format",
		"Januaryy 2, 1985": "not a recognized date format",
		"2 Jan, 1985, 3":   "year needs four digits or an era",
		"02-Jan/1985":      "year needs four digits or an era",
		"2 1985":           "not a recognized date format",
		"Jan 1985":         "not a recognized date format",
		"2 Jan":            "year needs four digits or an era",
		"Dec 31, 1867":     "year out of range",
	}
	testInvalid(t, Birthdate, cases)
	testInvalid(t, Date, cases)
}

func TestDateAlike(t *testing.T) {
	for _, k := range []Kind{Birthdate, Date} {
		testAlike(t, k, [][]string{
			{"1985/01/02", "1985-1-2", "1985.1.2", "19850102", "1985年1月2日", "１９８５年１月２日",
				"昭和60年1月2日", "昭和６０年１月２日", "S60.1.2", "S60/01/02", "s60-1-2", "㍼60年1月2日",
				"昭和 60年 1月 2日", "昭和六十年一月二日", "S600102", "昭和600102", "S.60.1.2", "3600102",
				"Jan 2, 1985", "2 January 1985", "02-JAN-1985", "1985年（昭和60年）1月2日", "昭和60年（1985年）1月2日"},
			{"1989-01-07", "昭和64年1月7日", "S64.1.7"},
			{"1989-01-08", "平成元年1月8日", "H1.1.8", "H01.01.08", "㍻元年1月8日", "4010108"},
			{"2019-05-01", "令和元年5月1日", "R1.5.1", "㋿元年5月1日"},
			{"2019-04-30", "平成31年4月30日", "H31.4.30"},
			{"1985-01-03"},
			{"1985-02-01"},
			{"2010-01-02", "平成22年1月2日"},
		})
	}
}

func TestDateDiffer(t *testing.T) {
	testDiffer(t, Birthdate, [][2]string{
		{"1985/01/02", "1985/01/03"},
		{"1985/01/02", "1985/02/01"}, // no day-month swapping
		{"S60.1.2", "H20.1.2"},
		{"昭和60年1月2日", "平成2年1月2日"},
	})
}

func TestDateErrorsCarryTheirKind(t *testing.T) {
	for _, k := range []Kind{Birthdate, Date} {
		_, err := Normalize(k, "昭和64年1月8日")
		if ie, ok := err.(*InvalidError); !ok || ie.Kind != k {
			t.Errorf("Normalize(%s, ...) error %v; want an *InvalidError of kind %s", k, err, k)
		}
	}
}

// TestEraBoundaries checks the first day of each era and the day before it,
// which belongs to the previous era.
func TestEraBoundaries(t *testing.T) {
	for i, e := range eras {
		y, m, d := e.first/10000, e.first/100%100, e.first%100
		first := string(appendUint(nil, y-e.offset)) + "." + string(appendUint(nil, m)) + "." + string(appendUint(nil, d))
		if got, err := Normalize(Date, string(e.letter)+first); err != nil || got[:4] != string(appendUint(nil, y)) {
			t.Errorf("first day of %s: %q, %v", e.name, got, err)
		}
		if i == 0 {
			continue
		}
		// The day before, in the new era's first year, is out of the era.
		if _, err := Normalize(Date, e.name+"元年"+string(appendUint(nil, m))+"月"+string(appendUint(nil, d-1))+"日"); d > 1 && err == nil {
			t.Errorf("day before %s accepted in it", e.name)
		}
	}
}
