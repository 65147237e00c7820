package dynamo

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// DynamoDB's limits on secondary indexes (developer guide, "Quotas").
const (
	maxGSIs = 20
	maxLSIs = 5
)

var indexNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`) })

// Projection says which attributes a secondary index holds besides the
// keys: ALL, KEYS_ONLY, or INCLUDE with NonKeyAttributes.
type Projection struct {
	ProjectionType   string   `json:"ProjectionType,omitempty"`
	NonKeyAttributes []string `json:"NonKeyAttributes,omitempty"`
}

// GlobalSecondaryIndex is a global secondary index as CreateTable takes it.
type GlobalSecondaryIndex struct {
	IndexName             string                 `json:"IndexName"`
	KeySchema             []KeySchemaElement     `json:"KeySchema"`
	Projection            *Projection            `json:"Projection"`
	ProvisionedThroughput *ProvisionedThroughput `json:"ProvisionedThroughput,omitempty"`
}

// LocalSecondaryIndex is a local secondary index as CreateTable takes it:
// the table's partition key and another sort key.
type LocalSecondaryIndex struct {
	IndexName  string             `json:"IndexName"`
	KeySchema  []KeySchemaElement `json:"KeySchema"`
	Projection *Projection        `json:"Projection"`
}

// IndexDescription describes a secondary index as DescribeTable does;
// IndexStatus and ProvisionedThroughput are a global index's only.
type IndexDescription struct {
	IndexName             string                            `json:"IndexName"`
	KeySchema             []KeySchemaElement                `json:"KeySchema"`
	Projection            Projection                        `json:"Projection"`
	IndexStatus           string                            `json:"IndexStatus,omitempty"`
	ProvisionedThroughput *ProvisionedThroughputDescription `json:"ProvisionedThroughput,omitempty"`
	IndexSizeBytes        int64                             `json:"IndexSizeBytes"`
	ItemCount             int64                             `json:"ItemCount"`
	IndexARN              string                            `json:"IndexArn"`
}

// indexSpec is what is stored about an index.
type indexSpec struct {
	Name        string                 `json:"Name"`
	KeySchema   []KeySchemaElement     `json:"KeySchema"`
	Projection  Projection             `json:"Projection"`
	Provisioned *ProvisionedThroughput `json:"Provisioned,omitempty"`
}

// index is a secondary index of a table with its keys resolved.
type index struct {
	indexSpec
	local bool
	keys  keyPair
}

// keyAttr is a key attribute: its name and type (S or N).
type keyAttr struct{ name, typ string }

// keyPair is the partition key and the sort key (name "" when none) of a
// table or an index.
type keyPair struct{ hash, rng keyAttr }

func keyPairOf(ks []KeySchemaElement, typeOf func(string) string) keyPair {
	var k keyPair
	for _, e := range ks {
		a := keyAttr{e.AttributeName, typeOf(e.AttributeName)}
		if e.KeyType == "HASH" {
			k.hash = a
		} else {
			k.rng = a
		}
	}
	return k
}

// String renders the keys as "pk (S), sk (N)".
func (k keyPair) String() string {
	var parts []string
	for _, a := range k.attrs() {
		parts = append(parts, a.name+" ("+a.typ+")")
	}
	return strings.Join(parts, ", ")
}

// attrs returns the key attributes, partition key first.
func (k keyPair) attrs() []keyAttr {
	if k.rng.name == "" {
		return []keyAttr{k.hash}
	}
	return []keyAttr{k.hash, k.rng}
}

// entry returns where an item sits in the index, its key columns; ok is
// false when the item is not in it: an index is sparse, and holds only the
// items that have its key attributes, of their types and, for strings, not
// empty (DynamoDB refuses writes that would break this, see checkIndexKeys,
// and leaves out the items an index created later finds in breach).
func (ix *index) entry(it Item) (ipk, isk string, ok bool) {
	cols := [2]string{}
	for i, k := range ix.keys.attrs() {
		v, found := it[k.name]
		if !found || v.Type != k.typ || (v.Type == TypeS && v.S == "") {
			return "", "", false
		}
		col, err := keyCol(v)
		if err != nil {
			return "", "", false
		}
		cols[i] = col
	}
	return cols[0], cols[1], true
}

// view returns what the index holds of an item: the table's and the
// index's keys, and the projected attributes.
func (ix *index) view(t *table, it Item) Item {
	if ix.Projection.ProjectionType == "ALL" {
		return it
	}
	out := Item{}
	for _, name := range ix.projected(t) {
		if v, ok := it[name]; ok {
			out[name] = v
		}
	}
	return out
}

// projected lists the attributes of an item the index holds (not for ALL).
func (ix *index) projected(t *table) []string {
	var names []string
	for _, k := range append(t.keys.attrs(), ix.keys.attrs()...) {
		names = append(names, k.name)
	}
	if ix.Projection.ProjectionType == "INCLUDE" {
		names = append(names, ix.Projection.NonKeyAttributes...)
	}
	return names
}

// holds reports whether the index holds the top-level attribute name.
func (ix *index) holds(t *table, name string) bool {
	return ix.Projection.ProjectionType == "ALL" || slices.Contains(ix.projected(t), name)
}

// checkIndexKeys refuses an item whose index key attributes are of the
// wrong type or empty strings, naming the first index (by name) it
// breaks, as DynamoDB does. An update checks only the attributes it
// changed (old is the item before it).
func (t *table) checkIndexKeys(nw, old Item, update bool) error {
	for _, ix := range t.indexes {
		for _, k := range ix.keys.attrs() {
			v, ok := nw[k.name]
			if !ok || (ix.local && k == ix.keys.hash) {
				continue
			}
			if update {
				if o, had := old[k.name]; had && o.Equal(v) {
					continue
				}
			}
			switch {
			case v.Type != k.typ:
				return validation("One or more parameter values were invalid: Type mismatch for Index Key %s Expected: %s Actual: %s IndexName: %s", k.name, k.typ, v.Type, ix.Name)
			case v.Type == TypeS && v.S == "" && update:
				return validation("One or more parameter values are not valid. The update expression attempted to update a secondary index key to a value that is not supported. The AttributeValue for a key attribute cannot contain an empty string value.")
			case v.Type == TypeS && v.S == "":
				return validation("One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: %s, IndexKey: %s", ix.Name, k.name)
			}
		}
	}
	return nil
}

// validate checks a CreateTable request in the order DynamoDB does, with
// its messages.
func (in *CreateTableInput) validate() error {
	for i, k := range in.KeySchema {
		if k.KeyType != "HASH" && k.KeyType != "RANGE" {
			return validation("1 validation error detected: Value '%s' at 'keySchema.%d.member.keyType' failed to satisfy constraint: Member must satisfy enum value set: [HASH, RANGE]", k.KeyType, i+1)
		}
	}
	for i, d := range in.AttributeDefinitions {
		if d.AttributeType != TypeS && d.AttributeType != TypeN && d.AttributeType != TypeB {
			return validation("1 validation error detected: Value '%s' at 'attributeDefinitions.%d.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]", d.AttributeType, i+1)
		}
	}
	if err := checkIndexNames(in.GlobalSecondaryIndexes, in.LocalSecondaryIndexes); err != nil {
		return err
	}
	billing := in.BillingMode
	switch billing {
	case "":
		billing = "PROVISIONED"
	case "PROVISIONED", "PAY_PER_REQUEST":
	default:
		return validation("1 validation error detected: Value '%s' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]", billing)
	}
	if billing == "PAY_PER_REQUEST" && in.ProvisionedThroughput != nil {
		return validation("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
	}
	if billing == "PROVISIONED" && in.ProvisionedThroughput == nil {
		return validation("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
	}
	if err := checkKeysDefined(in.KeySchema, in.AttributeDefinitions); err != nil {
		return err
	}
	if err := checkKeySchema(in.KeySchema); err != nil {
		return err
	}
	if in.LocalSecondaryIndexes != nil && len(in.LocalSecondaryIndexes) == 0 {
		return validation("One or more parameter values were invalid: List of LocalSecondaryIndexes is empty")
	}
	if in.GlobalSecondaryIndexes != nil && len(in.GlobalSecondaryIndexes) == 0 {
		return validation("One or more parameter values were invalid: List of GlobalSecondaryIndexes is empty")
	}
	if len(in.LocalSecondaryIndexes) > 0 {
		if err := in.checkLSIs(); err != nil {
			return err
		}
	}
	if len(in.GlobalSecondaryIndexes) > 0 {
		if err := checkGSIs(in.GlobalSecondaryIndexes, in.AttributeDefinitions, billing); err != nil {
			return err
		}
	}
	names := map[string]bool{}
	for _, l := range in.LocalSecondaryIndexes {
		names[l.IndexName] = true
	}
	for _, g := range in.GlobalSecondaryIndexes {
		if names[g.IndexName] {
			return validation("One or more parameter values were invalid: Duplicate index name: %s", g.IndexName)
		}
	}
	used := map[string]bool{}
	for _, ks := range in.keySchemas() {
		for _, k := range ks {
			used[k.AttributeName] = true
		}
	}
	if len(used) != len(in.AttributeDefinitions) {
		return validation("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
	}
	for _, d := range in.AttributeDefinitions {
		if d.AttributeType == TypeB {
			return unsupported("Key attributes of type B (use S or N)")
		}
	}
	return nil
}

// keySchemas returns the key schemas of the table and of its indexes.
func (in *CreateTableInput) keySchemas() [][]KeySchemaElement {
	out := [][]KeySchemaElement{in.KeySchema}
	for _, l := range in.LocalSecondaryIndexes {
		out = append(out, l.KeySchema)
	}
	for _, g := range in.GlobalSecondaryIndexes {
		out = append(out, g.KeySchema)
	}
	return out
}

// checkIndexNames checks the names of indexes: 3 to 255 characters of
// [a-zA-Z0-9_.-].
func checkIndexNames(gsis []GlobalSecondaryIndex, lsis []LocalSecondaryIndex) error {
	check := func(field string, i int, name string) error {
		prefix := fmt.Sprintf("1 validation error detected: Value '%s' at '%s.%d.member.indexName' failed to satisfy constraint: Member must ", name, field, i+1)
		switch {
		case len(name) < 3:
			return validation("%shave length greater than or equal to 3", prefix)
		case len(name) > 255:
			return validation("%shave length less than or equal to 255", prefix)
		case !indexNameRE().MatchString(name):
			return validation("%ssatisfy regular expression pattern: [a-zA-Z0-9_.-]+", prefix)
		}
		return nil
	}
	for i, g := range gsis {
		if err := check("globalSecondaryIndexes", i, g.IndexName); err != nil {
			return err
		}
	}
	for i, l := range lsis {
		if err := check("localSecondaryIndexes", i, l.IndexName); err != nil {
			return err
		}
	}
	return nil
}

// checkKeySchema checks the shape of a key schema: a HASH key, then
// optionally a RANGE key of another name.
func checkKeySchema(ks []KeySchemaElement) error {
	switch {
	case len(ks) == 0:
		return validation("1 validation error detected: Value '[]' at 'keySchema' failed to satisfy constraint: Member must have length greater than or equal to 1")
	case len(ks) > 2:
		var elems []string
		for _, k := range ks {
			elems = append(elems, fmt.Sprintf("KeySchemaElement(attributeName=%s, keyType=%s)", k.AttributeName, k.KeyType))
		}
		return validation("1 validation error detected: Value '[%s]' at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2", strings.Join(elems, ", "))
	case ks[0].KeyType != "HASH":
		return validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
	case len(ks) == 2 && ks[0].AttributeName == ks[1].AttributeName:
		return validation("Both the Hash Key and the Range Key element in the KeySchema have the same name")
	case len(ks) == 2 && ks[1].KeyType != "RANGE":
		return validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
	}
	return nil
}

// checkKeysDefined checks that the table's key attributes are defined.
func checkKeysDefined(ks []KeySchemaElement, defs []AttributeDefinition) error {
	var missing []string
	for _, k := range ks {
		if !defined(defs, k.AttributeName) {
			missing = append(missing, k.AttributeName)
		}
	}
	if len(missing) == 0 {
		if len(ks) == 2 && ks[0].AttributeName == ks[1].AttributeName {
			return validation("Invalid KeySchema: Some index key attribute have no definition")
		}
		return nil
	}
	if len(defs) == 0 || len(ks) >= 2 {
		return validation("Invalid KeySchema: Some index key attribute have no definition")
	}
	return validation("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]",
		strings.Join(missing, ", "), strings.Join(defNames(defs), ", "))
}

func defined(defs []AttributeDefinition, name string) bool {
	return slices.ContainsFunc(defs, func(d AttributeDefinition) bool { return d.AttributeName == name })
}

func defNames(defs []AttributeDefinition) []string {
	out := make([]string, len(defs))
	for i, d := range defs {
		out[i] = d.AttributeName
	}
	return out
}

// checkIndexKeysDefined checks that every key attribute of the indexes is
// defined; the message lists all of them.
func checkIndexKeysDefined(schemas [][]KeySchemaElement, defs []AttributeDefinition) error {
	var all []string
	missing := false
	for _, ks := range schemas {
		for _, k := range ks {
			if !slices.Contains(all, k.AttributeName) {
				all = append(all, k.AttributeName)
			}
			missing = missing || !defined(defs, k.AttributeName)
		}
	}
	if missing {
		return validation("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]",
			strings.Join(all, ", "), strings.Join(defNames(defs), ", "))
	}
	return nil
}

func (in *CreateTableInput) checkLSIs() error {
	lsis := in.LocalSecondaryIndexes
	table := keyPairOf(in.KeySchema, func(string) string { return "" })
	if table.rng.name == "" {
		return validation("One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex")
	}
	var schemas [][]KeySchemaElement
	for _, l := range lsis {
		schemas = append(schemas, l.KeySchema)
	}
	if err := checkIndexKeysDefined(schemas, in.AttributeDefinitions); err != nil {
		return err
	}
	for _, l := range lsis {
		if err := checkKeySchema(l.KeySchema); err != nil {
			return err
		}
		k := keyPairOf(l.KeySchema, func(string) string { return "" })
		if k.rng.name == "" {
			return validation("One or more parameter values were invalid: Index KeySchema does not have a range key for index: %s", l.IndexName)
		}
		if k.hash.name != table.hash.name {
			return validation("One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: %s. index hash key: %s, table hash key: %s",
				l.IndexName, k.hash.name, table.hash.name)
		}
		if err := checkProjection(l.Projection); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, l := range lsis {
		if seen[l.IndexName] {
			return validation("One or more parameter values were invalid: Duplicate index name: %s", l.IndexName)
		}
		seen[l.IndexName] = true
	}
	if len(lsis) > maxLSIs {
		return validation("One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of %d", maxLSIs)
	}
	return nil
}

// checkGSIs checks global secondary indexes, of CreateTable or created by
// UpdateTable, on a table of the given billing mode.
func checkGSIs(gsis []GlobalSecondaryIndex, defs []AttributeDefinition, billing string) error {
	var schemas [][]KeySchemaElement
	for _, g := range gsis {
		schemas = append(schemas, g.KeySchema)
	}
	if err := checkIndexKeysDefined(schemas, defs); err != nil {
		return err
	}
	for _, g := range gsis {
		if err := checkKeySchema(g.KeySchema); err != nil {
			return err
		}
		if err := checkProjection(g.Projection); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, g := range gsis {
		if seen[g.IndexName] {
			return validation("One or more parameter values were invalid: Duplicate index name: %s", g.IndexName)
		}
		seen[g.IndexName] = true
	}
	if len(gsis) > maxGSIs {
		return validation("One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of %d", maxGSIs)
	}
	for _, g := range gsis {
		switch {
		case billing == "PAY_PER_REQUEST" && g.ProvisionedThroughput != nil:
			return validation("One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: %s when BillingMode is PAY_PER_REQUEST", g.IndexName)
		case billing == "PROVISIONED" && g.ProvisionedThroughput == nil:
			return validation("One or more parameter values were invalid: ProvisionedThroughput must be specified for index: %s", g.IndexName)
		}
	}
	return nil
}

func checkProjection(p *Projection) error {
	if p == nil || p.ProjectionType == "" {
		return validation("One or more parameter values were invalid: Unknown ProjectionType: null")
	}
	switch p.ProjectionType {
	case "ALL", "KEYS_ONLY":
		if p.NonKeyAttributes != nil {
			return validation("One or more parameter values were invalid: ProjectionType is %s, but NonKeyAttributes is specified", p.ProjectionType)
		}
	case "INCLUDE":
		if p.NonKeyAttributes == nil {
			return validation("One or more parameter values were invalid: ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
		}
		if len(p.NonKeyAttributes) == 0 {
			return validation("One or more parameter values were invalid: NonKeyAttributes must not be empty")
		}
	default:
		return validation("1 validation error detected: Value '%s' at 'projection.projectionType' failed to satisfy constraint: Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]", p.ProjectionType)
	}
	return nil
}
