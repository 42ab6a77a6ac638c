package values

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

// setCases are --set-family arguments whose results testdata/parse_set.golden
// records, one per flag kind. They were checked against Helm v4's parser.
var setCases = map[string][]string{
	"--set": {
		// typing
		"i=42,neg=-7,plus=+7,zero=0,lead=007,negLead=-05,f=1.5,big=99999999999999999999",
		"t=true,T=TRUE,f=False,n=null,N=NULL,s=yes,e=",
		"hex=0x10,exp=1e3,space= x ,quote=\"q\"",
		// nesting, escapes
		"a.b.c=1,a.b.d=2,a.e=x",
		`a\.b=c,d=e\,f,g=h\=i,j=k\\l,m=\{n}`,
		`ui.message=hello\,world`,
		`templates.extra\.tmpl=body`,
		`rbac.serviceAccount.annotations.eks\.amazonaws\.com/role-arn=arn:aws:iam::1:role/x`,
		"a=b=c",
		"trailing=x\\",
		// lists
		"l={a,b,c}",
		"l={1,true,null,x}",
		"l={}",
		"l={a},m=1",
		"l={a}m=1",
		`l={a\,b,c\}d}`,
		"args={--kubelet-insecure-tls,--kubelet-preferred-address-types=InternalIP}",
		"metricLabelsAllowlist={pods=[app.kubernetes.io/name,team]}",
		"l={a,b",
		// indexes
		"list[0]=foo,list[1]=bar",
		"list[0]=foo,list[3]=bar",
		"list[0].name=x,list[0].port=80,list[1].name=y",
		"list[1].name=y,list[0].name=x",
		"n[0][0]=1,n[1][1]=2",
		"n[1][1]=1",
		"l[0]={a,b}",
		"l[0]=",
		"noval[0]",
		"l[+1]=x,l[01]=y",
		"l[0]x=1",
		"l[-1]=x",
		"l[x]=1",
		"l[65537]=x",
		"l[99999999999999999999]=x",
		"l[0",
		"l[0]=1,l[0].a=2",
		"l[0]=1,l[0][0]=2",
		// keys without values, empty keys
		"a",
		"a,b=1",
		"a.b",
		"a.",
		"a.=1",
		".a=1",
		"=1",
		"[0]=1",
		"a..b=1",
		",",
		"a=1,,b=2",
		"a=1,",
		"",
		// conflicts inside one argument
		"a=1,a.b=2",
		"a.b=1,a=2",
		"a={x},a[0]=y",
		"a=null,a.b=1",
		// unicode and odd bytes
		"ключ=значение,emoji=🚀",
		"bad=\xff\xfe",
	},
	"--set-string": {
		"i=42,t=true,n=null,z=0,f=1.5",
		"l={1,true,null}",
		"podAnnotations.version=1.0,podAnnotations.build=0042",
		"l[0]=1",
		"a,b=1",
	},
	"--set-json": {
		`tolerations=[{"key":"dedicated","operator":"Equal","value":"web","effect":"NoSchedule"}]`,
		`a=1,b="x",c=true,d=null,e={"f":[1,2.5]}`,
		`a=,b=  ,c=1`,
		`a= 1 , b=2`,
		`a=1 b=2`,
		`l[0]={"x":1},l[2]=2`,
		`l[1]=`,
		`a.b.c="deep"`,
		`{"a":{"b":1},"c":[1]}`,
		`  {"a":null}`,
		`{"a":1}x`,
		`a={"unterminated":`,
		`a=notjson`,
		`a=1,,b=2`,
		`a="x\,y"`,
		"a",
	},
	"--set-literal": {
		"a=anything, even {x,y} and a=b",
		`a\.b=c\,d`,
		"a.b=x",
		"a,b=1",
		"l[0]=x,y",
		"l[1].k=v",
		"a=",
		"a",
		"a.",
		"bad=\xff",
	},
	"--set-file": {
		"body=files/a.txt",
		"l={files/a.txt,files/b.txt}",
		"l[0]=files/a.txt",
		"empty=",
		"missing=files/none.txt",
		"n=null",
	},
}

func testReadFile(path string) ([]byte, error) {
	switch path {
	case "files/a.txt":
		return []byte("contents of a\n"), nil
	case "files/b.txt":
		return []byte("b"), nil
	}
	return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
}

func parseFlag(flag, s string, dest map[string]any) error {
	switch flag {
	case "--set":
		return ParseSet(s, dest)
	case "--set-string":
		return ParseSetString(s, dest)
	case "--set-json":
		return ParseSetJSON(s, dest)
	case "--set-literal":
		return ParseSetLiteral(s, dest)
	case "--set-file":
		return ParseSetFile(s, dest, testReadFile)
	}
	panic(flag)
}

func TestParseSetGolden(t *testing.T) {
	var b strings.Builder
	for _, flag := range []string{"--set", "--set-string", "--set-json", "--set-literal", "--set-file"} {
		for _, s := range setCases[flag] {
			dest := map[string]any{}
			err := parseFlag(flag, s, dest)
			fmt.Fprintf(&b, "%s %q\n", flag, s)
			if err != nil {
				fmt.Fprintf(&b, "  error: %v\n", err)
			} else {
				fmt.Fprintf(&b, "  => %s\n", dump(dest))
			}
		}
	}
	golden(t, "parse_set", b.String())
}

