package shm

import (
	"crypto/sha256"
	"encoding/hex"
)

// filePrefix starts the file name of every object.
const filePrefix = "latchkey-"

// fileName returns the file name of the object called name: the prefix,
// then name with every byte but ASCII letters, digits, '.', '_' and '-'
// escaped as %XX (upper-case hex). A name too long for a file name (255
// bytes) becomes "%h" and the hex SHA-256 of the name, which no escaped
// name can look like; the header records the whole name, so that two names
// with one hash are told apart (ErrMismatch).
func fileName(name string) string {
	const hexdig = "0123456789ABCDEF"
	b := make([]byte, 0, len(filePrefix)+len(name))
	b = append(b, filePrefix...)
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
			b = append(b, c)
		default:
			b = append(b, '%', hexdig[c>>4], hexdig[c&15])
		}
	}
	if len(b) > 255 {
		return hashedFileName(name)
	}
	return string(b)
}

// hashedFileName returns the file name of the object called name made of
// the prefix, "%h" and the hex SHA-256 of name.
func hashedFileName(name string) string {
	h := sha256.Sum256([]byte(name))
	return filePrefix + "%h" + hex.EncodeToString(h[:])
}
