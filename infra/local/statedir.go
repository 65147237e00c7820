package local

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"loanflow/infra/config"
	"loanflow/infra/local/secretsmgr"
	"loanflow/infra/local/sqlitedb"
)

// ErrNotLoopback refuses a listen address that other machines could reach
// (Options.ListenPublic allows one).
var ErrNotLoopback = errors.New("not a loopback address")

// listen binds addr, refusing a non-loopback address unless public: the
// stack has no authentication (any credentials are accepted) and its
// console shows what it holds. An address whose host is an IP literal or
// empty is judged before binding; a name, by the address it bound.
func listen(addr string, public bool) (net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", addr, err)
	}
	refuse := func(ip net.IP) error {
		what := "every interface"
		if !ip.IsUnspecified() {
			what = ip.String()
		}
		return fmt.Errorf("refusing to listen on %s (%s): %w: other machines could reach the local stack, which accepts any credentials. "+
			"Listen on 127.0.0.1 (--addr 127.0.0.1:%s), or pass --listen-public if other machines must reach it", addr, what, ErrNotLoopback, port)
	}
	if !public {
		if host == "" {
			return nil, refuse(net.IPv4zero)
		}
		if ip := net.ParseIP(host); ip != nil && !ip.IsLoopback() {
			return nil, refuse(ip)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("listen on %s: %w (is another local stack running? use --addr)", addr, err)
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; !public && !ip.IsLoopback() {
		_ = ln.Close()
		return nil, refuse(ip)
	}
	return ln, nil
}

// endpointFor is the URL to call a stack bound to a on: its own address,
// or 127.0.0.1 for every interface ([::] and 0.0.0.0 are not addresses a
// client can use).
func endpointFor(a *net.TCPAddr) string { return "http://" + endpointAddr(a).String() }

// endpointAddr is the address a client calls a listener bound to a on.
func endpointAddr(a *net.TCPAddr) *net.TCPAddr {
	if a.IP.IsUnspecified() {
		return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: a.Port}
	}
	return a
}

// reachableListener reports, as its Addr, the address its clients call it
// on: the stack's own calls (table.go) go to the endpoint, never to [::].
type reachableListener struct {
	net.Listener
	addr net.Addr
}

func (l reachableListener) Addr() net.Addr { return l.addr }

// StateFileName is the name of the SQLite file in the state directory.
const StateFileName = "loanflow.db"

// HeldFile is written into the state directory once a stack has started
// on it: with it, a missing or empty StateFileName is damage, not a fresh
// start.
const HeldFile = "stack.json"

// ErrStateDamaged refuses a state directory whose database is damaged, or
// missing or empty while the directory shows it held a stack.
var ErrStateDamaged = errors.New("the local stack's state is damaged")

// stateDir is the state directory as one start found it: what was there,
// so that a start that fails can take away what it added.
type stateDir struct {
	dir       string
	dirExists bool
	existed   map[string]bool // file name -> present before this start
	lock      *stateLock      // held from open to release
}

// stateFiles are the files a start may create in the state directory.
var stateFiles = []string{StateFileName, StateFileName + "-wal", StateFileName + "-shm", SecretsFile, HeldFile}

