// Package peakrss reports a process's peak resident set, for the benchmark
// harness. A child's rusage counts the memory of its parent from before exec,
// so each measured program writes its own figure.
package peakrss

import (
	"os"
	"strings"
)

// EnvVar names the file a measured program writes its peak RSS to, in KiB.
const EnvVar = "HARVEST_PEAK_RSS_FILE"

// WriteIfAsked writes this process's peak RSS (VmHWM, Linux only) to the
// file EnvVar names, when it names one.
func WriteIfAsked() {
	path := os.Getenv(EnvVar)
	if path == "" {
		return
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			_ = os.WriteFile(path, []byte(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB"))), 0o644)
		}
	}
}
