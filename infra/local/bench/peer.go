package bench

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// PeerPackage and PeerVersion name the npm peer the engine is compared with.
const (
	PeerPackage = "aws-local-stepfunctions"
	PeerVersion = "3.0.0"
)

// PeerInstall is the command that installs the peer where Run looks for it
// by default (run from the repository root).
const PeerInstall = "npm install --prefix tools/peer " + PeerPackage + "@" + PeerVersion

// peerScript is peer/run.mjs, embedded so that Run works from any directory.
//
//go:embed peer/run.mjs
var peerScript []byte

// ErrPeerUnavailable is wrapped by the errors that mean the peer cannot run
// here (no node, or the npm package is not installed); Run reports the peer
// figure as skipped instead of failing.
var ErrPeerUnavailable = errors.New("npm peer unavailable")

// peer is a running node process serving peer/run.mjs.
type peer struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Scanner
	stderr *strings.Builder
	dir    string // temporary directory holding the script and files
	Node   string // node version
}

// findPeerDir returns the npm prefix holding the peer: dir if set, else
// $LOANFLOW_PEER_DIR, else tools/peer under the module root (found by
// walking up from the working directory to go.mod).
func findPeerDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	if d := os.Getenv("LOANFLOW_PEER_DIR"); d != "" {
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find peer: %w", err)
	}
	for d := wd; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "tools", "peer"), nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("find peer: no go.mod above %s: %w", wd, ErrPeerUnavailable)
		}
		d = parent
	}
}

// peerEntry returns the path of the peer's Node ESM entry point and checks
// its version.
func peerEntry(prefix string) (string, error) {
	pkgDir := filepath.Join(prefix, "node_modules", PeerPackage)
	data, err := os.ReadFile(filepath.Join(pkgDir, "package.json"))
	if err != nil {
		return "", fmt.Errorf("%s not installed under %s (install it with %q): %w", PeerPackage, prefix, PeerInstall, ErrPeerUnavailable)
	}
	var pkg struct {
		Version string `json:"version"`
		Module  string `json:"module"`
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		return "", fmt.Errorf("read %s package.json: %w", PeerPackage, err)
	}
	if pkg.Version != PeerVersion {
		return "", fmt.Errorf("%s is version %s under %s, want %s (install it with %q): %w", PeerPackage, pkg.Version, prefix, PeerVersion, PeerInstall, ErrPeerUnavailable)
	}
	if pkg.Module == "" {
		pkg.Module = "build/main.node.esm.js"
	}
	return filepath.Join(pkgDir, pkg.Module), nil
}

// PeerAvailable reports whether the peer can run: nil, or an error wrapping
// ErrPeerUnavailable that says what is missing. node and prefix are as in
// Options.Node and Options.PeerDir.
func PeerAvailable(node, prefix string) error {
	if node == "" {
		node = "node"
	}
	if _, err := exec.LookPath(node); err != nil {
		return fmt.Errorf("find node (%s): %w: %w", node, err, ErrPeerUnavailable)
	}
	prefix, err := findPeerDir(prefix)
	if err != nil {
		return err
	}
	_, err = peerEntry(prefix)
	return err
}

// startPeer starts node on the embedded runner with the definition and
// input, and waits until it is ready.
func startPeer(ctx context.Context, node, prefix string, definition, input []byte) (*peer, error) {
	if node == "" {
		node = "node"
	}
	nodePath, err := exec.LookPath(node)
	if err != nil {
		return nil, fmt.Errorf("find node (%s): %w: %w", node, err, ErrPeerUnavailable)
	}
	prefix, err = findPeerDir(prefix)
	if err != nil {
		return nil, err
	}
	entry, err := peerEntry(prefix)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "loanflow-peer-")
	if err != nil {
		return nil, fmt.Errorf("start peer: %w", err)
	}
	files := map[string][]byte{"run.mjs": peerScript, "definition.json": definition, "input.json": input}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("start peer: %w", err)
		}
	}
	cmd := exec.CommandContext(ctx, nodePath, filepath.Join(dir, "run.mjs"), entry,
		filepath.Join(dir, "definition.json"), filepath.Join(dir, "input.json"))
	p := &peer{cmd: cmd, dir: dir, stderr: &strings.Builder{}}
	cmd.Stderr = p.stderr
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start peer: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start peer: %w", err)
	}
	p.out = bufio.NewScanner(stdout)
	p.out.Buffer(make([]byte, 64*1024), 16<<20)
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start peer %s: %w", nodePath, err)
	}
	var ready struct {
		Ready bool   `json:"ready"`
		Node  string `json:"node"`
	}
	if err := p.read(&ready); err != nil || !ready.Ready {
		p.close()
		return nil, fmt.Errorf("start peer: not ready (%v): %s", err, p.stderr.String())
	}
	p.Node = ready.Node
	return p, nil
}

// read decodes the next line of the runner's output into v.
func (p *peer) read(v any) error {
	if !p.out.Scan() {
		if err := p.out.Err(); err != nil {
			return fmt.Errorf("read peer output: %w", err)
		}
		return errors.New("peer exited")
	}
	if err := json.Unmarshal(p.out.Bytes(), v); err != nil {
		return fmt.Errorf("decode peer output %q: %w", p.out.Text(), err)
	}
	return nil
}

// run executes the definition once in the peer and returns the time the
// peer measured (JSON.parse of the input, the run, JSON.stringify of the
// result) and, if wantOutput, the output document.
func (p *peer) run(wantOutput bool) (time.Duration, []byte, error) {
	req := map[string]string{}
	outPath := ""
	if wantOutput {
		outPath = filepath.Join(p.dir, "output.json")
		req["output"] = outPath
	}
	line, err := json.Marshal(req)
	if err != nil {
		return 0, nil, fmt.Errorf("peer request: %w", err)
	}
	if _, err := p.stdin.Write(append(line, '\n')); err != nil {
		return 0, nil, fmt.Errorf("peer request: %w (%s)", err, p.stderr.String())
	}
	var resp struct {
		Ms    float64 `json:"ms"`
		Error string  `json:"error"`
	}
	if err := p.read(&resp); err != nil {
		return 0, nil, fmt.Errorf("peer run: %w (%s)", err, p.stderr.String())
	}
	if resp.Error != "" {
		return 0, nil, fmt.Errorf("peer run failed: %s", resp.Error)
	}
	d := time.Duration(resp.Ms * float64(time.Millisecond))
	if !wantOutput {
		return d, nil, nil
	}
	out, err := os.ReadFile(outPath)
	if err != nil {
		return 0, nil, fmt.Errorf("read peer output: %w", err)
	}
	return d, out, nil
}

// close ends the node process and removes its files.
func (p *peer) close() error {
	p.stdin.Close()
	err := p.cmd.Wait()
	os.RemoveAll(p.dir)
	if err != nil && !strings.Contains(err.Error(), "signal: killed") {
		return fmt.Errorf("peer exit: %w (%s)", err, p.stderr.String())
	}
	return nil
}