// openStateDir creates dir if needed, takes its lock (one stack per
// directory), then, after reset has removed the database and HeldFile,
// refuses it when its database is missing or empty while other files show
// it held a stack: starting would silently replace executions, queued
// messages and task tokens with nothing. The lock names its holder
// once the start succeeds (markHeld).
func openStateDir(dir string, reset bool) (_ *stateDir, err error) {
	d := &stateDir{dir: dir, existed: map[string]bool{}}
	if _, err := os.Stat(dir); err == nil {
		d.dirExists = true
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("state dir %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state dir %s: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, LockFile)); err == nil {
		d.existed[LockFile] = true
	}
	if d.lock, err = lockState(dir); err != nil {
		// Not ours: nothing in it is touched (undo would judge every file
		// new, as none was looked at yet).
		if !d.dirExists {
			_ = os.Remove(dir)
		}
		return nil, err
	}
	// Until every file has been looked at, a failure takes away only what
	// this start made (the lock file, the directory): undo would judge the
	// files not looked at yet as new, and remove them.
	looked := false
	defer func() {
		switch {
		case err == nil:
		case looked:
			d.undo()
		default:
			d.undoLock()
		}
	}()
	if reset {
		for _, f := range []string{StateFileName, StateFileName + "-wal", StateFileName + "-shm", HeldFile} {
			if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("reset state: %w", err)
			}
		}
	}
	sizes := map[string]int64{}
	for _, f := range append(stateFiles, LegacySecretFile) {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err == nil {
			d.existed[f], sizes[f] = true, fi.Size()
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("state dir %s: %w", dir, err)
		}
	}
	looked = true
	if !reset && (!d.existed[StateFileName] || sizes[StateFileName] == 0) {
		var held []string
		for _, f := range []string{HeldFile, SecretsFile, LegacySecretFile, StateFileName + "-wal"} {
			if d.existed[f] && (f == HeldFile || sizes[f] > 0) {
				held = append(held, f)
			}
		}
		if len(held) > 0 {
			what := "is missing"
			if d.existed[StateFileName] {
				what = "is empty (0 bytes)"
			}
			return nil, d.damaged(fmt.Sprintf("%s %s, but the directory held a local stack (%s): its executions, queued messages "+
				"and task tokens are not there", StateFileName, what, strings.Join(held, ", ")))
		}
	}
	return d, nil
}

func (d *stateDir) dbPath() string { return filepath.Join(d.dir, StateFileName) }

// damaged is ErrStateDamaged, saying what is wrong and what to do.
func (d *stateDir) damaged(what string) error {
	return fmt.Errorf("%w in %s: %s.\n"+
		"Nothing was changed, and the stack did not start.\n"+
		"To restore a backup (made by loanflow backup --to FILE): move %s and any %s-wal and %s-shm out of %s, copy the backup to %s, and start again.\n"+
		"To discard the state and start empty: loanflow up --reset --state %s (the signing keys in %s are kept)",
		ErrStateDamaged, d.dir, what, StateFileName, StateFileName, StateFileName, d.dir, d.dbPath(), d.dir, SecretsFile)
}

// openDB opens the database and runs SQLite's quick_check over it, which
// reads every page once: a file that SQLite finds damaged is refused
// rather than served until some read fails.
func (d *stateDir) openDB(ctx context.Context, log *slog.Logger) (*sql.DB, error) {
	db, err := sqlitedb.Open(d.dbPath())
	if err != nil {
		if sqlitedb.IsDamaged(err) {
			return nil, d.damaged(StateFileName + " is not a readable SQLite database (" + err.Error() + "); keep it: SQLite's .recover may salvage rows from it")
		}
		return nil, err
	}
	started := time.Now()
	if err := sqlitedb.QuickCheck(ctx, db); err != nil {
		_ = sqlitedb.Close(db)
		if sqlitedb.IsDamaged(err) {
			return nil, d.damaged(StateFileName + " is damaged (" + strings.TrimPrefix(err.Error(), sqlitedb.ErrDamaged.Error()+": ") +
				"); keep it: SQLite's .recover may salvage rows from it")
		}
		return nil, fmt.Errorf("check %s: %w", d.dbPath(), err)
	}
	var tables int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'").Scan(&tables); err != nil {
		_ = sqlitedb.Close(db)
		return nil, fmt.Errorf("check %s: %w", d.dbPath(), err)
	}
	if tables == 0 && d.existed[HeldFile] {
		_ = sqlitedb.Close(db)
		return nil, d.damaged(StateFileName + " holds no tables, but the directory held a local stack (" + HeldFile + ")")
	}
	var size int64
	if fi, err := os.Stat(d.dbPath()); err == nil {
		size = fi.Size()
	}
	log.InfoContext(ctx, "state file checked", "file", d.dbPath(), "bytes", size, "quickCheckMs", time.Since(started).Milliseconds())
	return db, nil
}

// markHeld writes HeldFile, once, and names the stack serving endpoint in
// the lock it holds.
func (d *stateDir) markHeld(endpoint string) error {
	if err := d.lock.announce(endpoint); err != nil {
		return err
	}
	p := filepath.Join(d.dir, HeldFile)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	_, err = fmt.Fprintf(f, "{\"stateFile\": %q, \"firstStarted\": %q}\n", StateFileName, time.Now().UTC().Format(time.RFC3339))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("state dir: write %s: %w", p, err)
	}
	return nil
}

