// Package eventpattern is a hand-written Amazon EventBridge event-pattern
// matcher for the local stack.
//
// It follows the behaviour of EventBridge (which runs AWS's event-ruler):
// a pattern and an event are both seen as flattened "dotted" paths, so
// {"a":{"b":[..]}} and {"a.b":[..]} name the same field; the values listed
// for a field are alternatives; every field of a pattern (or of one $or
// branch) must match, and values picked from the same array of objects must
// come from the same element. Numbers compare by value with six decimal
// digits, as EventBridge does, within the documented range of -5e9..5e9.
//
// Compile a pattern once with [Compile] and call [Pattern.Match] for each
// event; matching never re-parses the pattern and reads only the parts of
// the event that the pattern names.
package eventpattern
