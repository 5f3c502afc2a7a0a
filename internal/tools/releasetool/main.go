// Command releasetool keeps streamkit's modules releasable in lock-step.
//
// Every module of the repository is released at the one version held in the
// root VERSION file, and every nested module requires its streamkit siblings
// at exactly that version. scripts/set-version.sh and scripts/release-check.sh
// are thin wrappers around the subcommands:
//
//	releasetool modules      [-root dir] [-public]
//	releasetool set-version  [-root dir]
//	releasetool check-version [-root dir]
//	releasetool proxy        [-root dir] -out dir [-version v] [-rev tag] [-unlisted]
//	releasetool previous     [-root dir] [-version v]
//	releasetool consumer     [-root dir] -out dir [-version v] [-module path]
//	releasetool add-sums     [-root dir] -proxy dir [-dir moduledir]
//	releasetool verify-sums  [-root dir] -proxy dir -gosum file [-version v] [-module path]
//
// The root is found from the working directory (the nearest folder above it
// holding a VERSION file) unless -root says otherwise. Go commands it runs use
// GOWORK=off, like the Makefile, so each module is read with its own
// requirements.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	cmd, args := os.Args[1], os.Args[2:]
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	root := fs.String("root", "", "repository root (default: the nearest folder above the working directory holding VERSION)")
	var err error
	switch cmd {
	case "modules":
		public := fs.Bool("public", false, "list only the public modules")
		fs.Parse(args)
		err = withRepo(*root, func(r *repo) error { return r.printModules(*public) })
	case "set-version":
		fs.Parse(args)
		err = withRepo(*root, func(r *repo) error { return r.setVersion(os.Stdout) })
	case "check-version":
		fs.Parse(args)
		err = withRepo(*root, func(r *repo) error { return r.checkVersion() })
	case "proxy":
		out := fs.String("out", "", "folder of the file-system module proxy (created; added to if it exists)")
		version := fs.String("version", "", "version to publish (default: VERSION)")
		rev := fs.String("rev", "", "git revision to zip instead of the working tree (for an earlier release)")
		unlisted := fs.Bool("unlisted", false, "fetchable by exact version, but left out of @v/list")
		fs.Parse(args)
		err = withRepo(*root, func(r *repo) error { return r.writeProxy(*out, r.versionOr(*version), *rev, *unlisted) })
	case "previous":
		version := fs.String("version", "", "the version being released (default: VERSION)")
		fs.Parse(args)
		err = withRepo(*root, func(r *repo) error { return r.printPrevious(r.versionOr(*version)) })
	case "consumer":
		out := fs.String("out", "", "folder to write the consumer program into")
		version := fs.String("version", "", "version the program is built against (default: VERSION)")
		only := fs.String("module", "", "use only this module's packages (default: every public module's)")
		fs.Parse(args)
		err = withRepo(*root, func(r *repo) error { return r.writeConsumer(*out, r.versionOr(*version), *only) })
	case "verify-sums":
		proxy := fs.String("proxy", "", "the file-system module proxy written by the proxy subcommand")
		gosum := fs.String("gosum", "", "the consumer's go.sum")
		version := fs.String("version", "", "expected version (default: VERSION)")
		only := fs.String("module", "", "the module the consumer was built for (default: every public module)")
		fs.Parse(args)
		err = withRepo(*root, func(r *repo) error { return r.verifySums(*proxy, *gosum, r.versionOr(*version), *only) })
	case "add-sums":
		dir := fs.String("dir", ".", "folder of the module whose go.sum gets its streamkit requirements' checksums")
		proxy := fs.String("proxy", "", "the file-system module proxy written by the proxy subcommand")
		fs.Parse(args)
		err = withRepo(*root, func(r *repo) error { return r.addSums(*dir, *proxy) })
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "releasetool "+cmd+":", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: releasetool modules|set-version|check-version|proxy|previous|consumer|verify-sums|add-sums [flags]")
	os.Exit(2)
}

func withRepo(root string, f func(*repo) error) error {
	if root == "" {
		var err error
		if root, err = findRoot(); err != nil {
			return err
		}
	}
	r, err := loadRepo(root)
	if err != nil {
		return err
	}
	return f(r)
}

// findRoot returns the nearest folder at or above the working directory that
// holds a VERSION file.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "VERSION")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no VERSION file at or above the working directory (use -root)")
		}
		dir = parent
	}
}
