package auth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// GenerateSecret returns MinSecretLength random bytes for NewTokens.
func GenerateSecret() ([]byte, error) {
	b := make([]byte, MinSecretLength)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("auth: generate secret: %w", err)
	}
	return b, nil
}

// ReadSecretFile returns the token secret kept in the file at path by
// LoadOrCreateSecretFile, without ever creating it: for tools that must
// sign as an existing server does. An error wrapping fs.ErrNotExist means
// there is no such file.
func ReadSecretFile(path string) ([]byte, error) { return readSecretFile(path) }

// LoadOrCreateSecretFile returns the token secret kept in the file at path,
// creating the file with a new GenerateSecret the first time. It is meant
// for the embedded database: keep the file beside it (e.g. "boxoffice.db.secret")
// so that tokens survive restarts.
//
// The file holds the secret hex-encoded on one line. It is created with mode
// 0600, atomically and without clobbering: written to a temporary file in
// the same directory, then hard-linked into place, so a reader never sees a
// partial file and of two processes racing to create it, both end up with
// the one that won. An existing file is refused if it decodes to fewer than
// MinSecretLength bytes or (outside Windows) is readable or writable by
// others. Errors are plain (a configuration fault).
func LoadOrCreateSecretFile(path string) ([]byte, error) {
	secret, err := readSecretFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return secret, err
	}
	secret, err = GenerateSecret()
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("auth: create secret file: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(hex.EncodeToString(secret) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("auth: write secret file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return readSecretFile(path) // another process was first
	} else if err != nil {
		return nil, fmt.Errorf("auth: create secret file: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil { // make the new name durable
		d.Sync()
		d.Close()
	}
	return secret, nil
}

func readSecretFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("auth: read secret file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("auth: read secret file: %w", err)
	}
	if !fi.Mode().IsRegular() || fi.Size() > 4096 {
		return nil, fmt.Errorf("auth: secret file %s: not a small regular file", path)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o006 != 0 {
		return nil, fmt.Errorf("auth: secret file %s is accessible to others (mode %v); chmod 600 it", path, fi.Mode().Perm())
	}
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return nil, fmt.Errorf("auth: read secret file: %w", err)
	}
	secret, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("auth: secret file %s is not hex", path)
	}
	if len(secret) < MinSecretLength {
		return nil, fmt.Errorf("auth: secret in %s must be at least %d bytes, got %d", path, MinSecretLength, len(secret))
	}
	return secret, nil
}
