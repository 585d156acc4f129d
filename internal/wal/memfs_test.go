package wal

import "testing"

// numCrashModes is the number of [CrashMode] values, for random choices.
const numCrashModes = CrashZeros + 1

// readFile returns the content of the file name of m, failing the test if
// there is none.
func (m *MemFS) readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := m.ReadFile(name)
	if err != nil {
		t.Fatalf("readFile: %v", err)
	}
	return b
}

// writeFile replaces a file's content, durably.
func (m *MemFS) writeFile(t testing.TB, name string, data []byte) {
	t.Helper()
	if err := m.WriteFile(name, data); err != nil {
		t.Fatalf("writeFile: %v", err)
	}
}
