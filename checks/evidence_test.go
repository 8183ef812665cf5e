package checks

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// Every evidence type that holds an exchange, directly or through its
// parts, says which of them a pull makes (Exchanger): otherwise a new
// check's exchanges would escape the rules that look across all of them.
func TestEveryEvidenceWithExchangesIsAnExchanger(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	structs := map[string]*ast.StructType{}
	methods := map[string]bool{} // receiver type names with an Exchanges method
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.GenDecl:
				for _, s := range d.Specs {
					if ts, ok := s.(*ast.TypeSpec); ok {
						if st, ok := ts.Type.(*ast.StructType); ok {
							structs[ts.Name.Name] = st
						}
					}
				}
			case *ast.FuncDecl:
				if d.Recv != nil && d.Name.Name == "Exchanges" {
					ast.Inspect(d.Recv.List[0].Type, func(n ast.Node) bool {
						if id, ok := n.(*ast.Ident); ok {
							methods[id.Name] = true
						}
						return true
					})
				}
			}
		}
	}
	var holds func(name string, seen map[string]bool) bool
	holds = func(name string, seen map[string]bool) bool {
		if name == "Exchange" {
			return true
		}
		st, ok := structs[name]
		if !ok || seen[name] {
			return false
		}
		seen[name] = true
		found := false
		for _, fl := range st.Fields.List {
			ast.Inspect(fl.Type, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok && holds(id.Name, seen) {
					found = true
				}
				return !found
			})
		}
		return found
	}
	checked := 0
	for name := range structs {
		if !strings.HasSuffix(name, "Evidence") || !holds(name, map[string]bool{}) {
			continue
		}
		checked++
		if !methods[name] {
			t.Errorf("%s holds exchanges but has no Exchanges method: say which of them a pull makes", name)
		}
	}
	if checked < 8 {
		t.Errorf("only %d evidence types hold exchanges; the scan is broken", checked)
	}
}
