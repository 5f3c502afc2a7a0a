package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
)

// verifySums checks that every streamkit module the consumer resolved came
// from our proxy at version: each streamkit line of its go.sum must carry
// the hash of the zip or go.mod we published, and the module only (every
// public module when only is empty) must be there. A module fetched from anywhere else (a stranger's module of the
// same path on a public proxy, say) would carry another hash; one at another
// version has no zip here at all.
func (r *repo) verifySums(proxy, gosum, version, only string) error {
	if proxy == "" || gosum == "" {
		return errors.New("-proxy and -gosum are required")
	}
	f, err := os.Open(gosum)
	if err != nil {
		return err
	}
	defer f.Close()
	seen := map[string]bool{}
	var problems []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 || !r.ownPath(fields[0]) {
			continue
		}
		path, ver, sum := fields[0], fields[1], fields[2]
		want, err := publishedSum(proxy, path, ver)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s %s: not published by this check: %v", path, ver, err))
		case sum != want:
			problems = append(problems, fmt.Sprintf("%s %s: go.sum has %s, the proxy's is %s", path, ver, sum, want))
		}
		if ver != version && ver != version+"/go.mod" {
			problems = append(problems, fmt.Sprintf("%s resolved at %s, want %s", path, ver, version))
		}
		if strings.HasSuffix(ver, "/go.mod") {
			continue
		}
		seen[path] = true
	}
	if err := sc.Err(); err != nil {
		return err
	}
	for _, m := range r.public() {
		if (only == "" || only == m.path) && !seen[m.path] {
			problems = append(problems, fmt.Sprintf("%s: no zip hash in the consumer's go.sum; it was not built", m.path))
		}
	}
	if len(problems) > 0 {
		return errors.New("the consumer did not build against the published modules:\n\t" + strings.Join(problems, "\n\t"))
	}
	fmt.Printf("verify-sums: %d streamkit modules resolved at %s, all from the release proxy\n", len(seen), version)
	return nil
}

// publishedSum returns the go.sum hash of path at ver ("v1.2.3" for the zip,
// "v1.2.3/go.mod" for the go.mod) as published in the proxy folder.
func publishedSum(proxy, path, ver string) (string, error) {
	escPath, err := module.EscapePath(path)
	if err != nil {
		return "", err
	}
	v, isMod := strings.CutSuffix(ver, "/go.mod")
	escVer, err := module.EscapeVersion(v)
	if err != nil {
		return "", err
	}
	base := filepath.Join(proxy, filepath.FromSlash(escPath), "@v", escVer)
	if isMod {
		return dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) { return os.Open(base + ".mod") })
	}
	return dirhash.HashZip(base+".zip", dirhash.Hash1)
}

// addSums appends to the go.sum of the module in dir the checksums of the
// streamkit modules its go.mod requires, as published in the proxy folder.
// A nested module's own go.sum never has them, because its replace makes
// local builds read the siblings from disk; gorelease, reading the module as
// a user's build would, asks for them.
func (r *repo) addSums(dir, proxy string) error {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return err
	}
	f, err := modfile.ParseLax("go.mod", data, nil)
	if err != nil {
		return err
	}
	var lines []string
	for _, req := range f.Require {
		if !r.ownPath(req.Mod.Path) {
			continue
		}
		for _, ver := range []string{req.Mod.Version, req.Mod.Version + "/go.mod"} {
			sum, err := publishedSum(proxy, req.Mod.Path, ver)
			if err != nil {
				return fmt.Errorf("%s %s: %w", req.Mod.Path, ver, err)
			}
			lines = append(lines, fmt.Sprintf("%s %s %s\n", req.Mod.Path, ver, sum))
		}
	}
	out, err := os.OpenFile(filepath.Join(dir, "go.sum"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o666)
	if err != nil {
		return err
	}
	for _, l := range lines {
		if _, err := out.WriteString(l); err != nil {
			out.Close()
			return err
		}
	}
	return out.Close()
}
