package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
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

// clockTick is USER_HZ, the unit of /proc's CPU times: 100 on every Linux
// architecture Go supports.
const clockTick = 10 * time.Millisecond

// machineCPU is the whole machine's CPU time from /proc/stat's "cpu" line.
type machineCPU struct {
	busy  time.Duration // user, nice, system, irq, softirq
	steal time.Duration // taken by the hypervisor
}

func readMachineCPU() (machineCPU, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineCPU{}, err
	}
	return parseMachineCPU(string(b))
}

func parseMachineCPU(stat string) (machineCPU, error) {
	for _, line := range strings.Split(stat, "\n") {
		f := strings.Fields(line)
		if len(f) < 9 || f[0] != "cpu" {
			continue
		}
		var v [8]int64
		for i := range v {
			n, err := strconv.ParseInt(f[i+1], 10, 64)
			if err != nil {
				return machineCPU{}, fmt.Errorf("/proc/stat: %w", err)
			}
			v[i] = n
		}
		// user nice system idle iowait irq softirq steal
		busy := v[0] + v[1] + v[2] + v[5] + v[6]
		return machineCPU{busy: time.Duration(busy) * clockTick, steal: time.Duration(v[7]) * clockTick}, nil
	}
	return machineCPU{}, fmt.Errorf("/proc/stat: no cpu line")
}

// processCPU is a process's user + system time, all threads, from
// /proc/PID/stat.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseProcessCPU(string(b))
}

func parseProcessCPU(stat string) (time.Duration, error) {
	// The command name, in parentheses, may hold spaces: count fields
	// after its closing parenthesis. utime and stime are fields 14 and 15.
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected /proc/PID/stat %q", stat)
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("unexpected /proc/PID/stat %q", stat)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unexpected /proc/PID/stat %q", stat)
	}
	return time.Duration(utime+stime) * clockTick, nil
}

// cpuSnapshot is the CPU time of the machine and of the gateway and the
// backend at one moment of a run.
type cpuSnapshot struct {
	at               time.Time
	machine          machineCPU
	gateway, backend time.Duration
}

// takeCPUSnapshot reads the machine's CPU time, the gateway's, and the sum
// of the backend processes' (the backend, and a Redis scenario's server).
func takeCPUSnapshot(gatewayPID int, backendPIDs ...int) (cpuSnapshot, error) {
	s := cpuSnapshot{at: time.Now()}
	var err error
	if s.machine, err = readMachineCPU(); err != nil {
		return s, err
	}
	if s.gateway, err = processCPU(gatewayPID); err != nil {
		return s, err
	}
	for _, pid := range backendPIDs {
		t, err := processCPU(pid)
		if err != nil {
			return s, err
		}
		s.backend += t
	}
	return s, nil
}

// cpuUse is where the CPU went during a run, each in cores (1.0 = one CPU
// busy the whole time).
type cpuUse struct {
	gateway float64 // the gateway process
	load    float64 // wrk and the backend
	other   float64 // everything else on the machine: noise
	steal   float64 // time the hypervisor gave to someone else
}

func cpuBetween(a, b cpuSnapshot, wrkCPU time.Duration) cpuUse {
	wall := b.at.Sub(a.at).Seconds()
	if wall <= 0 {
		return cpuUse{}
	}
	gw := (b.gateway - a.gateway).Seconds()
	load := (b.backend - a.backend + wrkCPU).Seconds()
	busy := (b.machine.busy - a.machine.busy).Seconds()
	return cpuUse{
		gateway: gw / wall,
		load:    load / wall,
		other:   max(0, busy-gw-load) / wall,
		steal:   (b.machine.steal - a.machine.steal).Seconds() / wall,
	}
}
