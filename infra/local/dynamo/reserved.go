package dynamo

// reserved holds DynamoDB reserved words that are likely attribute names;
// using one unaliased in an expression fails on AWS, so it fails here too.
// (A subset of AWS's list of 573 words.)
var reserved = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{
		"ABORT", "ACTION", "ADD", "ALL", "AND", "ATTRIBUTE", "BETWEEN", "BINARY", "BOOLEAN", "BY", "CAPACITY", "CHECK",
		"COMMENT", "CONDITION", "COUNT", "CREATE", "CURRENT", "DATA", "DATE", "DAY", "DELETE", "DESC", "DURATION", "EXISTS",
		"FROM", "GROUP", "HASH", "HOUR", "IN", "INDEX", "ITEM", "KEY", "KEYS", "LEVEL", "LIMIT", "LIST", "MAP", "MINUTE",
		"MONTH", "NAME", "NOT", "NULL", "NUMBER", "OR", "ORDER", "OWNER", "PATH", "RANGE", "REMOVE", "RESULT",
		"ROLE", "SECOND", "SET", "SIZE", "SOURCE", "STATE", "STATUS", "STRING", "TABLE", "TIME", "TIMESTAMP", "TOKEN",
		"TTL", "TYPE", "UPDATE", "USER", "VALUE", "VALUES", "YEAR", "ZONE",
	} {
		m[w] = true
	}
	return m
}()
