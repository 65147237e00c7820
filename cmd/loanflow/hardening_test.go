package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"loanflow/infra/local"
	"loanflow/infra/local/sqlitedb"
)

func TestBackupCopiesTheStateOfARunningStack(t *testing.T) {
	dir := t.TempDir()
	s, err := local.Start(context.Background(), local.Options{Addr: "127.0.0.1:0", StateDir: dir,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	to := filepath.Join(t.TempDir(), "copy.db")
	if code := run(context.Background(), []string{"backup", "--state", dir, "--to", to}, discard); code != 0 {
		t.Fatalf("backup exited %d", code)
	}
	db, err := sqlitedb.Open(to)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlitedb.Close(db)
	var machines int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type = 'table'`).Scan(&machines); err != nil || machines == 0 {
		t.Fatalf("the copy holds %d tables (%v)", machines, err)
	}
	if code := run(context.Background(), []string{"backup", "--state", dir, "--to", to}, discard); code != 1 {
		t.Fatalf("a backup over an existing file exited %d, want 1", code)
	}
	if code := run(context.Background(), []string{"backup", "--state", dir}, discard); code != 2 {
		t.Fatalf("backup without --to exited %d, want 2", code)
	}
	missing := filepath.Join(t.TempDir(), "none")
	if code := run(context.Background(), []string{"backup", "--state", missing, "--to", filepath.Join(t.TempDir(), "x.db")}, discard); code != 1 {
		t.Fatalf("backup of a missing state exited %d, want 1", code)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("backup created the state directory it was to copy")
	}
}

func TestUpRefusesAPublicAddressWithoutTheFlag(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	for _, args := range [][]string{
		{"up", "--addr", ":0", "--state", dir},
		{"up", "--addr", "0.0.0.0:0", "--state", dir},
		{"up", "--addr", "127.0.0.1:0", "--allow-host", "http://evil.example/", "--state", dir},
	} {
		if code := run(context.Background(), args, discard); code != 1 {
			t.Errorf("%v exited %d, want 1", args, code)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%v created the state directory", args)
		}
	}
}
