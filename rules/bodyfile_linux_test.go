//go:build linux

package rules

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestABodyFileThatIsNotARegularFileIsAConfigurationError: a body_file is
// read at load, like a rules_file, and neither a named pipe (whose open
// would block the gateway's start) nor a device (whose read never ends)
// can hang it.
func TestABodyFileThatIsNotARegularFileIsAConfigurationError(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "body.fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	for path, want := range map[string]string{
		fifo:          "is a named pipe (FIFO), not a regular file",
		"/dev/zero":   "not a regular file",
		t.TempDir():   "is a directory",
		"/no/such/fi": "no such file or directory",
	} {
		var err error
		within(t, "loading a body_file "+path, func() {
			_, err = New(t.Context(), decodeJSON(t, `{"rules":[{"response":{"body_file":"`+path+`"}}]}`), Options{})
		})
		if err == nil || !strings.Contains(err.Error(), "rules[0].response.body_file: cannot be read: "+path+": ") || !strings.Contains(err.Error(), want) {
			t.Errorf("body_file %s: %v, want an error saying %q", path, err, want)
		}
	}
}
