package wire

import (
	"maps"
	"slices"
)

// AllOps returns every op of this protocol version, in numeric order.
func AllOps() []Op { return slices.Sorted(maps.Keys(ops)) }
