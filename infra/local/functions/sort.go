package functions

import "sort"

func sortStats(s []Stats) { sort.Slice(s, func(i, j int) bool { return s[i].Name < s[j].Name }) }
