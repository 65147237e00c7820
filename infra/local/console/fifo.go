package console

// QueueGroup is one message group of a FIFO queue.
type QueueGroup struct {
	ID string
	// Messages counts the group's messages; InFlight those received and
	// neither deleted nor visible again.
	Messages, InFlight int64
}

// Locked reports whether the group has a message in flight: SQS delivers
// no later message of the group until that one is deleted or visible
// again, while other groups go on.
func (g QueueGroup) Locked() bool { return g.InFlight > 0 }

// LockedGroups counts the groups of q that are locked in flight.
func (q Queue) LockedGroups() int {
	n := 0
	for _, g := range q.Groups {
		if g.Locked() {
			n++
		}
	}
	return n
}
