package wire

import "fmt"

// ObjectType is the type of a named object, as a [Request] carries it.
// Object types are append-only: do not reorder or renumber them. The high
// byte of an [Op] is the object type it applies to.
type ObjectType uint8

// The object types. ObjectNone is for requests that address no object
// (the session ops of group 0, and [OpList] without a filter).
const (
	ObjectNone        ObjectType = 0
	ObjectLock        ObjectType = 1  // latchkey.Lock
	ObjectRLock       ObjectType = 2  // latchkey.RLock
	ObjectRWLock      ObjectType = 3  // latchkey.RWLock
	ObjectSemaphore   ObjectType = 4  // latchkey.Semaphore, bounded or not
	ObjectCondition   ObjectType = 5  // latchkey.Condition
	ObjectEvent       ObjectType = 6  // latchkey.Event
	ObjectBarrier     ObjectType = 7  // latchkey.Barrier
	ObjectQueue       ObjectType = 8  // latchkey.Queue
	ObjectSimpleQueue ObjectType = 9  // latchkey.SimpleQueue
	ObjectDict        ObjectType = 10 // latchkey.Dict
	ObjectList        ObjectType = 11 // latchkey.List
	ObjectNamespace   ObjectType = 12 // latchkey.Namespace
	ObjectValue       ObjectType = 13 // latchkey.Value[int64]
	ObjectFloatValue  ObjectType = 14 // latchkey.Value[float64]
	ObjectArray       ObjectType = 15 // latchkey.Array[int64]
	ObjectFloatArray  ObjectType = 16 // latchkey.Array[float64]
)

var objectNames = [...]string{
	ObjectNone: "none", ObjectLock: "Lock", ObjectRLock: "RLock", ObjectRWLock: "RWLock",
	ObjectSemaphore: "Semaphore", ObjectCondition: "Condition", ObjectEvent: "Event",
	ObjectBarrier: "Barrier", ObjectQueue: "Queue", ObjectSimpleQueue: "SimpleQueue",
	ObjectDict: "Dict", ObjectList: "List", ObjectNamespace: "Namespace",
	ObjectValue: "Value", ObjectFloatValue: "FloatValue", ObjectArray: "Array",
	ObjectFloatArray: "FloatArray",
}

// String returns the object type's name ("Lock", "Queue", ...), or
// "object(N)" for an unknown one.
func (t ObjectType) String() string {
	if int(t) < len(objectNames) {
		return objectNames[t]
	}
	return fmt.Sprintf("object(%d)", uint8(t))
}
