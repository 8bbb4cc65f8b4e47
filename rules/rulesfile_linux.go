package rules

import (
	"os"
	"syscall"
	"time"
)

// openFlags open a rules_file without blocking on a named pipe, and without
// making a terminal the process's controlling one.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK | syscall.O_NOCTTY

// fileStamp tells whether the file a path leads to may have changed: which
// file it is (device and inode), its size, and its modification and change
// times in nanoseconds. The change time moves with every write, rename
// onto it or attribute change, and no one can set it back, unlike the
// modification time.
type fileStamp struct {
	dev, ino     uint64
	size         int64
	mtime, ctime int64
}

func stampOf(info os.FileInfo) (fileStamp, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fileStamp{}, false
	}
	return fileStamp{
		dev:   uint64(st.Dev),
		ino:   uint64(st.Ino),
		size:  st.Size,
		mtime: st.Mtim.Nano(),
		ctime: st.Ctim.Nano(),
	}, true
}

// changed is when the file last changed, as far as its times say.
func (s fileStamp) changed() time.Time { return time.Unix(0, max(s.mtime, s.ctime)) }
