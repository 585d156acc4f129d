package wire

import "fmt"

// Op is a request's operation. The high byte is the [ObjectType] the op
// applies to (0 for session ops), the low byte numbers the op within its
// type. Ops are append-only: do not reorder or renumber them. protocol.md
// lists each op's arguments, results, errors and whether it blocks.
type Op uint16

// Session ops (object type 0).
const (
	OpOpen    Op = 0x0001 // declare an object and open a handle on it
	OpClose   Op = 0x0002 // close a handle, releasing what it holds
	OpList    Op = 0x0003 // list objects with their waiter counts
	OpWaiters Op = 0x0004 // the number of calls blocked on an object
)

// Lock ops.
const (
	OpLockLock    Op = 0x0101 // blocks
	OpLockTryLock Op = 0x0102
	OpLockUnlock  Op = 0x0103
	OpLockLocked  Op = 0x0104
)

// RLock ops.
const (
	OpRLockLock    Op = 0x0201 // blocks
	OpRLockTryLock Op = 0x0202
	OpRLockUnlock  Op = 0x0203
	OpRLockCount   Op = 0x0204
)

// RWLock ops.
const (
	OpRWLockLock     Op = 0x0301 // blocks
	OpRWLockTryLock  Op = 0x0302
	OpRWLockUnlock   Op = 0x0303
	OpRWLockRLock    Op = 0x0304 // blocks
	OpRWLockTryRLock Op = 0x0305
	OpRWLockRUnlock  Op = 0x0306
)

// Semaphore ops.
const (
	OpSemaphoreAcquire    Op = 0x0401 // blocks
	OpSemaphoreTryAcquire Op = 0x0402
	OpSemaphoreRelease    Op = 0x0403
	OpSemaphoreValue      Op = 0x0404
)

// Condition ops.
const (
	OpConditionLock      Op = 0x0501 // blocks
	OpConditionTryLock   Op = 0x0502
	OpConditionUnlock    Op = 0x0503
	OpConditionWait      Op = 0x0504 // blocks
	OpConditionNotify    Op = 0x0505
	OpConditionNotifyAll Op = 0x0506
)

// Event ops.
const (
	OpEventSet   Op = 0x0601
	OpEventClear Op = 0x0602
	OpEventIsSet Op = 0x0603
	OpEventWait  Op = 0x0604 // blocks
)

// Barrier ops.
const (
	OpBarrierWait       Op = 0x0701 // blocks
	OpBarrierActionDone Op = 0x0702
	OpBarrierAbort      Op = 0x0703
	OpBarrierReset      Op = 0x0704
	OpBarrierWaiting    Op = 0x0705
	OpBarrierBroken     Op = 0x0706
)

// Queue ops.
const (
	OpQueuePut        Op = 0x0801 // blocks
	OpQueueTryPut     Op = 0x0802
	OpQueueGet        Op = 0x0803 // blocks
	OpQueueTryGet     Op = 0x0804
	OpQueueLen        Op = 0x0805
	OpQueueTaskDone   Op = 0x0806
	OpQueueJoin       Op = 0x0807 // blocks
	OpQueueUnfinished Op = 0x0808
	OpQueueShutdown   Op = 0x0809
)

// SimpleQueue ops.
const (
	OpSimpleQueuePut    Op = 0x0901
	OpSimpleQueueGet    Op = 0x0902 // blocks
	OpSimpleQueueTryGet Op = 0x0903
	OpSimpleQueueLen    Op = 0x0904
)

// Dict ops.
const (
	OpDictLoad             Op = 0x0A01
	OpDictStore            Op = 0x0A02
	OpDictLoadOrStore      Op = 0x0A03
	OpDictLoadAndDelete    Op = 0x0A04
	OpDictDelete           Op = 0x0A05
	OpDictSwap             Op = 0x0A06
	OpDictCompareAndSwap   Op = 0x0A07
	OpDictCompareAndDelete Op = 0x0A08
	OpDictPopItem          Op = 0x0A09
	OpDictUpdate           Op = 0x0A0A
	OpDictLen              Op = 0x0A0B
	OpDictKeys             Op = 0x0A0C
	OpDictAll              Op = 0x0A0D
	OpDictClear            Op = 0x0A0E
)

// List ops.
const (
	OpListAppend  Op = 0x0B01
	OpListInsert  Op = 0x0B02
	OpListGet     Op = 0x0B03
	OpListSet     Op = 0x0B04
	OpListPop     Op = 0x0B05
	OpListRemove  Op = 0x0B06
	OpListIndex   Op = 0x0B07
	OpListCount   Op = 0x0B08
	OpListLen     Op = 0x0B09
	OpListSlice   Op = 0x0B0A
	OpListAll     Op = 0x0B0B
	OpListReverse Op = 0x0B0C
	OpListSort    Op = 0x0B0D
	OpListClear   Op = 0x0B0E
)

// Namespace ops.
const (
	OpNamespaceLoad   Op = 0x0C01
	OpNamespaceStore  Op = 0x0C02
	OpNamespaceDelete Op = 0x0C03
	OpNamespaceAll    Op = 0x0C04
)

