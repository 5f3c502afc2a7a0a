package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
)

// privateModules are module folders (relative to the root, slash-separated)
// that are never published for users: the demo servers and their end-to-end
// suite, and the benchmarks against peers. Their go.mod files still follow
// VERSION so that they build the way a user's application would. A module
// with an "internal" path element is private as well.
var privateModules = []string{"examples", "bench"}

// repo is the repository: its root, release version and modules.
type repo struct {
	root    string
	version string // from VERSION
	modules []*mod // sorted by dir; the root module first
}

// mod is one go.mod of the repository.
type mod struct {
	dir    string // relative to the root, slash-separated; "." for the root
	path   string // module path
	gomod  string // absolute path of the go.mod file
	file   *modfile.File
	public bool
}

func loadRepo(root string) (*repo, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	v, err := readVersion(filepath.Join(root, "VERSION"))
	if err != nil {
		return nil, err
	}
	r := &repo{root: root, version: v}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if p != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() != "go.mod" {
			return nil
		}
		m, err := readModule(root, p)
		if err != nil {
			return err
		}
		r.modules = append(r.modules, m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// "." sorts before every folder name, so the root module comes first.
	slices.SortFunc(r.modules, func(a, b *mod) int { return strings.Compare(a.dir, b.dir) })
	if len(r.modules) == 0 || r.modules[0].dir != "." {
		return nil, fmt.Errorf("%s has no go.mod", root)
	}
	return r, nil
}

// readVersion reads and validates the VERSION file: one canonical semantic
// version, major version 0 or 1 because the module paths carry no /vN suffix.
func readVersion(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	v := strings.TrimSpace(string(b))
	if !semver.IsValid(v) || semver.Canonical(v) != v || semver.Build(v) != "" {
		return "", fmt.Errorf("VERSION holds %q, want a canonical semantic version such as v0.1.0", v)
	}
	if major := semver.Major(v); major != "v0" && major != "v1" {
		return "", fmt.Errorf("VERSION %s: module paths have no /%s suffix, so the major version must be v0 or v1", v, major)
	}
	return v, nil
}

func readModule(root, gomod string) (*mod, error) {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return nil, err
	}
	f, err := modfile.Parse(gomod, data, nil)
	if err != nil {
		return nil, err
	}
	if f.Module == nil {
		return nil, fmt.Errorf("%s: no module line", gomod)
	}
	rel, err := filepath.Rel(root, filepath.Dir(gomod))
	if err != nil {
		return nil, err
	}
	dir := filepath.ToSlash(rel)
	public := !slices.Contains(privateModules, dir) && !slices.Contains(strings.Split(dir, "/"), "internal")
	return &mod{dir: dir, path: f.Module.Mod.Path, gomod: gomod, file: f, public: public}, nil
}

func (r *repo) versionOr(v string) string {
	if v == "" {
		return r.version
	}
	return v
}

// byPath returns the repository's module with the given path, or nil.
func (r *repo) byPath(path string) *mod {
	for _, m := range r.modules {
		if m.path == path {
			return m
		}
	}
	return nil
}

func (r *repo) public() []*mod {
	var ms []*mod
	for _, m := range r.modules {
		if m.public {
			ms = append(ms, m)
		}
	}
	return ms
}

func (r *repo) printModules(publicOnly bool) error {
	for _, m := range r.modules {
		if publicOnly && !m.public {
			continue
		}
		vis := "public"
		if !m.public {
			vis = "private"
		}
		fmt.Printf("%s\t%s\t%s\n", m.dir, m.path, vis)
	}
	return nil
}

// ownPath reports whether path is the root module's path or lies beneath it:
// a streamkit module, whether or not this repository holds it.
func (r *repo) ownPath(path string) bool {
	rootPath := r.modules[0].path
	return path == rootPath || strings.HasPrefix(path, rootPath+"/")
}

// siblingRequires returns, for a nested module, its requirements on
// streamkit modules.
func (r *repo) siblingRequires(m *mod) []*modfile.Require {
	var reqs []*modfile.Require
	for _, req := range m.file.Require {
		if r.ownPath(req.Mod.Path) {
			reqs = append(reqs, req)
		}
	}
	return reqs
}

// checkVersion reports every nested go.mod whose streamkit requirements are
// not at VERSION, and every requirement on a streamkit module the repository
// does not hold.
func (r *repo) checkVersion() error {
	var problems []string
	for _, m := range r.modules[1:] {
		for _, req := range r.siblingRequires(m) {
			rel := filepath.ToSlash(filepath.Join(m.dir, "go.mod"))
			switch {
			case r.byPath(req.Mod.Path) == nil:
				problems = append(problems, fmt.Sprintf("%s requires %s, which is no module of this repository", rel, req.Mod.Path))
			case req.Mod.Version != r.version:
				problems = append(problems, fmt.Sprintf("%s requires %s %s, want %s (VERSION); run scripts/set-version.sh", rel, req.Mod.Path, req.Mod.Version, r.version))
			}
		}
	}
	if len(problems) > 0 {
		return errors.New("go.mod files disagree with VERSION:\n\t" + strings.Join(problems, "\n\t"))
	}
	fmt.Printf("check-version: %d modules, every streamkit requirement at %s\n", len(r.modules), r.version)
	return nil
}

// setVersion rewrites every nested go.mod so that its streamkit requirements
// are at VERSION. A go.mod already in agreement is left byte for byte as it
// is, so running it twice changes nothing the second time. replace directives
// are kept: consumers ignore them, and local builds need them.
func (r *repo) setVersion(w io.Writer) error {
	for _, m := range r.modules[1:] {
		changed := false
		for _, req := range r.siblingRequires(m) {
			if r.byPath(req.Mod.Path) == nil {
				return fmt.Errorf("%s requires %s, which is no module of this repository", m.gomod, req.Mod.Path)
			}
			if req.Mod.Version != r.version {
				if err := m.file.AddRequire(req.Mod.Path, r.version); err != nil {
					return err
				}
				changed = true
			}
		}
		if !changed {
			continue
		}
		m.file.Cleanup()
		out, err := m.file.Format()
		if err != nil {
			return err
		}
		old, err := os.ReadFile(m.gomod)
		if err != nil {
			return err
		}
		if bytes.Equal(old, out) {
			continue
		}
		if err := os.WriteFile(m.gomod, out, 0o666); err != nil {
			return err
		}
		fmt.Fprintf(w, "set-version: %s now requires its streamkit siblings at %s\n", filepath.ToSlash(filepath.Join(m.dir, "go.mod")), r.version)
	}
	return nil
}

// printPrevious prints the greatest release tag (vX.Y.Z, no pre-release)
// below version, or nothing when there is none: the base of the API
// compatibility check.
func (r *repo) printPrevious(version string) error {
	out, err := r.git("tag", "--list", "v*")
	if err != nil {
		return err
	}
	if prev := previousRelease(strings.Fields(string(out)), version); prev != "" {
		fmt.Println(prev)
	}
	return nil
}

// previousRelease returns the greatest of tags that is a canonical release
// version below version, or "".
func previousRelease(tags []string, version string) string {
	prev := ""
	for _, t := range tags {
		if !semver.IsValid(t) || semver.Canonical(t) != t || semver.Prerelease(t) != "" {
			continue
		}
		if semver.Compare(t, version) < 0 && (prev == "" || semver.Compare(t, prev) > 0) {
			prev = t
		}
	}
	return prev
}
