package main

import (
	"context"
	"errors"
)

func cmdUp(ctx context.Context, args []string) error        { return errors.New("not yet wired") }
func cmdDemo(ctx context.Context, args []string) error      { return errors.New("not yet wired") }
func cmdSignEvent(ctx context.Context, args []string) error { return errors.New("not yet wired") }
func cmdBench(ctx context.Context, args []string) error     { return errors.New("not yet wired") }
