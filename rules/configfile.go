package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Files a configuration names — a rules_file, a body_file — are read here:
// never one whose open or read could block or never end, and bounded.

// readConfigFile reads a rules_file or body_file of at most limit bytes without ever
// blocking: it is opened non-blocking, so that a named pipe put in its
// place since it was checked cannot hang the open, and checked again once
// open. It returns the content and the opened file's stamp (ok is false
// where the system gives none), or the problem, located, for the log.
func readConfigFile(path, what string, limit int64) (content []byte, stamp fileStamp, ok bool, problem string) {
	file, err := os.OpenFile(path, openFlags, 0)
	if err != nil {
		return nil, stamp, false, "cannot be read: " + unwrapPathError(err).Error()
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return nil, stamp, false, "cannot be read: " + unwrapPathError(err).Error()
	}
	if kind := irregular(info.Mode()); kind != "" {
		return nil, stamp, false, "cannot be read: " + path + ": " + kind
	}
	if info.Size() > limit {
		return nil, stamp, false, fmt.Sprintf("is too large: %s: %d bytes, more than the %s a %s may hold", path, info.Size(), bytesLimit(limit), what)
	}
	stamp, ok = stampOf(info)
	var buf bytes.Buffer
	buf.Grow(int(info.Size()) + bytes.MinRead)
	// A file that grows while it is read is cut at the limit, plus one
	// byte to know that it went past it.
	if _, err := buf.ReadFrom(io.LimitReader(file, limit+1)); err != nil {
		return nil, stamp, false, "cannot be read: " + unwrapPathError(err).Error()
	}
	if int64(buf.Len()) > limit {
		return nil, stamp, false, fmt.Sprintf("is too large: %s: more than the %s a %s may hold", path, bytesLimit(limit), what)
	}
	return buf.Bytes(), stamp, ok, ""
}

// bytesLimit says a size limit in bytes, and in MiB when it is a whole
// number of them.
func bytesLimit(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d bytes (%d MiB)", n, n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// irregular says what a file that is not a regular file is, "" for a
// regular one. Reading the others could block forever (a named pipe with
// no writer, a terminal), never end (/dev/zero, /dev/urandom) or fail.
func irregular(mode fs.FileMode) string {
	var kind string
	switch {
	case mode.IsRegular():
		return ""
	case mode.IsDir():
		kind = "a directory"
	case mode&fs.ModeNamedPipe != 0:
		kind = "a named pipe (FIFO)"
	case mode&fs.ModeSocket != 0:
		kind = "a socket"
	case mode&fs.ModeCharDevice != 0:
		kind = "a character device"
	case mode&fs.ModeDevice != 0:
		kind = "a block device"
	default:
		kind = "a special file"
	}
	return "is " + kind + ", not a regular file"
}

// unwrapPathError drops the operation from a file error: "open x: no such
// file" reads better as "x: no such file".
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %v", pe.Path, pe.Err)
	}
	return err
}
