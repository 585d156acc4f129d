package server

// Fences across restarts. Under SyncAlways a grant is answered only once
// the log has made it durable, so a restarted server's counters are at
// least every fence a client saw, and the next grant is greater. Under
// SyncInterval and SyncNever a power loss may drop the last grants the
// clients saw; so each start of such a server raises every fence counter,
// and the counter of every object created later, to a new epoch's base,
// epoch<<fenceEpochShift, greater than any fence of the previous epochs as
// long as no object was granted 2^40 times in one epoch (at a million
// grants a second, 12 days without a restart).
const fenceEpochShift = 40

// nextFenceBase returns the fence base of the epoch after the one base
// belongs to.
func nextFenceBase(base uint64) uint64 {
	return (base>>fenceEpochShift + 1) << fenceEpochShift
}

// raiseFences raises every object's fence counter to at least base, and
// makes base the floor of objects created from now on.
func (m *machine) raiseFences(base uint64) {
	m.fenceBase = max(m.fenceBase, base)
	for _, name := range sortedKeys(m.objects) {
		raiseFence(m.objects[name], m.fenceBase)
	}
}

// raiseFence raises o's fence counter, if it has one, to at least base.
func raiseFence(o object, base uint64) {
	var f *uint64
	switch x := o.(type) {
	case *lock:
		f = &x.fence
	case *rlock:
		f = &x.fence
	case *rwlock:
		f = &x.fence
	case *semaphore:
		f = &x.fence
	case *queue:
		f = &x.fence
	case *simpleQueue:
		f = &x.fence
	default:
		return
	}
	*f = max(*f, base)
}
