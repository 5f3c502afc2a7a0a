package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

// writeProxy adds every public module at version to the file-system module
// proxy in out (GOPROXY=file://out), laid out as the GOPROXY protocol says:
// <escaped path>/@v/{list,<v>.info,<v>.mod,<v>.zip}.
//
// With rev empty the modules come from the working tree: the files git
// tracks, plus new files it does not ignore, so that what is checked is what
// a commit and tag of this tree would publish (built binaries, bench output
// and node_modules stay out). With rev set (an earlier release's tag) they
// come from that revision, as the Go module mirror would zip them.
// Either way golang.org/x/mod/zip makes the zip, leaving out nested modules.
//
// An unlisted version can be fetched by its exact version but is not in
// @v/list, as with a pseudo-version on a public proxy: the version about to
// be released must not look released already (gorelease refuses a version
// that `go list -m -versions` shows).
func (r *repo) writeProxy(out, version, rev string, unlisted bool) error {
	if out == "" {
		return errors.New("-out is required")
	}
	if !module.IsPseudoVersion(version) && !isCanonical(version) {
		return fmt.Errorf("version %q is not canonical", version)
	}
	stamp, err := r.commitTime(rev)
	if err != nil {
		return err
	}
	for _, m := range r.public() {
		mv := module.Version{Path: m.path, Version: version}
		goMod, err := r.goModAt(m, rev)
		if errors.Is(err, errAbsent) {
			continue // the module did not exist yet at rev
		}
		if err != nil {
			return err
		}
		var zbuf bytes.Buffer
		if rev == "" {
			var files []zip.File
			files, err = r.workingFiles(m)
			switch {
			case errors.Is(err, errNoGit):
				err = zip.CreateFromDir(&zbuf, mv, filepath.Join(r.root, filepath.FromSlash(m.dir)))
			case err == nil:
				err = zip.Create(&zbuf, mv, files)
			}
		} else {
			err = zip.CreateFromVCS(&zbuf, mv, r.root, rev, strings.TrimPrefix(m.dir, "."))
		}
		if err != nil {
			return fmt.Errorf("%s: %w", m.dir, err)
		}
		if err := publish(out, mv, stamp, goMod, zbuf.Bytes(), unlisted); err != nil {
			return err
		}
		fmt.Printf("proxy: %s@%s (%d KiB)\n", m.path, version, (zbuf.Len()+1023)/1024)
	}
	return nil
}

func isCanonical(v string) bool {
	_, err := module.EscapeVersion(v)
	return err == nil && strings.HasPrefix(v, "v")
}

var errAbsent = errors.New("absent at that revision")

// goModAt returns module m's go.mod, from the working tree or from rev.
func (r *repo) goModAt(m *mod, rev string) ([]byte, error) {
	if rev == "" {
		return os.ReadFile(m.gomod)
	}
	name := "go.mod"
	if m.dir != "." {
		name = m.dir + "/go.mod"
	}
	out, err := r.git("cat-file", "blob", rev+":"+name)
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", name, rev, errAbsent)
	}
	return out, nil
}

// publish writes one module version into the proxy folder, and adds it to
// @v/list unless unlisted.
func publish(out string, mv module.Version, stamp time.Time, goMod, zipData []byte, unlisted bool) error {
	escPath, err := module.EscapePath(mv.Path)
	if err != nil {
		return err
	}
	escVer, err := module.EscapeVersion(mv.Version)
	if err != nil {
		return err
	}
	dir := filepath.Join(out, filepath.FromSlash(escPath), "@v")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{mv.Version, stamp.UTC()})
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{escVer + ".info": info, escVer + ".mod": goMod, escVer + ".zip": zipData} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o666); err != nil {
			return err
		}
	}
	if unlisted {
		return nil
	}
	// list: every listed version, one a line.
	var versions []string
	if old, err := os.ReadFile(filepath.Join(dir, "list")); err == nil {
		versions = strings.Fields(string(old))
	}
	if !slices.Contains(versions, mv.Version) {
		versions = append(versions, mv.Version)
	}
	return os.WriteFile(filepath.Join(dir, "list"), []byte(strings.Join(versions, "\n")+"\n"), 0o666)
}

// commitTime is the time of rev's commit (HEAD's for the working tree), so
// that the .info files do not change from run to run.
func (r *repo) commitTime(rev string) (time.Time, error) {
	if rev == "" {
		rev = "HEAD"
	}
	out, err := r.git("log", "-1", "--format=%cI", rev)
	if err != nil {
		if rev == "HEAD" {
			return time.Now().UTC().Truncate(time.Second), nil // not a git checkout
		}
		return time.Time{}, err
	}
	return time.Parse(time.RFC3339, strings.TrimSpace(string(out)))
}

func (r *repo) git(args ...string) ([]byte, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = r.root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

var errNoGit = errors.New("not a git checkout")

// workingFiles lists module m's files as a commit of the working tree would
// hold them: tracked files still present, and untracked files git does not
// ignore. Files of nested modules are listed too; zip.Create leaves them out
// because their folder holds a go.mod.
func (r *repo) workingFiles(m *mod) ([]zip.File, error) {
	if _, err := os.Stat(filepath.Join(r.root, ".git")); err != nil {
		return nil, errNoGit
	}
	dir := filepath.Join(r.root, filepath.FromSlash(m.dir))
	out, err := r.git("-C", dir, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ".")
	if err != nil {
		return nil, err
	}
	var files []zip.File
	for _, rel := range strings.Split(string(out), "\x00") {
		if rel == "" {
			continue
		}
		abs := filepath.Join(dir, filepath.FromSlash(rel))
		if _, err := os.Lstat(abs); errors.Is(err, os.ErrNotExist) {
			continue // deleted in the working tree, not yet committed
		}
		files = append(files, diskFile{rel: rel, abs: abs})
	}
	return files, nil
}

// diskFile is a file of the working tree, as zip.Create reads it.
type diskFile struct {
	rel, abs string
}

func (f diskFile) Path() string                 { return f.rel }
func (f diskFile) Lstat() (os.FileInfo, error)  { return os.Lstat(f.abs) }
func (f diskFile) Open() (io.ReadCloser, error) { return os.Open(f.abs) }