// Value ops (int64).
const (
	OpValueLoad           Op = 0x0D01
	OpValueStore          Op = 0x0D02
	OpValueAdd            Op = 0x0D03
	OpValueSwap           Op = 0x0D04
	OpValueCompareAndSwap Op = 0x0D05
)

// FloatValue ops (float64, carried as IEEE 754 bits in Ints).
const (
	OpFloatValueLoad           Op = 0x0E01
	OpFloatValueStore          Op = 0x0E02
	OpFloatValueAdd            Op = 0x0E03
	OpFloatValueSwap           Op = 0x0E04
	OpFloatValueCompareAndSwap Op = 0x0E05
)

// Array ops (int64).
const (
	OpArrayLoad           Op = 0x0F01
	OpArrayStore          Op = 0x0F02
	OpArrayAdd            Op = 0x0F03
	OpArrayCompareAndSwap Op = 0x0F04
	OpArrayLoadRange      Op = 0x0F05
	OpArrayStoreRange     Op = 0x0F06
)

// FloatArray ops (float64, carried as IEEE 754 bits in Ints).
const (
	OpFloatArrayLoad           Op = 0x1001
	OpFloatArrayStore          Op = 0x1002
	OpFloatArrayAdd            Op = 0x1003
	OpFloatArrayCompareAndSwap Op = 0x1004
	OpFloatArrayLoadRange      Op = 0x1005
	OpFloatArrayStoreRange     Op = 0x1006
)

// opInfo describes one op: its name as protocol.md spells it and whether
// it can block.
type opInfo struct {
	name     string
	blocking bool
}

var ops = map[Op]opInfo{
	OpOpen: {"Open", false}, OpClose: {"Close", false}, OpList: {"List", false}, OpWaiters: {"Waiters", false},

	OpLockLock: {"Lock.Lock", true}, OpLockTryLock: {"Lock.TryLock", false},
	OpLockUnlock: {"Lock.Unlock", false}, OpLockLocked: {"Lock.Locked", false},

	OpRLockLock: {"RLock.Lock", true}, OpRLockTryLock: {"RLock.TryLock", false},
	OpRLockUnlock: {"RLock.Unlock", false}, OpRLockCount: {"RLock.Count", false},

	OpRWLockLock: {"RWLock.Lock", true}, OpRWLockTryLock: {"RWLock.TryLock", false},
	OpRWLockUnlock: {"RWLock.Unlock", false}, OpRWLockRLock: {"RWLock.RLock", true},
	OpRWLockTryRLock: {"RWLock.TryRLock", false}, OpRWLockRUnlock: {"RWLock.RUnlock", false},

	OpSemaphoreAcquire: {"Semaphore.Acquire", true}, OpSemaphoreTryAcquire: {"Semaphore.TryAcquire", false},
	OpSemaphoreRelease: {"Semaphore.Release", false}, OpSemaphoreValue: {"Semaphore.Value", false},

	OpConditionLock: {"Condition.Lock", true}, OpConditionTryLock: {"Condition.TryLock", false},
	OpConditionUnlock: {"Condition.Unlock", false}, OpConditionWait: {"Condition.Wait", true},
	OpConditionNotify: {"Condition.Notify", false}, OpConditionNotifyAll: {"Condition.NotifyAll", false},

	OpEventSet: {"Event.Set", false}, OpEventClear: {"Event.Clear", false},
	OpEventIsSet: {"Event.IsSet", false}, OpEventWait: {"Event.Wait", true},

	OpBarrierWait: {"Barrier.Wait", true}, OpBarrierActionDone: {"Barrier.ActionDone", false},
	OpBarrierAbort: {"Barrier.Abort", false}, OpBarrierReset: {"Barrier.Reset", false},
	OpBarrierWaiting: {"Barrier.Waiting", false}, OpBarrierBroken: {"Barrier.Broken", false},

	OpQueuePut: {"Queue.Put", true}, OpQueueTryPut: {"Queue.TryPut", false},
	OpQueueGet: {"Queue.Get", true}, OpQueueTryGet: {"Queue.TryGet", false},
	OpQueueLen: {"Queue.Len", false}, OpQueueTaskDone: {"Queue.TaskDone", false},
	OpQueueJoin: {"Queue.Join", true}, OpQueueUnfinished: {"Queue.Unfinished", false},
	OpQueueShutdown: {"Queue.Shutdown", false},

	OpSimpleQueuePut: {"SimpleQueue.Put", false}, OpSimpleQueueGet: {"SimpleQueue.Get", true},
	OpSimpleQueueTryGet: {"SimpleQueue.TryGet", false}, OpSimpleQueueLen: {"SimpleQueue.Len", false},

	OpDictLoad: {"Dict.Load", false}, OpDictStore: {"Dict.Store", false},
	OpDictLoadOrStore: {"Dict.LoadOrStore", false}, OpDictLoadAndDelete: {"Dict.LoadAndDelete", false},
	OpDictDelete: {"Dict.Delete", false}, OpDictSwap: {"Dict.Swap", false},
	OpDictCompareAndSwap: {"Dict.CompareAndSwap", false}, OpDictCompareAndDelete: {"Dict.CompareAndDelete", false},
	OpDictPopItem: {"Dict.PopItem", false}, OpDictUpdate: {"Dict.Update", false},
	OpDictLen: {"Dict.Len", false}, OpDictKeys: {"Dict.Keys", false},
	OpDictAll: {"Dict.All", false}, OpDictClear: {"Dict.Clear", false},

	OpListAppend: {"List.Append", false}, OpListInsert: {"List.Insert", false},
	OpListGet: {"List.Get", false}, OpListSet: {"List.Set", false},
	OpListPop: {"List.Pop", false}, OpListRemove: {"List.Remove", false},
	OpListIndex: {"List.Index", false}, OpListCount: {"List.Count", false},
	OpListLen: {"List.Len", false}, OpListSlice: {"List.Slice", false},
	OpListAll: {"List.All", false}, OpListReverse: {"List.Reverse", false},
	OpListSort: {"List.Sort", false}, OpListClear: {"List.Clear", false},

	OpNamespaceLoad: {"Namespace.Load", false}, OpNamespaceStore: {"Namespace.Store", false},
	OpNamespaceDelete: {"Namespace.Delete", false}, OpNamespaceAll: {"Namespace.All", false},

	OpValueLoad: {"Value.Load", false}, OpValueStore: {"Value.Store", false},
	OpValueAdd: {"Value.Add", false}, OpValueSwap: {"Value.Swap", false},
	OpValueCompareAndSwap: {"Value.CompareAndSwap", false},

	OpFloatValueLoad: {"FloatValue.Load", false}, OpFloatValueStore: {"FloatValue.Store", false},
	OpFloatValueAdd: {"FloatValue.Add", false}, OpFloatValueSwap: {"FloatValue.Swap", false},
	OpFloatValueCompareAndSwap: {"FloatValue.CompareAndSwap", false},

	OpArrayLoad: {"Array.Load", false}, OpArrayStore: {"Array.Store", false},
	OpArrayAdd: {"Array.Add", false}, OpArrayCompareAndSwap: {"Array.CompareAndSwap", false},
	OpArrayLoadRange: {"Array.LoadRange", false}, OpArrayStoreRange: {"Array.StoreRange", false},

	OpFloatArrayLoad: {"FloatArray.Load", false}, OpFloatArrayStore: {"FloatArray.Store", false},
	OpFloatArrayAdd: {"FloatArray.Add", false}, OpFloatArrayCompareAndSwap: {"FloatArray.CompareAndSwap", false},
	OpFloatArrayLoadRange: {"FloatArray.LoadRange", false}, OpFloatArrayStoreRange: {"FloatArray.StoreRange", false},
}

