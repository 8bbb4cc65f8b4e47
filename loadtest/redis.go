package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// startRedis starts a redis-server of its own for one run of a Redis
// scenario, on 127.0.0.1:port, without persistence, pinned to cpu (the
// backends' CPU), and waits until it answers PING. Without redis-server the
// scenario is skipped (errSkipped), with how to install it.
func startRedis(ctx context.Context, p *procs, dir string, port, cpu int) (*proc, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("%w: redis-server not found (apt-get install redis-server)", errSkipped)
	}
	argv := pinned(cpu, bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir, "--loglevel", "warning")
	pr, err := p.start("redis-server", filepath.Join(dir, "redis.log"), nil, argv...)
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if pr.exited() {
			return nil, fmt.Errorf("redis-server exited (%v) before answering on %s; its log ends:\n%s", pr.err, addr, pr.logTail(15))
		}
		err = pingRedis(addr)
		if err == nil {
			return pr, nil
		}
		if time.Now().After(deadline) {
			pr.stop(5 * time.Second)
			return nil, fmt.Errorf("redis-server did not answer PING on %s within 10s (last: %v); its log ends:\n%s", addr, err, pr.logTail(15))
		}
		select {
		case <-ctx.Done():
			pr.stop(5 * time.Second)
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// pingRedis sends PING in Redis's inline protocol and reads +PONG.
func pingRedis(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(time.Second)); err != nil {
		return err
	}
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return errors.New("PING answered " + strconv.Quote(line))
	}
	return nil
}
