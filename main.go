// Command relaycommander flips LaunchDarkly feature flags directly in the Redis store that the
// Relay Proxy serves from while LaunchDarkly is unreachable, records every change in a journal,
// and replays the journal to LaunchDarkly when it is back.
//
// This file is the entry point only: the process's signals, streams and exit code. The command
// line is package tui/cli.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/charmbracelet/x/term"

	"relaycommander/tui/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// A reader that goes away (| head) then fails the writes to standard output instead of
	// killing the process wherever it is (an update between two hosts): cli.Run stops the
	// output and ends the command quietly.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	dir, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(os.Stderr, "relaycommander: working directory: %v\n", err)
		os.Exit(cli.ExitError)
	}
	code := cli.Run(ctx, &cli.System{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Env: environ(), Dir: dir,
		StdinTTY:  term.IsTerminal(os.Stdin.Fd()),
		StdoutTTY: term.IsTerminal(os.Stdout.Fd()),
	}, os.Args[1:])
	stop()
	os.Exit(code)
}

// environ is the process environment as a map.
func environ() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}