// String returns the op's name as protocol.md spells it ("Open",
// "Queue.Put", ...), or "op(0xNNNN)" for an unknown op.
func (o Op) String() string {
	if i, ok := ops[o]; ok {
		return i.name
	}
	return fmt.Sprintf("op(%#04x)", uint16(o))
}

// Known reports whether o is an op of this protocol version. A server
// answers a request with an unknown op with an error of kind Invalid.
func (o Op) Known() bool {
	_, ok := ops[o]
	return ok
}

// Blocking reports whether o can wait. Only blocking ops are affected by a
// [Cancel]; a server must not let them hold up the requests that follow.
func (o Op) Blocking() bool { return ops[o].blocking }

// readOnly are the ops that change nothing but the session's record of
// its requests: their answers only report state.
var readOnly = map[Op]bool{
	OpList: true, OpWaiters: true,
	OpLockLocked: true, OpRLockCount: true, OpSemaphoreValue: true, OpEventIsSet: true,
	OpBarrierWaiting: true, OpBarrierBroken: true,
	OpQueueLen: true, OpQueueUnfinished: true, OpSimpleQueueLen: true,
	OpDictLoad: true, OpDictLen: true, OpDictKeys: true, OpDictAll: true,
	OpListGet: true, OpListIndex: true, OpListCount: true, OpListLen: true, OpListSlice: true, OpListAll: true,
	OpNamespaceLoad: true, OpNamespaceAll: true,
	OpValueLoad: true, OpFloatValueLoad: true,
	OpArrayLoad: true, OpArrayLoadRange: true, OpFloatArrayLoad: true, OpFloatArrayLoadRange: true,
}

// ReadOnly reports whether o only reads state. A durable server need not
// wait for the log to make such a request durable before answering it
// (only for the changes it reports on): losing it in a crash loses
// nothing, and a retry does it again.
func (o Op) ReadOnly() bool { return readOnly[o] }

// Object returns the object type o applies to: its high byte. It is
// [ObjectNone] for the session ops.
func (o Op) Object() ObjectType { return ObjectType(o >> 8) }
