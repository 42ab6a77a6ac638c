package chart

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSaveIsReproducibleAndLoadsBack(t *testing.T) {
	c, err := Load(filepath.Join("testdata", "charts", "full"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p1, err := Save(c, dir, SaveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := os.ReadFile(p1)
	c2, err := Load(p1)
	if err != nil {
		t.Fatalf("loading the saved archive: %v", err)
	}
	p2, err := Save(c2, t.TempDir(), SaveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := os.ReadFile(p2)
	if !bytes.Equal(b1, b2) {
		t.Fatal("saving the same chart twice gave different bytes")
	}
	if c2.Name() != c.Name() || len(c2.Templates) != len(c.Templates) || len(c2.Files) != len(c.Files) || len(c2.Dependencies()) != len(c.Dependencies()) {
		t.Fatalf("round trip lost content: %d/%d templates, %d/%d files, %d/%d deps",
			len(c2.Templates), len(c.Templates), len(c2.Files), len(c.Files), len(c2.Dependencies()), len(c.Dependencies()))
	}
	p3, err := Save(c, t.TempDir(), SaveOptions{ModTime: time.Unix(1700000000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if b3, _ := os.ReadFile(p3); bytes.Equal(b1, b3) {
		t.Fatal("a different ModTime should change the bytes")
	}
	if filepath.Base(p1) != c.Name()+"-"+c.Metadata.Version+".tgz" {
		t.Fatalf("archive name %s", filepath.Base(p1))
	}
}

func TestSourceDateEpoch(t *testing.T) {
	if got, err := SourceDateEpoch(""); err != nil || !got.IsZero() {
		t.Errorf(`"": %v, %v`, got, err)
	}
	if got, err := SourceDateEpoch("1700000000"); err != nil || got.Unix() != 1700000000 || got.Location() != time.UTC {
		t.Errorf("1700000000: %v, %v", got, err)
	}
	if got, err := SourceDateEpoch("0"); err != nil || got.Unix() != 0 || got.IsZero() {
		t.Errorf("0: %v, %v", got, err)
	}
	if _, err := SourceDateEpoch("yesterday"); err == nil || !strings.Contains(err.Error(), `SOURCE_DATE_EPOCH="yesterday"`) {
		t.Errorf("yesterday: %v", err)
	}
}
