//go:build ignore

// api-count prints, for each non-test, non-internal package under the
// current directory (all modules), the number of exported identifiers:
// top-level funcs, types, consts and vars, plus exported methods and
// exported fields of exported struct types.
//
//	go run scripts/api-count.go
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	counts := map[string]int{}
	filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			n := d.Name()
			if n == "node_modules" || n == "testdata" || strings.HasPrefix(n, ".") && path != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		dir := filepath.Dir(path)
		if strings.Contains("/"+dir+"/", "/internal/") {
			return nil
		}
		if strings.HasPrefix(dir, "examples") || strings.HasPrefix(dir, "bench") || strings.HasPrefix(dir, "scripts") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if f.Name.Name == "main" {
			return nil
		}
		counts[dir] += count(f)
		return nil
	})
	var dirs []string
	for d := range counts {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	total := 0
	for _, d := range dirs {
		fmt.Printf("%-28s %d\n", d, counts[d])
		total += counts[d]
	}
	fmt.Printf("%-28s %d\n", "total", total)
}

func count(f *ast.File) int {
	n := 0
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() {
				continue
			}
			if d.Recv != nil && !recvExported(d.Recv.List[0].Type) {
				continue
			}
			n++
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if !s.Name.IsExported() {
						continue
					}
					n++
					switch t := s.Type.(type) {
					case *ast.StructType:
						for _, fld := range t.Fields.List {
							for _, nm := range fld.Names {
								if nm.IsExported() {
									n++
								}
							}
						}
					case *ast.InterfaceType:
						for _, m := range t.Methods.List {
							for _, nm := range m.Names {
								if nm.IsExported() {
									n++
								}
							}
						}
					}
				case *ast.ValueSpec:
					for _, nm := range s.Names {
						if nm.IsExported() {
							n++
						}
					}
				}
			}
		}
	}
	return n
}

func recvExported(e ast.Expr) bool {
	switch t := e.(type) {
	case *ast.StarExpr:
		return recvExported(t.X)
	case *ast.IndexExpr:
		return recvExported(t.X)
	case *ast.IndexListExpr:
		return recvExported(t.X)
	case *ast.Ident:
		return t.IsExported()
	}
	return false
}
