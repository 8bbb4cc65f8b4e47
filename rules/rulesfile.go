package rules

import (
	"context"
	"crypto/sha256"
	"fmt"
	"krakend-rules/config"
	"os"
	"strconv"
	"time"
)

// MaxRulesFileBytes is the largest rules_file the plugin reads (64 MiB). A
// longer one is rejected like an invalid one: the rules in force stay.
const MaxRulesFileBytes = 64 << 20

// settleTime is how old a file's last change must be, when it is read, for
// its timestamps to vouch for its content until they change. A write that
// follows the read then gets a later timestamp, even on a file system that
// counts time in coarse steps (FAT's are 2 seconds; Linux's own clock for
// file times advances in steps of a few milliseconds). A file changed more
// recently is read again at each poll until it has been quiet that long.
const settleTime = 2 * time.Second

// rulesFile is a watched rules_file: its rules come after the inline ones.
type rulesFile struct {
	path     string
	interval time.Duration
	// tried says the content was read and tried, valid or not (false when
	// it could not be read), and digest is its SHA-256: what tells a file
	// read again with the same content, without keeping the content (as
	// large as the rules, for the process's life) to compare.
	tried   bool
	digest  [sha256.Size]byte
	failure error // why the last try failed; nil when it was put in force

	// stamp is the identity, size and times of the file last read, as it
	// was opened; while the path still leads to a file with that stamp,
	// and trusted says the stamp can vouch for it, the file is not read
	// again.
	stamp   fileStamp
	trusted bool
	reads   int              // how many times the file was read
	now     func() time.Time // the clock; nil is time.Now
}

func compileRulesFile(cfg *config.Config) *rulesFile {
	f := &rulesFile{path: cfg.RulesFile, interval: config.DefaultReloadInterval}
	if cfg.ReloadEvery > 0 {
		f.interval = cfg.ReloadEvery
	}
	return f
}

// watchRulesFile polls the rules_file until ctx ends.
func (e *Engine) watchRulesFile(ctx context.Context) {
	t := time.NewTicker(e.rulesFile.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			e.reloadRulesFile()
		}
	}
}

// reloadRulesFile reads the rules_file and, when it changed and is valid,
// puts its rules in force. A file that cannot be read, is not a regular
// file or is too large, and an invalid file, are logged with their located
// errors, and the rules in force stay (none at start-up: the engine then
// fails closed).
//
// Each poll costs one stat of the path (symbolic links followed) while the
// file is unchanged: it is read again only when the file it leads to is
// another one (a new inode, as after an editor's save, a rename over it or
// a Kubernetes ConfigMap update) or when its size, modification time or
// change time differ from the last read (see settleTime). Content read
// again but identical is not put in force again.
func (e *Engine) reloadRulesFile() {
	f := e.rulesFile
	now := time.Now()
	if f.now != nil {
		now = f.now()
	}
	info, err := os.Stat(f.path)
	if err != nil {
		e.rulesFileFailed("cannot be read: " + unwrapPathError(err).Error())
		return
	}
	if kind := irregular(info.Mode()); kind != "" {
		e.rulesFileFailed("cannot be read: " + f.path + ": " + kind)
		return
	}
	if f.tried && f.trusted {
		if stamp, ok := stampOf(info); ok && stamp == f.stamp {
			return
		}
	}
	content, stamp, ok, problem := readConfigFile(f.path, "rules_file", MaxRulesFileBytes)
	if problem != "" {
		e.rulesFileFailed(problem)
		return
	}
	f.reads++
	f.stamp = stamp
	f.trusted = ok && int64(len(content)) == stamp.size && now.Sub(stamp.changed()) >= settleTime
	digest := sha256.Sum256(content)
	if f.tried && digest == f.digest {
		return
	}
	f.tried, f.digest = true, digest
	fileRules, err := config.DecodeRulesFile(f.path, content)
	var set *ruleSet
	if err == nil {
		set, err = e.compileRules(fileRules, f.path)
	}
	f.failure = err
	if err != nil {
		errs := config.List(err)
		e.log.Error(fmt.Sprintf("rules_file %s is invalid (%s); %s:", strconv.Quote(f.path), plural(len(errs), "error"), keptOrClosed(e)))
		for _, err := range errs {
			e.log.Error("invalid configuration:", err.Error())
		}
		return
	}
	e.install(set, " (with rules_file "+strconv.Quote(f.path)+")")
}

// rulesFileFailed records and logs a rules_file that could not be read. It
// is logged when it starts failing, or while the backend fails closed; a
// failure that goes on is not logged at every poll.
func (e *Engine) rulesFileFailed(problem string) {
	f := e.rulesFile
	f.failure = &config.Error{Location: config.Location{At: config.At("rules_file")}, Problem: problem}
	if f.tried || e.current.Load() == nil {
		e.log.Error(fmt.Sprintf("rules_file %s %s; %s", strconv.Quote(f.path), problem, keptOrClosed(e)))
	}
	f.tried, f.trusted = false, false
}

func keptOrClosed(e *Engine) string {
	if e.current.Load() == nil {
		return "every request to this backend answers 500 until it is valid"
	}
	return "the rules in force stay"
}
