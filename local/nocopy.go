package local

// noCopy may be embedded in a struct that must not be copied after first
// use; go vet's copylocks check reports copies.
type noCopy struct{}

// Lock is a no-op used by the copylocks checker.
func (*noCopy) Lock() {}

// Unlock is a no-op used by the copylocks checker.
func (*noCopy) Unlock() {}
