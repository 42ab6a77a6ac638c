package values

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzParseSet feeds arbitrary arguments to every --set-family parser, twice into
// the same map (as repeated flags do). Whatever the input, the parsers must not
// panic, must build only the types values may hold, and must stay within the list
// allocation bound.
func FuzzParseSet(f *testing.F) {
	seeds := []string{
		"a=1", "a.b.c=true,d=null", `a\.b=c\,d`, "a={x,y}", "a={}", "a={", "a[0]=1", "a[0].b=1,a[1][2]=x",
		"a[65536]=x", "a[65537]=x", "a[-1]=x", "a[99999999999999999999]=x", "a[0][0][0][0]=1",
		"a[0", "a[0]x=1", "a.", ".a=1", "=1", "[0]=1", ",", "a,b", "a=1,,b=2", "a=1,a.b=2", "a=null,a[0]=1",
		"a[0]=1,a[0][0]=2", "a[0]=1,a[0].b=2", "a.b=1,a=2", "a={a}b", `a=\`, `\`, "a=b=c",
		`a={"b":[1,{"c":null}]}`, `{"a":{"b":1}}`, `a= , b=2`, `a=1 b=2`, `a=[1,`, "a=\xff\xfe", "ключ=значение",
		strings.Repeat("a.", 40) + "b=1", "a" + strings.Repeat("[0]", 40) + "=1", strings.Repeat("a[0].", 40) + "b=1",
		"a[65536].b[65536].c[65536]=1", "l1[65536]=1,l2[65536]=1,l3[65536]=1,l4[65536]=1,l5[65536]=1,l6[65536]=1,l7[65536]=1,l8[65536]=1,l9[65536]=1,l10[65536]=1,l11[65536]=1,l12[65536]=1,l13[65536]=1,l14[65536]=1,l15[65536]=1,l16[65536]=1,l17[65536]=1",
	}
	for _, s := range seeds {
		for mode := range 5 {
			f.Add(uint8(mode), s, "a.b[1]=x")
		}
	}
	f.Fuzz(func(t *testing.T, mode uint8, first, second string) {
		dest := map[string]any{}
		for _, s := range []string{first, second} {
			var err error
			switch mode % 5 {
			case 0:
				err = ParseSet(s, dest)
			case 1:
				err = ParseSetString(s, dest)
			case 2:
				err = ParseSetJSON(s, dest)
			case 3:
				err = ParseSetLiteral(s, dest)
			case 4:
				err = ParseSetFile(s, dest, func(p string) ([]byte, error) {
					if strings.HasPrefix(p, "x") {
						return nil, fmt.Errorf("cannot read %q", p)
					}
					return []byte(p), nil
				})
			}
			if err != nil && err.Error() == "" {
				t.Fatalf("empty error message for %q", s)
			}
		}
		if n := checkTypes(t, dest, mode%5 == 2); n > 2*maxListSlots+len(first)+len(second) {
			t.Fatalf("%d list elements from %q, %q", n, first, second)
		}
	})
}

// checkTypes fails on a type values may not hold and returns the number of list
// elements.
func checkTypes(t *testing.T, v any, json bool) int {
	t.Helper()
	n := 0
	switch v := v.(type) {
	case nil, string, bool, int64:
	case float64:
		if !json {
			t.Fatalf("float64 outside --set-json")
		}
	case []any:
		n += len(v)
		for _, x := range v {
			n += checkTypes(t, x, json)
		}
	case map[string]any:
		for _, x := range v {
			n += checkTypes(t, x, json)
		}
	default:
		t.Fatalf("unexpected %T", v)
	}
	return n
}