func TestParseSetTypes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want any
	}{
		{"1", int64(1)},
		{"-1", int64(-1)},
		{"0", int64(0)},
		{"00", "00"},
		{"9223372036854775807", int64(9223372036854775807)},
		{"9223372036854775808", "9223372036854775808"},
		{"1.0", "1.0"},
		{"tRuE", true},
		{"FALSE", false},
		{"Null", nil},
		{"", ""},
		{"nil", "nil"},
		{"~", "~"},
	} {
		dest := map[string]any{}
		if err := ParseSet("k="+tc.in, dest); err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if got := dest["k"]; !deepEqual(got, tc.want) {
			t.Errorf("%q: got %s, want %s", tc.in, dump(got), dump(tc.want))
		}
	}
}

// Arguments are parsed into what earlier ones (and the -f files) left.
func TestParseSetIntoExisting(t *testing.T) {
	for _, tc := range []struct {
		name    string
		dest    string
		set     string
		want    string
		wantErr string
	}{
		{name: "merges maps", dest: "a: {b: 1, c: 2}", set: "a.b=3,a.d=4", want: "a: {b: 3, c: 2, d: 4}"},
		{name: "replaces a list", dest: "a: [1, 2]", set: "a={x}", want: "a: [x]"},
		{name: "updates a list item in place", dest: "a: [{k: 1, m: 2}, {k: 3}]", set: "a[0].k=9", want: "a: [{k: 9, m: 2}, {k: 3}]"},
		{name: "grows a list", dest: "a: [1]", set: "a[2]=3", want: "a: [1, null, 3]"},
		{name: "null value sets null", dest: "a: {b: 1}", set: "a.b=null", want: "a: {b: null}"},
		{name: "scalar over map", dest: "a: {b: 1}", set: "a=1", want: "a: 1"},
		{name: "nested into scalar fails", dest: "a: x", set: "a.b=1", wantErr: `unable to parse key "a": it already holds a string, not a map`},
		{name: "nested into null fails", dest: "a: null", set: "a.b=1", wantErr: `unable to parse key "a": it already holds null, not a map`},
		{name: "index into map fails", dest: "a: {b: 1}", set: "a[0]=1", wantErr: `unable to parse key "a": it already holds a map, not a list`},
		{name: "nested index into scalar item fails", dest: "a: [1]", set: "a[0][0]=1", wantErr: `unable to parse key "a[0]": it already holds a number, not a list`},
		{name: "field of scalar item replaces it", dest: "a: [1]", set: "a[0].b=1", want: "a: [{b: 1}]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dest := y(t, tc.dest)
			err := ParseSet(tc.set, dest)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			assertValues(t, dest, tc.want)
		})
	}
}

func TestParseSetLimits(t *testing.T) {
	deep := strings.Repeat("a.", MaxNestingDepth) + "b=1"
	if err := ParseSet(deep, map[string]any{}); err != nil {
		t.Errorf("%d dots: %v", MaxNestingDepth, err)
	}
	tooDeep := strings.Repeat("a.", MaxNestingDepth+1) + "b=1"
	if err := ParseSet(tooDeep, map[string]any{}); err == nil || !strings.Contains(err.Error(), "nested level") {
		t.Errorf("%d dots: got %v", MaxNestingDepth+1, err)
	}
	// Nested lists count too (Helm does not count them).
	lists := "a" + strings.Repeat("[0]", MaxNestingDepth+2) + "=1"
	if err := ParseSet(lists, map[string]any{}); err == nil || !strings.Contains(err.Error(), "nest") {
		t.Errorf("nested lists: got %v", err)
	}
	// The index limit is checked before anything is allocated.
	dest := map[string]any{}
	if err := ParseSet(fmt.Sprintf("a[%d]=1", MaxIndex), dest); err != nil {
		t.Fatal(err)
	}
	if n := len(dest["a"].([]any)); n != MaxIndex+1 {
		t.Errorf("len = %d", n)
	}
	err := ParseSet(fmt.Sprintf("a[%d]=1", MaxIndex+1), map[string]any{})
	if err == nil || !strings.Contains(err.Error(), "greater than maximum supported index of 65536") {
		t.Errorf("got %v", err)
	}
	// One argument cannot allocate more than maxListSlots list elements.
	var parts []string
	for i := 0; i < 17; i++ {
		parts = append(parts, fmt.Sprintf("l%d[%d]=x", i, MaxIndex-1))
	}
	err = ParseSet(strings.Join(parts, ","), map[string]any{})
	if err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("17 big lists: got %v", err)
	}
}

func TestParseSetFile(t *testing.T) {
	reads := 0
	readFile := func(path string) ([]byte, error) {
		reads++
		switch path {
		case "ok.txt":
			return []byte("ok"), nil
		case "broken":
			return nil, errors.New("permission denied")
		}
		return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
	}
	dest := map[string]any{}
	if err := ParseSetFile(`a\.b=ok.txt,c=`, dest, readFile); err != nil {
		t.Fatal(err)
	}
	if got := dump(dest); got != `{"a.b": "ok", "c": ""}` || reads != 1 {
		t.Errorf("got %s after %d reads", got, reads)
	}
	err := ParseSetFile("x.y=broken", map[string]any{}, readFile)
	if err == nil || err.Error() != `key "x.y": reading broken: permission denied` {
		t.Errorf("got %v", err)
	}
	err = ParseSetFile("x=gone.txt", map[string]any{}, readFile)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "open gone.txt") {
		t.Errorf("got %v", err)
	}
	if err := ParseSetFile("x=ok.txt", map[string]any{}, nil); err == nil {
		t.Error("nil reader accepted")
	}
}

func TestParseSetNilDest(t *testing.T) {
	for _, flag := range []string{"--set", "--set-string", "--set-json", "--set-literal", "--set-file"} {
		if err := parseFlag(flag, "a=1", nil); err == nil {
			t.Errorf("%s: nil dest accepted", flag)
		}
	}
	if err := ParseSetJSON(`{"a":1}`, nil); err == nil {
		t.Error("nil dest accepted for a JSON object")
	}
}
