package postrender

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"unicode/utf8"
)

// recordBinaryPrefix marks a recorded file stored in base64, because its content
// is not valid UTF-8 (JSON would mangle it) or starts with this prefix itself.
const recordBinaryPrefix = "base64:"

// encodeRecord turns a file set into a map that survives JSON: files that are not
// valid UTF-8, or that start with the binary prefix, are stored in base64 after it.
func encodeRecord(files map[string]string) map[string]string {
	if len(files) == 0 {
		return nil
	}
	out := make(map[string]string, len(files))
	for name, data := range files {
		if !utf8.ValidString(data) || strings.HasPrefix(data, recordBinaryPrefix) {
			data = recordBinaryPrefix + base64.StdEncoding.EncodeToString([]byte(data))
		}
		out[name] = data
	}
	return out
}

// decodeRecord reverses encodeRecord.
func decodeRecord(rec map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(rec))
	for name, data := range rec {
		if b64, ok := strings.CutPrefix(data, recordBinaryPrefix); ok {
			raw, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				return nil, fmt.Errorf("recorded file %q: %w", name, err)
			}
			data = string(raw)
		}
		out[name] = data
	}
	return out, nil
}

// isNotExist reports whether err is a file-not-found error.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
