package cloud

import (
	"debug/elf"
	"os"
	"path/filepath"
	"testing"
)

// TestGoBundler builds a real function the way synth does and checks it is
// a static linux/arm64 executable named bootstrap.
func TestGoBundler(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Lambda binary")
	}
	root := moduleRootForTest(t)
	out := t.TempDir()
	ok := (&goBundler{moduleRoot: root, main: "consumers/functions/valuation-callback"}).TryBundle(&out, nil)
	if ok == nil || !*ok {
		t.Fatal("TryBundle reported no bundle")
	}
	f, err := elf.Open(filepath.Join(out, "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 || f.Class != elf.ELFCLASS64 || f.Type != elf.ET_EXEC {
		t.Errorf("bootstrap is %v %v %v, want a 64-bit arm64 executable", f.Class, f.Machine, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("bootstrap is dynamically linked (%v)", p.Type)
		}
	}
	if st, _ := os.Stat(filepath.Join(out, "bootstrap")); st == nil || st.Size() > 15<<20 {
		t.Errorf("bootstrap is missing or over 15 MiB")
	}
}

func TestGoBundlerFailsLoudly(t *testing.T) {
	root := stubModule(t)
	if err := os.WriteFile(filepath.Join(root, "consumers/functions/valuation-request/main.go"), []byte("package main\nfunc main() { undefined() }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if r := recover(); r == nil {
			t.Error("a failed build did not stop the synth")
		}
	}()
	out := t.TempDir()
	(&goBundler{moduleRoot: root, main: "consumers/functions/valuation-request"}).TryBundle(&out, nil)
}

// The asset hash follows exactly the sources the binary is built from.
func TestGoAssetHash(t *testing.T) {
	root := stubModule(t)
	write := func(rel, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, rel)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, rel), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const main = "consumers/functions/valuation-request"
	write("lib/lib.go", "package lib\n\nconst V = 1\n")
	write(main+"/main.go", "package main\n\nimport \"loanflow/lib\"\n\nfunc main() { _ = lib.V }\n")
	hash := func() string {
		t.Helper()
		h, err := goAssetHash(root, main)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	h0 := hash()
	if hash() != h0 {
		t.Fatal("hash is not stable")
	}
	write("unrelated/x.go", "package unrelated\n")
	write(main+"/README.md", "docs\n")
	write("lib/lib_test.go", "package lib\n")
	if hash() != h0 {
		t.Error("hash changed for files the binary is not built from")
	}
	write("lib/lib.go", "package lib\n\nconst V = 2\n")
	h1 := hash()
	if h1 == h0 {
		t.Error("hash ignored a change in an imported package")
	}
	write("go.mod", "module loanflow\n\ngo 1.26.0\n\n// changed\n")
	if hash() == h1 {
		t.Error("hash ignored go.mod")
	}
	if _, err := goAssetHash(root, "consumers/functions/missing"); err == nil {
		t.Error("hashed a package that does not exist")
	}
}
