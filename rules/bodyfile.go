package rules

import (
	"bytes"
	"fmt"
	"io"
	"krakend-rules/config"
	"os"
	"strings"
)

// bodyDir is a response's body_dir: the directory its body_file is read
// from, through an os.Root, so that no name (a "../", an absolute path, a
// symbolic link that leads out, a NUL byte) reaches a file outside it.
// The directory is opened for each read rather than held open: a rules_file
// reload compiles new responses and nothing would close the old ones.
type bodyDir struct {
	dir   string
	limit int64
}

// errNoBodyFile is the error of a body_file that cannot be served: missing,
// outside body_dir, or not a regular file. The request answers 404.
type errNoBodyFile struct{ reason string }

func (e errNoBodyFile) Error() string { return e.reason }

// compileBodyDir checks that body_dir is a directory.
func compileBodyDir(errs *config.Errors, loc config.Path, dir string) *bodyDir {
	info, err := os.Stat(dir)
	switch {
	case err != nil:
		errs.Add(loc, "cannot be read: %v", unwrapPathError(err))
		return nil
	case !info.IsDir():
		errs.Add(loc, "%s is not a directory", dir)
		return nil
	}
	return &bodyDir{dir: dir, limit: config.MaxBodyFileBytes}
}

// read appends the file name (relative to the directory) to buf: a missing
// or irregular file, or one outside the directory, is an errNoBodyFile; one
// longer than the limit another error.
func (d *bodyDir) read(buf *bytes.Buffer, name string) error {
	if name == "" || strings.IndexByte(name, 0) >= 0 {
		return errNoBodyFile{fmt.Sprintf("no body_file %q", name)}
	}
	root, err := os.OpenRoot(d.dir)
	if err != nil {
		return fmt.Errorf("body_dir: %v", unwrapPathError(err))
	}
	defer root.Close()
	file, err := root.OpenFile(name, openFlags, 0)
	if err != nil {
		// Not found, outside the root ("path escapes from parent"), not
		// readable, or a name the system refuses: all one to a client.
		return errNoBodyFile{fmt.Sprintf("no body_file %q in %s: %v", name, d.dir, unwrapPathError(err))}
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return unwrapPathError(err)
	}
	if kind := irregular(info.Mode()); kind != "" {
		return errNoBodyFile{fmt.Sprintf("body_file %q in %s is %s", name, d.dir, kind)}
	}
	if info.Size() > d.limit {
		return fmt.Errorf("body_file %q in %s is too large: %d bytes, more than %s", name, d.dir, info.Size(), bytesLimit(d.limit))
	}
	start := buf.Len()
	buf.Grow(int(info.Size()) + 1) // +1: room to see EOF without growing
	if _, err := buf.ReadFrom(io.LimitReader(file, d.limit+1)); err != nil {
		return unwrapPathError(err)
	}
	if int64(buf.Len()-start) > d.limit {
		return fmt.Errorf("body_file %q in %s grew past %s", name, d.dir, bytesLimit(d.limit))
	}
	return nil
}
