package scenarios

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// decodeStrict decodes a YAML node into out and rejects every key out does
// not have, naming the file and line. yaml.v3's own KnownFields only works on
// a Decoder over a whole document; per-kind parameters arrive as nodes, so
// this walks the node against the Go type first, then lets yaml decode.
func decodeStrict(file string, n *yaml.Node, out any) error {
	if err := checkKeys(file, n, reflect.TypeOf(out)); err != nil {
		return err
	}
	if err := n.Decode(out); err != nil {
		return fmt.Errorf("%s: %s", file, yamlErr(err))
	}
	return nil
}

var nodeType = reflect.TypeOf(yaml.Node{})

func checkKeys(file string, n *yaml.Node, t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n == nil || t == nodeType {
		return nil
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		return checkKeys(file, n.Content[0], t)
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return nil // yaml's own decoding names the type mismatch
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if name == "-" {
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			fields[name] = f.Type
			names = append(names, name)
		}
		sort.Strings(names)
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				return fmt.Errorf("%s:%d: unknown key %q (known keys: %s)", file, k.Line, k.Value, strings.Join(names, ", "))
			}
			if prev, dup := seen[k.Value]; dup {
				return fmt.Errorf("%s:%d: key %q given twice (first at line %d)", file, k.Line, k.Value, prev)
			}
			seen[k.Value] = k.Line
			if err := checkKeys(file, v, ft); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind == yaml.SequenceNode {
			for _, c := range n.Content {
				if err := checkKeys(file, c, t.Elem()); err != nil {
					return err
				}
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 1; i < len(n.Content); i += 2 {
				if err := checkKeys(file, n.Content[i], t.Elem()); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// yamlErr turns yaml.v3's multi-line errors into one line per problem.
func yamlErr(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "yaml: unmarshal errors:\n  ")
	s = strings.TrimPrefix(s, "yaml: ")
	return strings.ReplaceAll(s, "\n  ", "; ")
}
