package auth

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestGenerateSecret(t *testing.T) {
	a, err := GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateSecret()
	if len(a) != 32 || bytes.Equal(a, b) {
		t.Fatalf("secrets %x, %x", a, b)
	}
}

func TestLoadOrCreateSecretFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "boxoffice.db.secret")
	s1, err := LoadOrCreateSecretFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(s1) != 32 {
		t.Fatalf("secret of %d bytes", len(s1))
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	s2, err := LoadOrCreateSecretFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s1, s2) {
		t.Fatal("second call returned a different secret")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	if _, err := NewTokens(s1, 1); err != nil {
		t.Fatal(err)
	}
}

func TestLoadOrCreateSecretFileConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	var wg sync.WaitGroup
	got := make([][]byte, 8)
	for i := range got {
		wg.Go(func() {
			s, err := LoadOrCreateSecretFile(path)
			if err != nil {
				t.Error(err)
			}
			got[i] = s
		})
	}
	wg.Wait()
	for _, s := range got[1:] {
		if !bytes.Equal(s, got[0]) {
			t.Fatal("racing creators got different secrets")
		}
	}
}

func TestLoadOrCreateSecretFileRefused(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		content string
		mode    os.FileMode
		want    string
	}{
		"short":          {strings.Repeat("ab", 31) + "\n", 0o600, "at least 32 bytes"},
		"empty":          {"", 0o600, "at least 32 bytes"},
		"not hex":        {strings.Repeat("zz", 32), 0o600, "not hex"},
		"world-readable": {strings.Repeat("ab", 32), 0o644, "chmod 600"},
	} {
		t.Run(name, func(t *testing.T) {
			if name == "world-readable" && runtime.GOOS == "windows" {
				t.Skip("no Unix modes")
			}
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, []byte(tc.content), tc.mode); err != nil {
				t.Fatal(err)
			}
			os.Chmod(path, tc.mode) // despite the umask
			if _, err := LoadOrCreateSecretFile(path); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// A longer hex secret, written by an operator, is fine.
	path := filepath.Join(dir, "long")
	os.WriteFile(path, []byte(strings.Repeat("cd", 64)+"\n"), 0o600)
	if s, err := LoadOrCreateSecretFile(path); err != nil || len(s) != 64 {
		t.Fatalf("64-byte secret: %d bytes, %v", len(s), err)
	}
}
