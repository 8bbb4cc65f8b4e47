package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// tcpStateTimeWait is TIME_WAIT in /proc/net/tcp's "st" column.
const tcpStateTimeWait = "06"

// countTimeWait counts the TIME_WAIT sockets whose local or remote port is
// port, over IPv4 and IPv6 (what "ss -tan state time-wait" lists, narrowed
// to one port). Each run gets a fresh backend port, so the count is that
// run's connection churn towards the backend alone.
func countTimeWait(port int) (int, error) {
	n := 0
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		file, err := os.Open(f)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return 0, err
		}
		c, err := countTimeWaitIn(bufio.NewScanner(file), port)
		file.Close()
		if err != nil {
			return 0, fmt.Errorf("%s: %w", f, err)
		}
		n += c
	}
	return n, nil
}

func countTimeWaitIn(sc *bufio.Scanner, port int) (int, error) {
	n := 0
	first := true
	for sc.Scan() {
		if first { // the header line
			first = false
			continue
		}
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || fields[3] != tcpStateTimeWait {
			continue
		}
		if hexPort(fields[1]) == port || hexPort(fields[2]) == port {
			n++
		}
	}
	return n, sc.Err()
}

// hexPort returns the port of a /proc/net/tcp address such as
// "0100007F:1F90", or -1.
func hexPort(addr string) int {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return -1
	}
	p, err := strconv.ParseUint(addr[i+1:], 16, 16)
	if err != nil {
		return -1
	}
	return int(p)
}

// memStatus is a process's memory figures from /proc/PID/status, in bytes.
type memStatus struct {
	RSS int64 // VmRSS: resident now
	HWM int64 // VmHWM: the peak resident size so far
}

func readMemStatus(pid int) (memStatus, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memStatus{}, err
	}
	defer f.Close()
	return parseMemStatus(bufio.NewScanner(f))
}

func parseMemStatus(sc *bufio.Scanner) (memStatus, error) {
	var m memStatus
	var seen int
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		fields := strings.Fields(value) // "12345 kB"
		if len(fields) != 2 || fields[1] != "kB" {
			return m, fmt.Errorf("unexpected %s line %q", key, sc.Text())
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return m, fmt.Errorf("%s: %w", key, err)
		}
		if key == "VmRSS" {
			m.RSS = kb << 10
		} else {
			m.HWM = kb << 10
		}
		seen++
	}
	if err := sc.Err(); err != nil {
		return m, err
	}
	if seen != 2 {
		return m, fmt.Errorf("VmRSS or VmHWM missing")
	}
	return m, nil
}
