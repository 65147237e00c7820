package main

import (
	"context"
	"errors"
)

func cmdBench(ctx context.Context, args []string) error { return errors.New("bench: not yet wired") }
