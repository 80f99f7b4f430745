package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain runs main itself when a test starts this binary as relaycommander.
func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv("RC_TEST_MAIN_ARGS"); ok {
		os.Args = append([]string{"relaycommander"}, strings.Fields(args)...)
		main()
		return
	}
	os.Exit(m.Run())
}

// A reader that went away (| head) fails the writes to standard output instead of killing
// the process by SIGPIPE wherever it is (an update between two hosts, a replay between two
// changes): the command ends quietly with exit 1.
func TestStdoutReaderGoneEndsQuietly(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // the first write fails with EPIPE
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0])
	cmd.Env = append(os.Environ(), "RC_TEST_MAIN_ARGS=--help")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = w, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("relaycommander --help into a closed pipe: %v, want exit 1", err)
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		t.Fatalf("relaycommander --help into a closed pipe: killed by %v, want exit 1", ws.Signal())
	}
	if exit.ExitCode() != 1 || stderr.Len() > 0 {
		t.Errorf("relaycommander --help into a closed pipe: exit %d, stderr %q; want exit 1 and nothing on stderr", exit.ExitCode(), stderr.String())
	}
}