// undo removes what this start created: the files that were not there
// (the -wal and -shm files only with a database it created, the lock file
// only while it holds it), then drops the lock, then removes the directory
// if it made it. Call it after the database is closed.
func (d *stateDir) undo() {
	for _, f := range stateFiles {
		if d.existed[f] || (d.existed[StateFileName] && strings.HasPrefix(f, StateFileName+"-")) {
			continue
		}
		_ = os.Remove(filepath.Join(d.dir, f))
	}
	d.undoLock()
}

// undoLock removes the lock file if this start made it, while it still
// holds it, then drops the lock, then removes the directory if this start
// made it.
func (d *stateDir) undoLock() {
	if d.lock != nil && !d.existed[LockFile] {
		_ = os.Remove(filepath.Join(d.dir, LockFile))
	}
	d.release()
	if !d.dirExists {
		_ = os.Remove(d.dir) // only if empty: never what another process put there
	}
}

// release drops the directory's lock, leaving the lock file as it is.
func (d *stateDir) release() {
	d.lock.release()
	d.lock = nil
}

// stop empties the lock file and drops the lock: a stopped stack's last
// step.
func (d *stateDir) stop() {
	d.lock.vacate()
	d.lock = nil
}

// SecretsFile is the name of the local Secrets Manager's file in the state
// directory.
const SecretsFile = "secrets.json"

// LegacySecretFile is where stacks before the local Secrets Manager kept the
// signing key; its key is carried over.
const LegacySecretFile = "signing-key"

// WebhookAPIKeySecretName is the secret holding the mock valuation
// service's webhook API key.
const WebhookAPIKeySecretName = "loanflow/webhook-api-key/mock-valuation-service"

// openSecrets opens the local Secrets Manager and makes the signing key and
// the webhook API key on first start.
func openSecrets(dir, region, signingName string) (*secretsmgr.Store, error) {
	st, err := secretsmgr.Open(filepath.Join(dir, SecretsFile), region, AccountID)
	if err != nil {
		return nil, err
	}
	signing, err := randomKey()
	if err != nil {
		return nil, err
	}
	if b, err := os.ReadFile(filepath.Join(dir, LegacySecretFile)); err == nil {
		if k := strings.TrimSpace(string(b)); len(k) >= 64 {
			signing = k
		}
	}
	if _, err := st.Ensure(signingName, signing); err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	apiKey, err := randomKey()
	if err != nil {
		return nil, err
	}
	if _, err := st.Ensure(WebhookAPIKeySecretName, apiKey[:40]); err != nil {
		return nil, fmt.Errorf("webhook API key: %w", err)
	}
	return st, nil
}

func randomKey() (string, error) {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return "", fmt.Errorf("make key: %w", err)
	}
	return hex.EncodeToString(k), nil
}

// ReadSecret reads the current signing key of the stack whose state is in
// dir, as the valuation service signs with it.
func ReadSecret(dir string) ([]byte, error) {
	p := filepath.Join(dir, SecretsFile)
	if _, err := os.Stat(p); err != nil {
		return nil, fmt.Errorf("read signing key (has `loanflow up` run with this --state?): %w", err)
	}
	st, err := secretsmgr.Open(p, "", AccountID)
	if err != nil {
		return nil, err
	}
	v, ok := st.Current(config.Local().Signature.SecretName)
	if !ok {
		return nil, fmt.Errorf("no signing key in %s", p)
	}
	return []byte(v), nil
}

// Backup copies the state file of the stack whose state is in dir to the
// new file to, consistent as of one commit, whether the stack is running
// (its writes go on meanwhile) or not. The copy is checked with quick_check
// before it appears at to. The signing keys stay in dir's SecretsFile.
func Backup(ctx context.Context, dir, to string) (sqlitedb.BackupInfo, error) {
	db := filepath.Join(dir, StateFileName)
	if fi, err := os.Stat(db); err != nil || fi.Size() == 0 {
		return sqlitedb.BackupInfo{}, fmt.Errorf("no state file at %s (has `loanflow up` run with this --state?)", db)
	}
	return sqlitedb.Backup(ctx, db, to)
}
